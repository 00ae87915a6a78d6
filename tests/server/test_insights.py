"""Insights over HTTP on both stores: the admin key on every insights route, what the widget's
asks and ratings add to the log, and that nothing of the reader's connection is kept."""

import base64
import sqlite3

import httpx
import psycopg
import pytest

from nutgraf.settings import Settings
from tests.conftest import EXTRACTIVE_THRESHOLD
from tests.pg import postgres_server  # noqa: F401
from tests.server.conftest import fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, app_server

BROWSER = "NutgrafTestBrowser/9.7 (marker-3f1c)"
ADDRESS = "203.0.113.77"  # a documentation address, sent as the reader's by a proxy header
READER = {"User-Agent": BROWSER, "X-Forwarded-For": ADDRESS, "X-Real-IP": ADDRESS}
BASIC = {"Authorization": "Basic " + base64.b64encode(f"editor:{ADMIN_KEY}".encode()).decode()}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request, tmp_path_factory):
    """A server with the fixture articles: (client, database location, ids by title)."""
    if request.param == "sqlite":
        location = str(tmp_path_factory.mktemp("insights") / "nutgraf.db")
    else:
        server = request.getfixturevalue("postgres_server")
        location = server.create_database()
    settings = Settings(db=location, model="none", min_confidence=EXTRACTIVE_THRESHOLD, admin_keys=(ADMIN_KEY,),
                        rate_limit=0, related_wait=60)
    with app_server(settings) as base, httpx.Client(base_url=base, timeout=120) as client:
        response = client.post("/v1/articles", json=fixture_documents(), headers=ADMIN)
        assert response.status_code == 200, response.text
        yield client, location, {r["title"]: r["id"] for r in response.json()["results"]}
    if request.param == "postgres":
        server.drop_database(location)


@pytest.fixture(scope="module")
def library(site) -> str:
    return site[2]["Fernhill library reopens after a two-year rebuild"]


@pytest.mark.parametrize("path", ["/v1/insights", "/insights"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic " + base64.b64encode(b"editor:wrong").decode()}])
def test_every_insights_route_needs_the_admin_key(site, path, headers):
    response = site[0].get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Basic" if path == "/insights" else "Bearer")


def test_the_admin_key_opens_them_as_a_bearer_token_or_a_password(site):
    client = site[0]
    assert client.get("/v1/insights", headers=ADMIN).status_code == 200
    page = client.get("/insights", headers=BASIC)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_asks_panel_clicks_shown_questions_and_ratings_reach_the_insights(site, library):
    client = site[0]
    panel = client.get("/v1/related", params={"article_id": library}, headers=READER).json()
    assert panel["questions"]
    offered = panel["questions"][0]
    clicked = client.post("/v1/ask", json={"question": offered["question"], "article_id": offered["article_id"],
                                            "source": "panel"}, headers=READER).json()
    typed = client.post("/v1/ask", json={"question": "Who paid for the new roof of the library?",
                                          "article_id": library}, headers=READER).json()
    assert clicked["ask_id"] and typed["ask_id"] and clicked["ask_id"] != typed["ask_id"]
    rated = client.post("/v1/feedback", headers=READER, json={
        "rating": "wrong_citation", "question": typed["question"], "article_id": library, "ask_id": typed["ask_id"],
        "comment": "Wrong sentence"})
    assert rated.status_code == 201

    report = client.get("/v1/insights", params={"article_id": library}, headers=ADMIN).json()
    assert report["totals"]["asks"] >= 2 and report["totals"]["panel"] >= 1
    pull = next(p for p in report["panel"] if p["question"] == offered["question"])
    assert pull["shown"] >= 1 and pull["clicks"] >= 1
    asked = next(g for g in report["groups"] if g["question"] == typed["question"])
    assert asked["ratings"]["wrong_citation"] == 1
    assert any(r["ask_id"] == typed["ask_id"] and r["comment"] == "Wrong sentence" for r in report["rated"])
    since = client.get("/v1/insights", params={"article_id": library, "since": "2020-01-01"}, headers=ADMIN)
    assert since.json() == report | {"since": "2020-01-01"}  # counted from the asks, as kept in the counts


@pytest.mark.parametrize("body, field", [
    ({"question": "Who?", "source": "sidebar"}, "source"),
])
def test_an_unknown_source_is_refused(site, body, field):
    response = site[0].post("/v1/ask", json=body)
    assert response.status_code == 422 and field in response.json()["error"]["message"]


def test_bad_insights_requests_are_4xx_with_a_json_error(site):
    client = site[0]
    assert client.get("/v1/insights", params={"article_id": "nope"}, headers=ADMIN).status_code == 404
    bad_day = client.get("/v1/insights", params={"since": "last week"}, headers=ADMIN)
    assert bad_day.status_code == 400 and bad_day.json()["error"]["code"] == "invalid_input"
    rating = client.post("/v1/feedback", json={"rating": "helpful", "question": "Who?", "ask_id": "not-an-id"})
    assert rating.status_code == 422


def test_nothing_of_the_readers_connection_is_stored(site, library):
    client, location, _ = site
    client.post("/v1/ask", json={"question": "When does the library open on Sundays?", "article_id": library},
                headers=READER)
    client.post("/v1/ask?stream=1", headers=READER, json={
        "question": "When does the library open on Sundays?", "article_id": library}).read()
    client.post("/v1/feedback", json={"rating": "helpful", "question": "When?"}, headers=READER)
    stored = everything_stored(location)
    assert "When does the library open on Sundays?" in stored  # the dump does read the log
    for marker in (BROWSER, "marker-3f1c", ADDRESS, "127.0.0.1"):
        assert marker not in stored


def everything_stored(location: str) -> str:
    """Every row of every table, as text (and, for SQLite, the database files' bytes)."""
    if location.startswith("postgresql://"):
        with psycopg.connect(location) as db:
            tables = [t for (t,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            return "\n".join(str(db.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    with sqlite3.connect(location) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = "\n".join(str(db.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    raw = b"".join(open(path, "rb").read() for path in (location, location + "-wal")
                   if __import__("os").path.exists(path))
    return rows + raw.decode("latin-1")
