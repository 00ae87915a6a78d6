"""The JSON API over real HTTP, on a real SQLite database, with extractive answers."""

import json
import time

import httpx
import pytest

from nutgraf.store import open_store
from tests.server.conftest import MAX_BODY, fixture_documents
from tests.server.live import ADMIN, read_events

ANSWER_KEYS = {"question", "answer", "answerable", "confidence", "citations", "kind", "grade", "verdict",
               "points", "explanation", "note", "related", "conversation_id", "mode", "resolved_question",
               "language", "judge", "timings_ms", "ask_id"}


def error_of(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]


def sentence_texts(client, article_id: str) -> dict[int, str]:
    article = client.get(f"/v1/articles/{article_id}").json()
    return {s["index"]: s["text"] for s in article["sentences"]}


# -- asking


# Whether an answer is given or withheld is the answering pipeline's call (tested with it);
# here the API must carry it whole: the shape, and citations of the article's own sentences.


def cites_the_article(client, answer: dict, article_id: str, words: str | None = None) -> None:
    assert set(answer) == ANSWER_KEYS
    assert answer["mode"] == "extractive"
    assert (answer["answer"] is not None) == answer["answerable"]
    assert answer["citations"]
    texts = sentence_texts(client, article_id)
    for citation in answer["citations"]:
        assert citation["article_id"] == article_id
        assert texts[citation["sentence_index"]] == citation["text"]
    if words:
        assert words in answer["citations"][0]["text"]


def test_ask_returns_an_answer_citing_the_sentence(client, library_id):
    response = client.post("/v1/ask", json={"question": "How much did the rebuild cost?", "article_id": library_id})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    cites_the_article(client, response.json(), library_id, "6.2 million pounds")


def test_ask_streams_events_when_the_client_accepts_them(client, library_id):
    body = {"question": "Who is the head librarian?", "article_id": library_id}
    with client.stream("POST", "/v1/ask", json=body, headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "evidence" and kinds[-1] == "answer" and set(kinds[1:-1]) <= {"delta"}
    assert json.loads(events[0][1])["citations"][0]["article_id"] == library_id
    streamed = json.loads(events[-1][1])
    cites_the_article(client, streamed, library_id, "Oskar Brandt")
    # The stream ends with the same answer as the plain request.
    plain = client.post("/v1/ask", json=body).json()
    ignore = {"conversation_id", "timings_ms", "ask_id"}
    assert {k: v for k, v in streamed.items() if k not in ignore} == {k: v for k, v in plain.items() if k not in ignore}


def test_stream_query_parameter_also_streams(client, library_id):
    body = {"question": "When will the library open seven days a week?", "article_id": library_id}
    with client.stream("POST", "/v1/ask?stream=1", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
    assert events[-1][0] == "answer"
    cites_the_article(client, json.loads(events[-1][1]), library_id, "seven days a week")


def test_a_follow_up_keeps_the_conversation(client, marathon_id):
    first = client.post("/v1/ask", json={"question": "Who won the race?", "article_id": marathon_id}).json()
    follow_up = client.post("/v1/ask", json={"question": "What was her time?", "article_id": marathon_id,
                                              "conversation_id": first["conversation_id"]}).json()
    assert follow_up["conversation_id"] == first["conversation_id"]
    cites_the_article(client, follow_up, marathon_id)


def test_a_question_with_markup_comes_back_as_plain_data(client, library_id):
    question = '<script>alert(1)</script><img src=x onerror="alert(2)"> Who reopened?'
    response = client.post("/v1/ask", json={"question": question, "article_id": library_id})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["question"] == question


@pytest.mark.parametrize("question, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("Why " * 300, "longer than"),
])
def test_empty_and_overlong_questions_are_refused(client, library_id, question, message):
    response = client.post("/v1/ask", json={"question": question, "article_id": library_id})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_input"
    assert message in error_of(response)["message"]


def test_a_bad_question_is_a_json_error_even_when_streaming(client, library_id):
    response = client.post("/v1/ask?stream=1", json={"question": "", "article_id": library_id})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_input"


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask?stream=1"])
def test_an_unknown_article_is_404(client, path):
    response = client.post(path, json={"question": "Who won?", "article_id": "000000000000"})
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "no article with id '000000000000'"}


