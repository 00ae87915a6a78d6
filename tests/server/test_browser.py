"""The widget in a real browser (Debian's Chromium, headless) against ``nutgraf serve``.

Screenshots go to test-artifacts/server/.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from nutgraf.store import open_store
from tests.conftest import EXTRACTIVE_THRESHOLD
from tests.server.conftest import FIXTURES, fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, free_port, serve_process

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "server"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


class PublisherPage(BaseHTTPRequestHandler):
    """A publisher's article page on an origin of its own, embedding the widget by script tag."""

    html = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def publisher():
    """(origin, a function that sets the page it serves)."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), PublisherPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def set_page(html: str) -> None:
        PublisherPage.html = html.encode()

    yield f"http://127.0.0.1:{server.server_port}", set_page
    server.shutdown()


@pytest.fixture(scope="module")
def site(tmp_path_factory, publisher):
    """A served demo site with the fixture articles: (base URL, database path, ids by title)."""
    db = tmp_path_factory.mktemp("browser") / "nutgraf.db"
    options = ("--model", "none", "--min-confidence", str(EXTRACTIVE_THRESHOLD), "--rate-limit", "0",
               "--cors-origin", publisher[0])
    # Related questions are never waited for: pages get "pending" and the widget asks again.
    env = {"NUTGRAF_ADMIN_KEYS": ADMIN_KEY, "NUTGRAF_RELATED_WAIT": "0", "NUTGRAF_RELATED_ON_INGEST": "0"}
    with serve_process(db, *options, env=env) as base:
        response = httpx.post(f"{base}/v1/articles", json=fixture_documents(), headers=ADMIN, timeout=120)
        assert response.status_code == 200, response.text
        yield base, db, {r["title"]: r["id"] for r in response.json()["results"]}


@pytest.fixture(scope="module")
def library(site) -> str:
    base, _, ids = site
    return f"{base}/articles/{ids['Fernhill library reopens after a two-year rebuild']}"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
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


def screenshot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def api_answer(site, title: str, question: str) -> dict:
    """What the API answers, for comparing with what the widget shows."""
    base, _, ids = site
    response = httpx.post(f"{base}/v1/ask", json={"question": question, "article_id": ids[title]}, timeout=120)
    answer = response.json()
    assert answer["citations"], answer
    return answer


def shown(answer: dict) -> str:
    return answer["answer"] if answer["answerable"] else answer["note"]


def ask(page, question: str):
    """Types the question, presses Enter and waits for the final answer; returns the widget."""
    box = page.get_by_role("textbox", name="Your question")
    box.fill(question)
    with page.expect_response("**/v1/ask") as response:
        box.press("Enter")
    assert response.value.headers["content-type"].startswith("text/event-stream")
    widget = page.locator("nutgraf-ask")
    expect(widget.locator(".feedback")).to_be_visible()
    return widget


def test_an_answer_streams_in_and_its_citation_highlights_the_sentence(page, site, library):
    question = "How much did the rebuild cost?"
    expected = api_answer(site, "Fernhill library reopens after a two-year rebuild", question)
    page.goto(library)
    expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
    screenshot(page, "article.png")

    widget = ask(page, question)
    expect(widget.locator(".answer-text .text")).to_have_text(shown(expected))
    expect(widget.locator(".verdict")).to_be_visible(visible=not expected["answerable"])
    citation = widget.get_by_role("button", name="Source 1: show the cited sentence")
    citation.focus()
    page.keyboard.press("Enter")
    highlighted = page.locator("[data-nutgraf-cited]")
    expect(highlighted).to_have_count(1)
    expect(highlighted).to_have_text(expected["citations"][0]["text"])
    assert highlighted.get_attribute("data-sentence") == str(expected["citations"][0]["sentence_index"])
    page.wait_for_timeout(500)  # lets the smooth scroll settle before the picture, asserts nothing
    screenshot(page, "answer-highlighted.png", full_page=False)
    widget.screenshot(path=str(ARTIFACTS / "widget.png"))


def test_related_questions_arrive_when_ready_and_answer_in_place(page, site):
    base, _, _ = site
    document = json.loads((FIXTURES / "late-article.json").read_text(encoding="utf-8"))
    ingested = httpx.post(f"{base}/v1/articles", json=document, headers=ADMIN, timeout=120).json()
    page.goto(f"{base}/articles/{ingested['results'][0]['id']}")
    expect(page.locator("nutgraf-ask .related-pending")).to_be_visible()
    first = page.locator("nutgraf-ask .related li button").first
    expect(first).to_be_visible(timeout=60_000)
    expect(page.locator("nutgraf-ask .related-pending")).to_be_hidden()
    question = first.locator(".question").evaluate("node => node.firstChild.textContent")
    first.click()
    widget = page.locator("nutgraf-ask")
    expect(widget.locator(".asked")).to_have_text(f"You asked: {question}")
    expect(widget.locator(".feedback")).to_be_visible()
    assert widget.locator(".answer-text .text").text_content().strip()
    assert page.get_by_role("textbox", name="Your question").input_value() == question


def test_a_hostile_question_is_shown_as_text(page, library):
    page.goto(library)
    question = ('<img src=x onerror="window.pwned=1;alert(1)">'
                '<script>window.pwned=2;alert(2)</script> Who reopened the library?')
    widget = ask(page, question)
    expect(widget.locator(".asked")).to_have_text(f"You asked: {question}")
    assert widget.locator("img").count() == 0 and widget.locator(".result script").count() == 0
    assert page.evaluate("window.pwned") is None
    assert page.dialogs == []
    widget.screenshot(path=str(ARTIFACTS / "hostile-question.png"))


def test_feedback_is_stored(page, library, site):
    _, db, _ = site
    page.goto(library)
    widget = ask(page, "Who is the head librarian?")
    widget.get_by_role("button", name="Helpful", exact=True).click()
    expect(widget.locator(".feedback-status")).to_have_text("Thanks for the feedback.")
    store = open_store(str(db))
    try:
        stored = store.feedback()
    finally:
        store.close()
    assert any(f.rating == "helpful" and f.question == "Who is the head librarian?" and f.citations
               for f in stored)


def test_on_a_publisher_page_without_markup_the_citation_is_quoted(page, site, publisher):
    base, _, ids = site
    origin, set_page = publisher
    article_id = ids["Kestrel Valley marathon draws a record field"]
    set_page(f"<!doctype html><title>Publisher</title><h1>Marathon</h1><p>The story, without sentence "
             f"markup.</p><script src=\"{base}/widget.js\" data-article=\"{article_id}\"></script>")
    expected = api_answer(site, "Kestrel Valley marathon draws a record field", "Who won the race?")
    page.goto(f"{origin}/marathon")
    widget = ask(page, "Who won the race?")  # a cross-origin call, allowed by --cors-origin
    expect(widget.locator(".answer-text .text")).to_have_text(shown(expected))
    widget.get_by_role("button", name="Source 1: show the cited sentence").click()
    expect(widget.locator("blockquote.quote")).to_contain_text(expected["citations"][0]["text"])
    screenshot(page, "publisher-page.png")


def test_the_page_reads_well_on_a_phone(browser, library):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(library)
    expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
    page.locator("nutgraf-ask").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    screenshot(page, "phone.png", full_page=False)
    context.close()
