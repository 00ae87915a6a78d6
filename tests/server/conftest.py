import json
import time
from pathlib import Path

import httpx
import pytest

from nutgraf.settings import Settings
from tests.conftest import EXTRACTIVE_THRESHOLD
from tests.server.live import ADMIN, ADMIN_KEY, app_server

FIXTURES = Path(__file__).parent / "fixtures"
MAX_BODY = 64_000


def fixture_documents() -> list[dict]:
    return json.loads((FIXTURES / "articles.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def server_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server") / "nutgraf.db"


@pytest.fixture(scope="session")
def server(server_db) -> str:
    """Extractive answers (no language model, the threshold the answering tests pin), an admin
    key, a small body limit, no rate limit."""
    settings = Settings(db=str(server_db), model="none", min_confidence=EXTRACTIVE_THRESHOLD,
                        admin_keys=(ADMIN_KEY,), max_body_bytes=MAX_BODY, rate_limit=0)
    with app_server(settings) as base:
        yield base


@pytest.fixture(scope="session")
def client(server) -> httpx.Client:
    with httpx.Client(base_url=server, timeout=120) as client:
        yield client


@pytest.fixture(scope="session")
def articles(client) -> dict[str, str]:
    """Article ids by title, for the fixture articles ingested through the API."""
    response = client.post("/v1/articles", json=fixture_documents(), headers=ADMIN)
    assert response.status_code == 200, response.text
    ids = {r["title"]: r["id"] for r in response.json()["results"]}
    # Related questions are worked out after ingest; answers carry follow-ups once they are
    # ready, so wait for them to keep every answer the same from test to test.
    for article_id in ids.values():
        while client.get("/v1/related", params={"article_id": article_id}).json().get("pending"):
            time.sleep(0.1)
    return ids


@pytest.fixture(scope="session")
def library_id(articles) -> str:
    return articles["Fernhill library reopens after a two-year rebuild"]


@pytest.fixture(scope="session")
def marathon_id(articles) -> str:
    return articles["Kestrel Valley marathon draws a record field"]
