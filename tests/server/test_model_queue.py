"""Questions that need the model take turns, a bounded number at once: past the bound they
are refused at once with 429 and Retry-After, and answers read off the article never wait."""

import threading
import time

import httpx
import pytest

from nutgraf.llm import load_model, model_path
from nutgraf.settings import Settings
from tests.server.conftest import fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, app_server

pytestmark = pytest.mark.slow

MODEL_QUESTION = "Why was the course changed?"


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory):
    """A server with SmolLM2 that lets one question wait for its model, and nothing else using it."""
    settings = Settings(db=str(tmp_path_factory.mktemp("queue") / "nutgraf.db"), model=str(model_path("smollm2-135m")),
                        model_queue=1, llm_threads=1, admin_keys=(ADMIN_KEY,), rate_limit=0,
                        related_on_ingest=False, prepare_worker=False)
    with app_server(settings) as base, httpx.Client(base_url=base, timeout=300) as client:
        response = client.post("/v1/articles", json=fixture_documents(), headers=ADMIN)
        ids = {r["title"]: r["id"] for r in response.json()["results"]}
        yield client, ids["Kestrel Valley marathon draws a record field"], load_model(settings.model, settings)


def waiting_for_the_model(client: httpx.Client) -> int:
    return client.get("/healthz").json()["model_queue"]["waiting"]


def test_past_the_bound_a_question_is_refused_and_one_read_off_the_article_is_answered(busy_server):
    client, marathon, model = busy_server
    first: list[httpx.Response] = []
    asked = {"question": MODEL_QUESTION, "article_id": marathon}
    with model._lock:  # the model is reading for someone else
        waiting = threading.Thread(target=lambda: first.append(client.post("/v1/ask", json=asked)))
        waiting.start()
        deadline = time.monotonic() + 60
        while waiting_for_the_model(client) < 1:
            assert time.monotonic() < deadline, "the first question never took its turn"
            time.sleep(0.05)

        refused = client.post("/v1/ask", json=asked)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "model_busy"
        assert int(refused.headers["Retry-After"]) >= 1
        streamed = client.post("/v1/ask?stream=1", json=asked)  # refused before any event
        assert streamed.status_code == 429 and streamed.headers["content-type"].startswith("application/json")

        overview = client.post("/v1/ask", json={"question": "What is this article about?", "article_id": marathon})
        assert overview.status_code == 200
        assert overview.json()["kind"] == "overview" and overview.json()["answerable"]
    waiting.join(120)
    assert first[0].status_code == 200 and first[0].json()["mode"].startswith("llm:")
    assert waiting_for_the_model(client) == 0
