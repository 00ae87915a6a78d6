"""``nutgraf serve`` as a user runs it: a separate process, several workers, a real model."""

import json

import httpx
import pytest

from nutgraf.llm import model_path
from tests.conftest import EXTRACTIVE_THRESHOLD
from tests.server.conftest import fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, read_events, serve_process

pytestmark = pytest.mark.slow


def ingest_fixtures(client: httpx.Client) -> dict[str, str]:
    response = client.post("/v1/articles", json=fixture_documents(), headers=ADMIN)
    assert response.status_code == 200, response.text
    return {r["title"]: r["id"] for r in response.json()["results"]}


def test_two_workers_share_the_database_and_the_settings(tmp_path):
    options = ("--workers", "2", "--model", "none", "--min-confidence", str(EXTRACTIVE_THRESHOLD),
               "--cors-origin", "https://news.example.org")
    # An option given on the command line wins over the environment.
    env = {"NUTGRAF_ADMIN_KEYS": ADMIN_KEY, "NUTGRAF_MODEL": "smollm2-135m"}
    with serve_process(tmp_path / "nutgraf.db", *options, env=env) as base:
        with httpx.Client(base_url=base, timeout=120) as client:
            ids = ingest_fixtures(client)
            for _ in range(4):  # enough requests to reach both workers
                listed = {a["id"] for a in client.get("/v1/articles").json()["articles"]}
                assert listed == set(ids.values())
            preflight = client.options("/v1/ask", headers={
                "Origin": "https://news.example.org", "Access-Control-Request-Method": "POST"})
            assert preflight.headers["access-control-allow-origin"] == "https://news.example.org"
            answer = client.post("/v1/ask", json={"question": "Who won the marathon?",
                                                  "article_id": ids["Kestrel Valley marathon draws a record field"]})
            assert answer.status_code == 200
            assert answer.json()["mode"] == "extractive"
            assert "Hana Lindqvist" in answer.json()["citations"][0]["text"]


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory):
    smollm2 = model_path("smollm2-135m")
    db = tmp_path_factory.mktemp("llm") / "nutgraf.db"
    with serve_process(db, "--model", str(smollm2), "--rate-limit", "0",
                       env={"NUTGRAF_ADMIN_KEYS": ADMIN_KEY}) as base:
        with httpx.Client(base_url=base, timeout=300) as client:
            yield client, ingest_fixtures(client)


def test_a_real_model_streams_its_answer_and_a_reader_leaving_frees_it(llm_server):
    client, ids = llm_server
    marathon = ids["Kestrel Valley marathon draws a record field"]
    with client.stream("POST", "/v1/ask?stream=1", json={"question": "Why was the course changed?",
                                                        "article_id": marathon}) as response:
        assert response.status_code == 200
        next(response.iter_bytes())  # the first event, then the reader goes away

    # The model is free again: the next reader gets a complete stream.
    library = ids["Fernhill library reopens after a two-year rebuild"]
    sentences = {s["index"]: s["text"] for s in client.get(f"/v1/articles/{library}").json()["sentences"]}
    body = {"question": "Who is the head librarian?", "article_id": library}
    with client.stream("POST", "/v1/ask", json=body, headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        events = read_events(response)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "evidence" and kinds[-1] == "answer" and set(kinds[1:-1]) <= {"delta"}
    assert sentences[json.loads(events[0][1])["citations"][0]["sentence_index"]]
    for kind, data in events[1:-1]:
        assert isinstance(json.loads(data)["text"], str)
    answer = json.loads(events[-1][1])
    assert answer["mode"].startswith("llm:")
    for citation in answer["citations"]:
        assert sentences[citation["sentence_index"]] == citation["text"]
