"""One demo site, one publisher's site and one browser for all the browser tests."""

import threading

import httpx
import pytest

from tests.conftest import EXTRACTIVE_THRESHOLD
from tests.server.conftest import fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, serve_process

from .site import CHROMIUM, LIBRARY, MARATHON, Publisher

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="package")
def publisher():
    """The publisher's site; its relay goes to the demo site's server once that is up."""
    publisher = Publisher()
    thread = threading.Thread(target=publisher.server.serve_forever, daemon=True)
    thread.start()
    yield publisher
    publisher.release()
    publisher.server.shutdown()


@pytest.fixture(scope="package")
def site(tmp_path_factory, publisher):
    """A served demo site with the fixture articles: (base URL, database path, ids by title)."""
    db = tmp_path_factory.mktemp("browser") / "nutgraf.db"
    options = ("--model", "none", "--min-confidence", str(EXTRACTIVE_THRESHOLD), "--rate-limit", "0",
               "--cors-origin", publisher.origin)
    # Related questions are never waited for: pages get "pending" and the widget asks again.
    env = {"NUTGRAF_ADMIN_KEYS": ADMIN_KEY, "NUTGRAF_RELATED_WAIT": "0", "NUTGRAF_RELATED_ON_INGEST": "0"}
    with serve_process(db, *options, env=env) as base:
        response = httpx.post(f"{base}/v1/articles", json=fixture_documents(), headers=ADMIN, timeout=120)
        assert response.status_code == 200, response.text
        publisher.relay_to(base)
        yield base, db, {r["title"]: r["id"] for r in response.json()["results"]}


@pytest.fixture(scope="package")
def library(site) -> str:
    base, _, ids = site
    return f"{base}/articles/{ids[LIBRARY]}"


@pytest.fixture(scope="package")
def sentences(site):
    """Citations of every sentence, by article title and sentence index."""
    base, _, ids = site

    def of(title: str) -> dict[int, dict]:
        article = httpx.get(f"{base}/v1/articles/{ids[title]}", timeout=30).json()
        return {s["index"]: {"article_id": ids[title], "sentence_index": s["index"], "start": s["start"],
                             "end": s["end"], "text": s["text"]} for s in article["sentences"]}

    return {title: of(title) for title in (MARATHON, LIBRARY)}


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.errors = []
    page.dialogs = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    assert page.errors == []
    context.close()
