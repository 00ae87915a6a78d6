"""Rate limiting, CORS, disabled admin requests, related questions still being worked out,
and settings: each on a server of its own."""

import asyncio
import threading
import time

import httpx
import pytest

from nutgraf.errors import InputError
from nutgraf.server.limits import RateLimit
from nutgraf.server.streaming import iterate_in_thread
from nutgraf.settings import Settings
from tests.server.conftest import fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, app_server

PUBLISHER = "https://news.example.org"


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """Three requests at once, then one every 100 seconds; publisher pages may call it."""
    settings = Settings(db=str(tmp_path_factory.mktemp("strict") / "nutgraf.db"), model="none",
                        rate_limit=0.01, rate_burst=3, cors_origins=(PUBLISHER,))
    with app_server(settings) as base:
        yield base


def test_a_client_over_its_budget_gets_429_with_retry_after(strict_server):
    with httpx.Client(base_url=strict_server) as client:
        statuses = [client.get("/v1/articles").status_code for _ in range(3)]
        refused = client.get("/v1/articles")
        assert statuses == [200, 200, 200]
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 100
        # Pages, the widget and health checks are not metered.
        for path in ("/healthz", "/widget.js", "/"):
            assert client.get(path).status_code == 200


def test_cors_allows_the_listed_publisher_only(strict_server):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    with httpx.Client(base_url=strict_server) as client:
        allowed = client.options("/v1/ask", headers={"Origin": PUBLISHER, **preflight})
        refused = client.options("/v1/ask", headers={"Origin": "https://elsewhere.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PUBLISHER
    assert "access-control-allow-origin" not in refused.headers


def test_without_admin_keys_ingest_is_disabled(tmp_path):
    settings = Settings(db=str(tmp_path / "nutgraf.db"), model="none", rate_limit=0)
    with app_server(settings) as base, httpx.Client(base_url=base) as client:
        for headers in ({}, {"Authorization": "Bearer anything"}):
            response = client.post("/v1/articles", json={"title": "T", "text": "Some text."}, headers=headers)
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "forbidden"
        assert client.get("/v1/feedback").status_code == 403
        assert client.get("/v1/articles").json()["total"] == 0


def test_related_questions_still_being_worked_out_are_pending(tmp_path):
    settings = Settings(db=str(tmp_path / "nutgraf.db"), model="none", admin_keys=(ADMIN_KEY,),
                        rate_limit=0, related_wait=0, related_on_ingest=False)
    with app_server(settings) as base, httpx.Client(base_url=base, timeout=60) as client:
        article_id = client.post("/v1/articles", json=fixture_documents()[0], headers=ADMIN).json()["results"][0]["id"]
        first = client.get("/v1/related", params={"article_id": article_id})
        assert first.json() == {"article_id": article_id, "key_points": [], "questions": [], "pending": True}
        assert "cache-control" not in first.headers
        deadline = time.monotonic() + 120
        while (later := client.get("/v1/related", params={"article_id": article_id})).json().get("pending"):
            assert time.monotonic() < deadline, "related questions were never worked out"
            time.sleep(0.1)
        assert later.status_code == 200 and isinstance(later.json()["questions"], list)
        assert len(later.json()["key_points"]) == 3
        health = client.get("/healthz").json()["preparation"]
        assert health["worker"] and health["queue"] == {"done": 1}
        assert later.headers["cache-control"] == "public, max-age=60"
        assert client.get("/v1/related", params={"article_id": "000000000000"}).status_code == 404


def test_the_token_bucket_refills_at_the_rate():
    limit = RateLimit(app=None, rate=2.0, burst=2)
    assert [limit.take("a", now=0.0) for _ in range(2)] == [0, 0]
    assert limit.take("a", now=0.0) == 1  # half a second to the next token, rounded up
    assert limit.take("b", now=0.0) == 0  # another client has a bucket of its own
    assert limit.take("a", now=0.5) == 0
    assert limit.take("a", now=0.5) == 1


def test_a_stream_left_early_closes_its_generator_on_its_own_thread():
    closed_on = []
    finished = threading.Event()

    def events():
        try:
            for number in range(1000):
                yield number
        finally:
            closed_on.append(threading.current_thread().name)
            finished.set()

    async def take_two():
        stream = iterate_in_thread(events)
        taken = [await anext(stream), await anext(stream)]
        await stream.aclose()
        return taken

    assert asyncio.run(take_two()) == [0, 1]
    assert finished.wait(10)
    assert closed_on == ["nutgraf-stream"]


def test_a_stream_raises_the_producers_error():
    def events():
        yield "first"
        raise InputError("broken")

    async def take_all():
        return [item async for item in iterate_in_thread(events)]

    with pytest.raises(InputError, match="broken"):
        asyncio.run(take_all())