def test_malformed_json_is_400(client):
    response = client.post("/v1/ask", content=b'{"question": "Who', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


@pytest.mark.parametrize("body", [{}, {"article_id": "x"}, {"question": 42}, {"question": ["a"]}, ["Who?"]])
def test_missing_or_mistyped_fields_are_422(client, body):
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_request" and error["message"]


def test_a_declared_oversized_body_is_413(client, library_id):
    body = json.dumps({"question": "x" * MAX_BODY, "article_id": library_id})
    response = client.post("/v1/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"


def test_a_streamed_oversized_body_is_413(client):
    def chunks():
        yield b'{"question": "'
        for _ in range(MAX_BODY // 1000 + 1):
            yield b"y" * 1000
        yield b'"}'

    response = client.post("/v1/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


# -- related questions


def test_related_questions_are_answerable_from_the_article(client, library_id):
    response = client.get("/v1/related", params={"article_id": library_id})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    questions = response.json()["questions"]
    assert questions and questions[0]["article_id"] == library_id
    for item in questions:
        assert item["question"].endswith("?")
        for citation in item["citations"]:
            # Questions another article answers are offered too, labelled with that article.
            assert citation["article_id"] == item["article_id"]
            texts = sentence_texts(client, citation["article_id"])
            assert texts[citation["sentence_index"]] == citation["text"]


def test_related_questions_after_a_question_do_not_repeat_it(client, library_id):
    first = client.get("/v1/related", params={"article_id": library_id}).json()["questions"][0]["question"]
    response = client.get("/v1/related", params={"article_id": library_id, "after": first})
    assert "cache-control" not in response.headers  # personal to this reader
    after = response.json()["questions"]
    assert first not in [item["question"] for item in after]


def test_related_for_an_unknown_article_is_404(client):
    response = client.get("/v1/related", params={"article_id": "000000000000"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_related_needs_an_article(client):
    response = client.get("/v1/related")
    assert response.status_code == 422


# -- articles


def test_articles_are_listed_and_shown(client, articles, library_id):
    listed = client.get("/v1/articles").json()["articles"]
    assert {a["id"] for a in listed} >= set(articles.values())
    article = client.get(f"/v1/articles/{library_id}").json()
    assert article["title"] == "Fernhill library reopens after a two-year rebuild"
    assert article["published"] == "2024-09-14" and article["authors"] == ["Lena Morrow"]
    for sentence in article["sentences"]:
        assert article["text"][sentence["start"]:sentence["end"]] == sentence["text"]


def test_articles_are_listed_a_page_at_a_time(client, articles):
    everything = client.get("/v1/articles", params={"limit": 1000}).json()
    assert everything["total"] == len(everything["articles"]) >= len(articles)
    paged = []
    for offset in range(0, everything["total"], 2):
        page = client.get("/v1/articles", params={"limit": 2, "offset": offset}).json()
        assert (page["total"], page["limit"], page["offset"]) == (everything["total"], 2, offset)
        paged += page["articles"]
    assert paged == everything["articles"]
    beyond = client.get("/v1/articles", params={"offset": everything["total"]}).json()
    assert beyond["articles"] == [] and beyond["total"] == everything["total"]
    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        response = client.get("/v1/articles", params=params)
        assert response.status_code == 422 and error_of(response)["code"] == "invalid_request"


def test_an_unknown_article_page_of_the_api_is_404(client):
    response = client.get("/v1/articles/000000000000")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_ingesting_again_is_idempotent(client, articles):
    response = client.post("/v1/articles", json=fixture_documents()[0], headers=ADMIN)
    result = response.json()["results"][0]
    assert result["status"] == "unchanged"
    assert result["id"] in articles.values()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "test-admin-key"}])
def test_ingest_without_a_valid_key_is_refused_and_writes_nothing(client, articles, headers):
    before = client.get("/v1/articles").json()["articles"]
    document = {"title": "Unauthorised", "text": "This article must never be stored by the server."}
    response = client.post("/v1/articles", json=document, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert error_of(response)["code"] == "unauthorized"
    assert client.get("/v1/articles").json()["articles"] == before


def test_a_batch_reports_each_document(client, articles):
    batch = [{"title": "No text here"},
             {"title": "Ferry timetable changes", "text": "The ferry will leave at seven from Monday.",
              "source": "Example Gazette"}]
    response = client.post("/v1/articles", json=batch, headers=ADMIN)
    assert response.status_code == 200
    failed, added = response.json()["results"]
    assert failed["status"] == "failed" and "text" in failed["error"]
    assert added["status"] == "added"
    assert client.get(f"/v1/articles/{added['id']}").json()["title"] == "Ferry timetable changes"


def test_a_batch_where_nothing_is_ingested_is_400(client):
    response = client.post("/v1/articles", json=[{"title": "Empty", "text": "  "}], headers=ADMIN)
    assert response.status_code == 400
    assert "nothing was ingested" in error_of(response)["message"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "/etc/passwd", "ftp://example.org/a", 42])
def test_ingest_by_url_takes_web_addresses_only(client, url):
    response = client.post("/v1/articles", json={"url": url}, headers=ADMIN)
    assert response.status_code == 400
    assert "http" in error_of(response)["message"]


def test_ingest_by_url_does_not_fetch_private_addresses(client, server):
    response = client.post("/v1/articles", json={"url": f"{server}/healthz"}, headers=ADMIN)
    assert response.status_code == 400
    assert "private" in error_of(response)["message"]


# -- feedback


def test_feedback_is_stored_and_listed_for_admins(client, server_db, library_id):
    body = {"rating": "wrong_citation", "question": "How much did the rebuild cost?",
            "answer": "6.2 million pounds", "article_id": library_id, "comment": "Cites the wrong line",
            "citations": [{"article_id": library_id, "sentence_index": 1, "text": "The Fernhill public library"}]}
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == 201
    key = response.json()["id"]

    store = open_store(str(server_db))
    try:
        [stored] = [f for f in store.feedback() if f.id == key]
    finally:
        store.close()
    assert stored.rating == "wrong_citation" and stored.comment == "Cites the wrong line"
    assert stored.citations[0]["sentence_index"] == 1 and stored.article_id == library_id

    listed = client.get("/v1/feedback", headers=ADMIN).json()["feedback"]
    assert listed[0]["id"] == key and listed[0]["received_at"]
    assert client.get("/v1/feedback", params={"since": "2999-01-01"}, headers=ADMIN).json()["feedback"] == []
    assert client.get("/v1/feedback", params={"since": listed[0]["received_at"]},
                      headers=ADMIN).json()["feedback"][0]["id"] == key
    bad = client.get("/v1/feedback", params={"since": "last week"}, headers=ADMIN)
    assert bad.status_code == 400 and "YYYY-MM-DD" in error_of(bad)["message"]
    assert client.get("/v1/feedback").status_code == 401


@pytest.mark.parametrize("body", [
    {"rating": "great", "question": "Who?"},
    {"rating": "helpful"},
    {"rating": "helpful", "question": ""},
    {"rating": "helpful", "question": "Who?", "citations": [{"article_id": "x", "sentence_index": -1}]},
])
def test_invalid_feedback_is_422(client, body):
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


# -- the rest


def test_health(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/related", "/v1/articles", "/v1/articles/{article_id}", "/v1/feedback",
            "/healthz"} <= set(spec["paths"])
    assert "text/event-stream" in spec["paths"]["/v1/ask"]["post"]["responses"]["200"]["content"]
    assert "/articles/{article_id}" not in spec["paths"]  # the demo pages are not API


def test_unknown_paths_and_methods_are_json_errors(client):
    assert error_of(client.get("/v1/nothing-here"))["code"] == "not_found"
    response = client.delete("/v1/ask")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_related_questions_are_worked_out_after_ingest_without_a_request(client, server_db):
    document = {"title": "Harbour ferry gets a new timetable",
                "text": "Mayor Elena Kowalski said the Riverside harbour ferry will leave at seven "
                        "from Monday. The ferry carried 40,000 passengers last year, the council said."}
    response = client.post("/v1/articles", json=document, headers=ADMIN)
    article_id = response.json()["results"][0]["id"]
    store = open_store(str(server_db))
    deadline = time.monotonic() + 60
    while store.cache_get("related", article_id) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.cache_get("related", article_id) is not None
    assert client.get("/v1/related", params={"article_id": article_id}).json().get("pending") is None


def test_a_server_gives_the_model_half_the_cores_unless_told(tmp_path):
    import os

    from nutgraf.server.app import create_app
    from nutgraf.settings import Settings

    cores = len(os.sched_getaffinity(0))
    chosen = create_app(Settings(db=str(tmp_path / "a.db"), model="none")).state.settings
    assert chosen.llm_threads == max(1, cores // 2)
    told = create_app(Settings(db=str(tmp_path / "b.db"), model="none", llm_threads=3)).state.settings
    assert told.llm_threads == 3
