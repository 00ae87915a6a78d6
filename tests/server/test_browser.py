"""The widget in a real browser (Debian's Chromium, headless) against ``nutgraf serve``.

Screenshots go to test-artifacts/server/.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from nutgraf.llm import model_path
from nutgraf.store import open_store
from tests.conftest import EXTRACTIVE_THRESHOLD
from tests.server.conftest import FIXTURES, fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, free_port, read_events, serve_process

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "server"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
MARATHON = "Kestrel Valley marathon draws a record field"
LIBRARY = "Fernhill library reopens after a two-year rebuild"
RELAY_HOLD_SECONDS = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


class PublisherSite(BaseHTTPRequestHandler):
    """A publisher's site on an origin of its own. Every path is its article page, except
    /relay/..., which passes requests on to the nutgraf server: an answer stream is held
    before its final answer while ``hold`` is set, so a test sees what comes first."""

    def do_GET(self):
        if self.path.startswith("/relay/"):
            self.pass_on()
            return
        self.reply(200, "text/html; charset=utf-8", self.server.page)

    def do_POST(self):
        if self.path.startswith("/relay/v1/ask"):
            self.relay_answer()
        else:
            self.pass_on()

    def pass_on(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        response = httpx.request(self.command, self.upstream_url(), content=body or None, timeout=120,
                                 headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
        self.reply(response.status_code, response.headers["content-type"], response.content)

    def relay_answer(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.asked.append(json.loads(body))
        with httpx.stream("POST", self.upstream_url(), content=body, timeout=300,
                          headers={"Content-Type": "application/json", "Accept": "text/event-stream"}) as response:
            events = read_events(response) if response.status_code == 200 else None
            if events is None:
                self.reply(response.status_code, response.headers["content-type"], response.read())
                return
        assert events[0][0] == "evidence", "the server sends the evidence first"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        for kind, data in events:
            if kind == "answer" and self.server.hold.is_set():
                self.server.holding.set()
                assert self.server.released.wait(RELAY_HOLD_SECONDS), "the test never let the answer go"
            self.wfile.write(f"event: {kind}\ndata: {data}\n\n".encode())
            self.wfile.flush()
            self.server.sent.append((kind, data))

    def upstream_url(self) -> str:
        return self.server.upstream + self.path.removeprefix("/relay")

    def reply(self, status: int, content_type: str, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Publisher:
    """The publisher's site: its origin, the page it serves, and the relay's hold."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), PublisherSite)
        self.server.page = b""
        self.server.asked = []  # the questions relayed (request bodies), in order
        self.server.sent = []  # (event, data) of the answer streams relayed, in order
        self.server.hold = threading.Event()
        self.server.holding = threading.Event()
        self.server.released = threading.Event()
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.relay = f"{self.origin}/relay/"

    def relay_to(self, upstream: str) -> None:
        """Relays to the nutgraf server at ``upstream``."""
        self.server.upstream = upstream

    def show(self, html: str) -> None:
        self.server.page = html.encode()

    def hold_answers(self) -> None:
        for event in (self.server.holding, self.server.released):
            event.clear()
        self.server.hold.set()

    def wait_until_holding(self) -> None:
        assert self.server.holding.wait(RELAY_HOLD_SECONDS), "no answer reached the relay"

    def release(self) -> None:
        self.server.hold.clear()
        self.server.released.set()


@pytest.fixture(scope="module")
def publisher():
    """The publisher's site; its relay goes to the demo site's server once that is up."""
    publisher = Publisher()
    thread = threading.Thread(target=publisher.server.serve_forever, daemon=True)
    thread.start()
    yield publisher
    publisher.release()
    publisher.server.shutdown()


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def library(site) -> str:
    base, _, ids = site
    return f"{base}/articles/{ids[LIBRARY]}"


@pytest.fixture(scope="module")
def sentences(site):
    """Citations of every sentence, by article title and sentence index."""
    base, _, ids = site

    def of(title: str) -> dict[int, dict]:
        article = httpx.get(f"{base}/v1/articles/{ids[title]}", timeout=30).json()
        return {s["index"]: {"article_id": ids[title], "sentence_index": s["index"], "start": s["start"],
                             "end": s["end"], "text": s["text"]} for s in article["sentences"]}

    return {title: of(title) for title in (MARATHON, LIBRARY)}


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


def sentence(sentences: dict, title: str, opening: str) -> dict:
    """The citation of the sentence of ``title`` that begins with ``opening``."""
    return next(c for c in sentences[title].values() if c["text"].startswith(opening))


def with_markers(text: str, count: int) -> str:
    return f"{text} " + "".join(f"[{n}]" for n in range(1, count + 1)) if count else text


def plain(text: str) -> str:
    return " ".join(text.split())


def shown(answer: dict) -> str:
    """The words the widget shows for an answer of today's server (no grade, kind or points)."""
    if answer["answerable"]:
        return answer["answer"][0].upper() + answer["answer"][1:]
    note = answer["note"] or ""
    return note if note.startswith("The article does not say") else plain(f"The article does not say. {note}")


def open_publisher_page(page, site, publisher, api: str | None = None, article: bool = True):
    """The publisher's marathon page (no nutgraf markup) with the widget from the nutgraf server,
    for the marathon article or (``article=False``) the whole archive."""
    base, _, ids = site
    widget = f'<script src="{base}/widget.js" data-article="{ids[MARATHON] if article else ""}"'
    widget += f' data-api="{api}"></script>' if api else "></script>"
    publisher.show((FIXTURES / "publisher-marathon.html").read_text(encoding="utf-8").replace("WIDGET_SCRIPT", widget))
    page.goto(f"{publisher.origin}/marathon")
    expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
    return page.locator("nutgraf-ask")


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


def show_answer(page, answer: dict) -> None:
    page.evaluate("answer => document.querySelector('nutgraf-ask').showAnswer(answer)", answer)


def marked_text(page, selector: str) -> str:
    """The page's text inside the marks `selector` finds, in page order."""
    return plain("".join(page.locator(selector).all_text_contents()))


# -- the demo site (sentences marked up)


def test_an_answer_streams_in_and_its_citation_highlights_the_sentence(page, site, library):
    question = "How much did the rebuild cost?"
    expected = api_answer(site, LIBRARY, question)
    page.goto(library)
    expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
    screenshot(page, "article.png")

    widget = ask(page, question)
    expect(widget.locator(".result .answer")).to_have_text(with_markers(shown(expected), len(expected["citations"])))
    cited = page.locator('[data-nutgraf-highlight="cited"]')
    expect(cited).to_have_count(1)  # the exact path: the marked-up sentence, no <mark> added
    expect(cited).to_have_text(expected["citations"][0]["text"])
    assert cited.get_attribute("data-sentence") == str(expected["citations"][0]["sentence_index"])
    assert page.locator("mark").count() == 0

    marker = widget.locator(".result").get_by_role("button", name="Source 1: show the cited sentence")
    expect(marker).to_have_text("[1]")
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-nutgraf-current]")).to_have_text(expected["citations"][0]["text"])
    expect(page.locator("[data-nutgraf-current]")).to_be_in_viewport()
    expect(marker).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(500)  # lets the smooth scroll settle before the picture, asserts nothing
    screenshot(page, "answer-highlighted.png", full_page=False)
    widget.screenshot(path=str(ARTIFACTS / "widget.png"))


def test_related_questions_arrive_when_ready_and_answer_in_place(page, site):
    base, _, _ = site
    document = json.loads((FIXTURES / "late-article.json").read_text(encoding="utf-8"))
    ingested = httpx.post(f"{base}/v1/articles", json=document, headers=ADMIN, timeout=120).json()
    article_id = ingested["results"][0]["id"]
    page.goto(f"{base}/articles/{article_id}")
    widget = page.locator("nutgraf-ask")
    expect(widget.locator(".related-pending")).to_be_visible()
    first = widget.locator(".questions li button.question").first
    expect(first).to_be_visible(timeout=60_000)
    expect(widget.locator(".related-pending")).to_be_hidden()
    with page.expect_request("**/v1/ask") as request:
        first.click()
    asked = json.loads(request.value.post_data)
    assert asked["question"] == first.text_content() and asked["conversation_id"] is None
    # The same answer as the API gives; the question may be one another article answers.
    expected = httpx.post(f"{base}/v1/ask", json=asked, timeout=120).json()
    expect(first).to_have_attribute("aria-expanded", "true")
    in_place = widget.locator(f"#{first.get_attribute('aria-controls')}")
    expect(in_place.locator(".answer")).to_have_attribute("aria-live", "polite")
    expect(in_place.locator(".answer")).to_have_text(with_markers(shown(expected), len(expected["citations"])))
    expect(in_place.locator(".answer")).to_have_attribute("aria-busy", "false")
    in_page = [c["text"] for c in expected["citations"] if c["article_id"] == article_id]
    cited = page.locator('[data-nutgraf-highlight="cited"]')
    expect(cited).to_have_text(in_page)
    assert widget.locator(".result").is_hidden()  # answered in the panel, not in the Ask box
    assert page.get_by_role("textbox", name="Your question").input_value() == ""

    first.click()  # a second click folds the answer away and takes its highlight off
    expect(first).to_have_attribute("aria-expanded", "false")
    expect(in_place).to_be_hidden()
    expect(cited).to_have_count(0)


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


def test_the_page_reads_well_on_a_phone(browser, library):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(library)
    expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
    page.locator("nutgraf-ask").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    screenshot(page, "phone.png", full_page=False)
    context.close()


# -- a publisher's page without nutgraf markup


def test_on_a_page_without_markup_the_cited_sentence_is_found_highlighted_and_scrolled_to(page, site, publisher):
    expected = api_answer(site, MARATHON, "Who won the race?")
    citation = expected["citations"][0]
    assert "Hana Lindqvist" in citation["text"]
    widget = open_publisher_page(page, site, publisher)
    story = page.locator("article")
    original = story.inner_html()

    widget = ask(page, "Who won the race?")  # a cross-origin call, allowed by --cors-origin
    expect(widget.locator(".result .answer")).to_have_text(with_markers(shown(expected), 1))
    marks = 'article mark[data-nutgraf-highlight="cited"]'
    assert marked_text(page, marks) == plain(citation["text"])
    assert page.locator("article em mark").count() == 1  # split across the page's own elements
    assert page.locator(".most-read mark").count() == 0  # the teaser outside the article is not the story
    background = page.locator(marks).first.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background == "rgb(255, 241, 168)"  # the widget's highlight, not the page's own mark style

    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator(marks).first).not_to_be_in_viewport()
    widget.locator(".result").get_by_role("button", name="Source 1: show the cited sentence").click()
    current = page.locator("article mark[data-nutgraf-current]")
    assert marked_text(page, "article mark[data-nutgraf-current]") == plain(citation["text"])
    expect(current.first).to_be_in_viewport()
    assert widget.locator("blockquote.quote").count() == 0  # found in the page: nothing to quote
    page.wait_for_timeout(500)  # lets the smooth scroll settle before the picture, asserts nothing
    screenshot(page, "publisher-highlighted.png", full_page=False)

    show_answer(page, {**expected, "answerable": False, "answer": None, "note": None, "citations": []})
    expect(page.locator("mark")).to_have_count(0)
    assert story.inner_html() == original  # the page's markup exactly as it was


def test_a_sentence_with_other_quote_marks_or_edited_words_is_still_found(page, site, publisher, sentences):
    course = sentence(sentences, MARATHON, "The course was changed")  # "straight" quotes, the page's are curly
    edited = sentence(sentences, MARATHON, "Organisers said")  # the page says "Organizers said the race had"
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of("list", [course, edited], points=[
        {"text": "The new route is flatter", "citations": [course]},
        {"text": "The race raised money for the hospital", "citations": [edited]}]))
    widget.locator(".result").get_by_role("button", name="Source 1: show the cited sentence").click()
    assert marked_text(page, "article mark[data-nutgraf-current]") == (
        "The course was changed this year to avoid the closed Miller Road bridge. \u201cThe new route is "
        "flatter, and the times show it,\u201d said race director Paul Ekwueme.")
    # The speaker's name is a link of the page's own: the mark is inside it and the link stays.
    expect(page.locator('article a[href="/people/paul-ekwueme"] mark')).to_have_text("Paul Ekwueme")
    widget.locator(".result").get_by_role("button", name="Source 2: show the cited sentence").click()
    assert marked_text(page, "article mark[data-nutgraf-current]") == (
        "Organizers said the race had raised money for the valley hospital.")
    # Too short to be found by its edges with errors: only folding quote marks and dashes finds it.
    pull_quote = {**course, "sentence_index": 90, "text": '"Flatter - and faster"'}
    show_answer(page, answer_of("quote", [pull_quote], points=[{"text": "Flatter", "citations": [pull_quote]}]))
    widget.locator(".result").get_by_role("button", name="Source 1: show the cited sentence").click()
    expect(page.locator("article mark[data-nutgraf-current]")).to_have_text("\u201cFlatter \u2013 and faster\u201d")


def test_the_sentence_being_read_is_highlighted_before_the_answer_arrives(page, site, publisher):
    question = "How many runners started the marathon?"
    expected = api_answer(site, MARATHON, question)
    widget = open_publisher_page(page, site, publisher, api=publisher.relay)
    answer = widget.locator(".result .answer")
    looking = page.locator('article mark[data-nutgraf-highlight="looking"]')
    publisher.hold_answers()
    try:
        box = page.get_by_role("textbox", name="Your question")
        box.fill(question)
        box.press("Enter")
        publisher.wait_until_holding()
        expect(looking.first).to_be_visible()
        expect(answer).to_have_text("Reading\u2026")
        expect(answer).to_have_attribute("aria-busy", "true")
        expect(widget.locator(".feedback")).to_be_hidden()
        expect(widget.get_by_role("button", name="Asking\u2026")).to_be_disabled()
        assert page.locator('mark[data-nutgraf-highlight="cited"]').count() == 0
        screenshot(page, "reading.png")
    finally:
        publisher.release()

    expect(widget.locator(".feedback")).to_be_visible()
    expect(answer).to_have_attribute("aria-busy", "false")
    expect(looking).to_have_count(0)
    assert marked_text(page, 'article mark[data-nutgraf-highlight="cited"]') == plain(expected["citations"][0]["text"])


# -- every kind of answer (the server's newer fields), rendered by showAnswer


def answer_of(kind: str, citations: list[dict], **fields) -> dict:
    return {"question": "A question?", "resolved_question": "A question?", "answer": None, "answerable": True,
            "confidence": 0.9, "kind": kind, "grade": "answer", "verdict": None, "points": [],
            "citations": citations, "explanation": None, "note": None, "related": [],
            "conversation_id": "c0ffee", "mode": "extractive", "timings_ms": {}, **fields}


@pytest.mark.parametrize(("verdict", "badge"), [("yes", "Yes"), ("no", "No"), ("not-decided", "Not decided yet")])
def test_a_yes_no_answer_shows_its_verdict_before_the_answer(page, site, publisher, sentences, verdict, badge):
    cited = sentence(sentences, MARATHON, "Organisers said")
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of("yes-no", [cited], verdict=verdict,
                                answer=f"{badge}: organisers said the race raised money for the valley hospital"))
    line = widget.locator(".result .answer-text")
    expect(line).to_have_text(f"{badge} Organisers said the race raised money for the valley hospital [1]")
    expect(line.locator(".badge")).to_have_text(badge)
    assert line.locator(".badge").evaluate("node => node.innerText") == badge  # as rendered, in sentence case
    assert line.locator(".badge").evaluate("node => node === node.parentNode.firstChild")
    show_answer(page, answer_of("yes-no", [cited], verdict=verdict, answer=badge))  # the verdict alone
    expect(line).to_have_text(f"{badge} [1]")


@pytest.mark.parametrize("kind", ["list", "overview"])
def test_list_and_overview_answers_show_items_each_with_its_markers(page, site, publisher, sentences, kind):
    runners, winner, course = (sentence(sentences, MARATHON, opening)
                               for opening in ("A record", "The race was won", "The course was"))
    points = [{"text": "A record 4,800 runners started", "citations": [runners]},
              {"text": "Hana Lindqvist won in 2 hours 31 minutes", "citations": [winner]},
              {"text": "The course avoided the closed bridge", "citations": [course, runners]}]
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of(kind, [runners, winner, course], points=points,
                                answer="; ".join(p["text"] for p in points)))
    items = widget.locator(".result ul.points > li")
    expect(items).to_have_text([f"{points[0]['text']} [1]", f"{points[1]['text']} [2]",
                                f"{points[2]['text']} [3][1]"])
    items.nth(2).get_by_role("button", name="Source 3: show the cited sentence").click()
    assert marked_text(page, "article mark[data-nutgraf-current]").startswith("The course was changed")
    items.nth(2).get_by_role("button", name="Source 1: show the cited sentence").click()
    assert marked_text(page, "article mark[data-nutgraf-current]") == plain(runners["text"])


def test_a_quote_answer_shows_the_quote_and_its_speaker(page, site, publisher, sentences):
    cited = sentence(sentences, MARATHON, "The course was")
    text = "\u201cThe new route is flatter, and the times show it,\u201d said race director Paul Ekwueme"
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of("quote", [cited], answer=text, points=[{"text": text, "citations": [cited]}]))
    expect(widget.locator(".result blockquote.point-quote")).to_have_text(f"{text} [1]")


def test_a_quotes_translation_is_shown_beside_the_quote_labelled_and_as_text(page, site, publisher, sentences):
    course, runners = sentence(sentences, MARATHON, "The course was"), sentence(sentences, MARATHON, "A record")
    said = "\u201cThe new route is flatter, and the times show it,\u201d said race director Paul Ekwueme"
    hostile = '<img src=x onerror="window.pwned=1">'
    points = [{"text": said, "citations": [course], "translation": f"La nueva ruta es más llana {hostile}"},
              {"text": "\u201cA record field,\u201d he said", "citations": [runners], "translation": None}]
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of("quote", [course, runners], answer=said, points=points))
    items = widget.locator(".result ul.points > li")
    expect(items.nth(0).locator("blockquote.point-quote")).to_have_text(f"{said} [1]")  # the words as said
    expect(items.nth(0).locator(".translation")).to_have_text(f"Translation: La nueva ruta es más llana {hostile}")
    assert items.nth(0).locator("blockquote .translation").count() == 0
    assert items.nth(0).locator(".translation").evaluate("node => node.previousElementSibling.tagName") == "BLOCKQUOTE"
    expect(items.nth(1).locator(".translation")).to_have_count(0)
    assert widget.locator("img").count() == 0 and page.evaluate("window.pwned") is None


def test_an_explanation_in_two_sentences_shows_two_cited_paragraphs(page, site, publisher, sentences):
    course = sentence(sentences, MARATHON, "The course was")
    runners = sentence(sentences, MARATHON, "A record")
    widget = open_publisher_page(page, site, publisher)
    points = [{"text": "The Miller Road bridge is closed.", "citations": [course]},
              {"text": "So the route changed for a record field.", "citations": [course, runners]}]
    show_answer(page, answer_of("explanation", [course, runners], points=points, answer="The bridge is closed"))
    expect(widget.locator(".result .points p")).to_have_text([f"{points[0]['text']} [1]",
                                                               f"{points[1]['text']} [1][2]"])


def test_the_closest_grade_shows_the_sentence_that_comes_closest(page, site, publisher, sentences):
    cited = sentence(sentences, MARATHON, "Organisers said")
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of("phrase", [cited], grade="closest", answerable=False, note=cited["text"]))
    answer = widget.locator(".result .answer")
    expect(answer.locator(".lead")).to_have_text("The article comes closest here:")
    expect(answer.locator("blockquote.closest")).to_have_text(f"{cited['text']} [1]")
    answer.get_by_role("button", name="Source 1: show the cited sentence").click()
    assert marked_text(page, "article mark[data-nutgraf-current]") == (
        "Organizers said the race had raised money for the valley hospital.")


def test_the_closest_label_is_shown_once_before_the_sentence_of_the_note(page, site, publisher, sentences):
    cited = sentence(sentences, MARATHON, "Organisers said")
    widget = open_publisher_page(page, site, publisher)
    note = f"The article comes closest here: \u201c{cited['text']}\u201d"  # as the server writes it
    show_answer(page, answer_of("phrase", [cited], grade="closest", answerable=False, note=note))
    answer = widget.locator(".result .answer")
    assert answer.evaluate("node => node.innerText").count("comes closest here") == 1
    expect(answer.locator(".lead")).to_have_text("The article comes closest here:")
    expect(answer.locator("blockquote.closest")).to_have_text(f"{cited['text']} [1]")
    show_answer(page, answer_of("phrase", [cited], grade="closest", answerable=False, note=None))
    expect(answer.locator("blockquote.closest")).to_have_text(f"{cited['text']} [1]")  # from the citation


def test_the_none_grade_says_plainly_the_article_does_not_say(page, site, publisher, sentences):
    cited = sentence(sentences, MARATHON, "The course was")
    widget = open_publisher_page(page, site, publisher)
    answer = widget.locator(".result .answer")
    note = "It says the course was changed to avoid the closed Miller Road bridge."
    show_answer(page, answer_of("when", [cited], grade="none", answerable=False, note=note))
    expect(answer).to_have_text(f"The article does not say. {note} [1]")
    said = "The article does not say who timed the race; it says the course was changed."
    show_answer(page, answer_of("when", [cited], grade="none", answerable=False, note=said))
    expect(answer).to_have_text(f"{said} [1]")  # the note says it already: not twice
    show_answer(page, answer_of("who-is", [], grade="none", answerable=False))
    expect(answer).to_have_text("The article does not say.")
    expect(answer.locator(".cite")).to_have_count(0)


def test_a_widget_for_the_whole_archive_speaks_of_the_articles(page, site, publisher, sentences):
    cited = sentence(sentences, MARATHON, "Organisers said")
    widget = open_publisher_page(page, site, publisher, article=False)
    answer = widget.locator(".result .answer")
    note = f"The articles come closest here: \u201c{cited['text']}\u201d"
    show_answer(page, answer_of("phrase", [cited], grade="closest", answerable=False, note=note))
    expect(answer.locator(".lead")).to_have_text("The articles come closest here:")
    expect(answer.locator("blockquote.closest")).to_have_text(f"{cited['text']} [1]")
    show_answer(page, answer_of("phrase", [], grade="none", answerable=False))
    expect(answer).to_have_text("The articles do not say.")
    note = "The article does not say who timed the race."
    show_answer(page, answer_of("phrase", [cited], grade="none", answerable=False, note=note))
    expect(answer).to_have_text(f"{note} [1]")


def test_no_marker_points_nowhere(page, site, publisher, sentences):
    runners = sentence(sentences, MARATHON, "A record")
    elsewhere = sentence(sentences, LIBRARY, "The library will open")
    broken = [{"article_id": runners["article_id"], "sentence_index": 99},  # no text to show
              {"article_id": runners["article_id"], "sentence_index": "1", "text": "x"},
              None]
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of("list", [runners, elsewhere, *broken], points=[
        {"text": "Runners", "citations": [runners, *broken]},
        {"text": "A library", "citations": [elsewhere]},
        {"text": "Uncited", "citations": []}]))
    expect(widget.locator(".result ul.points > li")).to_have_text(["Runners [1]", "A library [2]", "Uncited"])
    widget.locator(".result").get_by_role("button", name="Source 1: show the cited sentence").click()
    assert marked_text(page, "article mark[data-nutgraf-current]") == plain(runners["text"])
    # Another article's sentence is not in this page: it is quoted in the widget instead.
    widget.locator(".result").get_by_role("button", name="Source 2: show the cited sentence").click()
    expect(widget.locator(".result blockquote.quote")).to_have_text(f"Source 2, from the article{elsewhere['text']}")
    expect(page.locator("article mark[data-nutgraf-current]")).to_have_count(0)


def test_answers_from_todays_server_without_the_newer_fields_still_render(page, site, publisher, sentences):
    cited = sentence(sentences, MARATHON, "The race was won")
    widget = open_publisher_page(page, site, publisher)
    today = {"question": "Who won?", "answer": "hana Lindqvist", "answerable": True, "confidence": 0.8,
             "citations": [cited], "explanation": cited["text"], "note": None, "related": [],
             "conversation_id": "c0ffee", "mode": "extractive", "timings_ms": {}}
    show_answer(page, today)
    expect(widget.locator(".result .answer")).to_have_text("Hana Lindqvist [1]")
    show_answer(page, {**today, "answer": None, "answerable": False, "note": cited["text"]})
    expect(widget.locator(".result .answer")).to_have_text(f"The article does not say. {cited['text']} [1]")
    expect(widget.locator(".resolved")).to_be_hidden()


def test_text_that_looks_like_html_is_shown_as_text(page, site, publisher, sentences):
    base, _, ids = site
    cited = sentence(sentences, MARATHON, "The race was won")
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>bold</b>'
    widget = open_publisher_page(page, site, publisher)
    show_answer(page, answer_of("list", [cited], question=f"{hostile} Who won?", answer=hostile,
                                points=[{"text": f"{hostile} first", "citations": [cited]}]))
    expect(widget.locator(".asked")).to_have_text(f"You asked: {hostile} Who won?")
    expect(widget.locator(".result .points li")).to_have_text(f"{hostile} first [1]")
    show_answer(page, answer_of("yes-no", [{**cited, "text": f"{cited['text']} {hostile}"}], question=f"{hostile}?",
                                verdict="yes", answer=f"Yes: {hostile}", resolved_question=f"{hostile} resolved"))
    expect(widget.locator(".result .answer-text")).to_have_text(f"Yes {hostile} [1]")
    expect(widget.locator(".resolved")).to_have_text(f"Answering: {hostile} resolved")
    page.evaluate("panel => document.querySelector('nutgraf-ask').showExplore(panel)", {
        "article_id": ids[MARATHON],
        "key_points": [{"text": f"{hostile} point", "citations": [cited]}],
        "questions": [{"question": f"{hostile} question", "answer_preview": hostile, "kind": "phrase",
                       "confidence": 0.9, "citations": [cited], "article_id": ids[LIBRARY],
                       "article_title": hostile, "article_url": "javascript:window.pwned=3", "bridge": True}]})
    expect(widget.locator(".key-points li")).to_have_text(f"{hostile} point [1]")
    expect(widget.locator("button.question")).to_have_text(f"{hostile} question")
    link = widget.locator(".from a")
    expect(link).to_have_text(hostile)
    assert link.get_attribute("href") == f"{base}/articles/{ids[LIBRARY]}"  # never a javascript: link
    assert widget.locator("img, script, b").count() == 0
    assert page.locator("article img, article b, article script").count() == 0
    assert page.evaluate("window.pwned") is None and page.dialogs == []
    widget.screenshot(path=str(ARTIFACTS / "hostile-answer.png"))


# -- the explore panel


def test_the_explore_panel_puts_key_points_first_and_answers_questions_in_place(page, site, publisher, sentences):
    base, _, ids = site
    runners, winner, course = (sentence(sentences, MARATHON, opening)
                               for opening in ("A record", "The race was won", "The course was"))
    library_answer = api_answer(site, LIBRARY, "When will the library open seven days a week?")
    widget = open_publisher_page(page, site, publisher)
    page.evaluate("panel => document.querySelector('nutgraf-ask').showExplore(panel)", {
        "article_id": ids[MARATHON],
        "key_points": [{"text": "A record 4,800 runners started", "citations": [runners]},
                       {"text": "Hana Lindqvist won", "citations": [winner]},
                       {"text": "The course avoided a closed bridge", "citations": [course]}],
        "questions": [
            {"question": "Who won the race?", "answer_preview": "Hana Lindqvist", "kind": "who-is",
             "confidence": 0.9, "citations": [winner], "article_id": ids[MARATHON], "bridge": False},
            {"question": "When will the library open seven days a week?", "answer_preview": "October 1",
             "kind": "when", "confidence": 0.9, "citations": library_answer["citations"],
             "article_id": ids[LIBRARY], "article_title": LIBRARY, "bridge": True}]})
    expect(widget.locator(".section-title")).to_have_text(["In short", "Explore related questions"])
    expect(widget.locator(".key-points li")).to_have_text([
        "A record 4,800 runners started [1]", "Hana Lindqvist won [2]", "The course avoided a closed bridge [3]"])
    widget.locator(".key-points").get_by_role("button", name="Source 2: show the cited sentence").click()
    assert marked_text(page, "article mark[data-nutgraf-current]") == plain(winner["text"])

    questions = widget.locator("button.question")
    expect(questions).to_have_text(["Who won the race?", "When will the library open seven days a week?"])
    expect(widget.locator(".questions > li").first.locator(".from")).to_have_count(0)
    from_line = widget.locator(".questions > li").nth(1).locator(".from")
    expect(from_line).to_have_text(f"From: {LIBRARY}")
    assert from_line.locator("a").get_attribute("href") == f"{base}/articles/{ids[LIBRARY]}"

    questions.first.focus()
    with page.expect_response("**/v1/ask") as response:
        page.keyboard.press("Enter")
    assert json.loads(response.value.request.post_data)["article_id"] == ids[MARATHON]
    assert response.value.headers["content-type"].startswith("text/event-stream")
    in_place = widget.locator(f"#{questions.first.get_attribute('aria-controls')} .answer")
    expect(in_place).to_contain_text("Hana Lindqvist")
    expect(in_place).to_have_attribute("aria-busy", "false")
    assert marked_text(page, 'article mark[data-nutgraf-highlight="cited"]') == plain(winner["text"])
    screenshot(page, "explore.png")

    # The bridge question is answered from the other article, whose sentences this page lacks.
    with page.expect_response("**/v1/ask") as response:
        questions.nth(1).click()
    assert json.loads(response.value.request.post_data)["article_id"] == ids[LIBRARY]
    bridged = widget.locator(f"#{questions.nth(1).get_attribute('aria-controls')}")
    expect(bridged.locator(".answer")).to_contain_text("October 1")
    bridged.get_by_role("button", name="Source 1: show the cited sentence").click()
    expect(bridged.locator("blockquote.quote")).to_contain_text(library_answer["citations"][0]["text"])
    expect(page.locator("mark")).to_have_count(0)


def test_a_question_of_the_panel_continues_the_readers_conversation(page, site, publisher, sentences):
    _, _, ids = site
    winner = sentence(sentences, MARATHON, "The race was won")
    widget = open_publisher_page(page, site, publisher, api=publisher.relay)
    ask(page, "Who won the race?")
    conversation = json.loads(publisher.server.sent[-1][1])["conversation_id"]
    assert conversation
    page.evaluate("panel => document.querySelector('nutgraf-ask').showExplore(panel)", {
        "article_id": ids[MARATHON], "key_points": [],
        "questions": [{"question": "How long did she take?", "answer_preview": "2 hours 31 minutes",
                       "kind": "phrase", "confidence": 0.9, "citations": [winner],
                       "article_id": ids[MARATHON], "bridge": False}]})
    expect(widget.locator(".in-short")).to_be_hidden()  # no key points, no empty "In short"
    widget.locator("button.question").click()
    expect(widget.locator(".in-place .answer")).to_have_attribute("aria-busy", "false")
    assert publisher.server.asked[-1] == {"question": "How long did she take?", "article_id": ids[MARATHON],
                                          "conversation_id": conversation}


# -- a real language model's stream


@pytest.fixture(scope="module")
def llm_site(tmp_path_factory):
    """A server answering with a real language model (SmolLM2: small, fast, weak), which
    streams `delta` events, behind a publisher of its own: (base URL, database, ids, publisher)."""
    publisher = Publisher()
    threading.Thread(target=publisher.server.serve_forever, daemon=True).start()
    db = tmp_path_factory.mktemp("browser-llm") / "nutgraf.db"
    env = {"NUTGRAF_ADMIN_KEYS": ADMIN_KEY, "NUTGRAF_RELATED_ON_INGEST": "0"}
    try:
        with serve_process(db, "--model", str(model_path("smollm2-135m")), "--rate-limit", "0", env=env) as base:
            response = httpx.post(f"{base}/v1/articles", json=fixture_documents(), headers=ADMIN, timeout=120)
            assert response.status_code == 200, response.text
            publisher.relay_to(base)
            yield base, db, {r["title"]: r["id"] for r in response.json()["results"]}, publisher
    finally:
        publisher.release()
        publisher.server.shutdown()


def test_a_models_answer_shows_as_it_is_written_then_the_checked_answer_replaces_it(page, llm_site):
    base, db, ids, publisher = llm_site
    # Asked of the whole archive, so no explore panel keeps the model busy working out questions.
    widget = open_publisher_page(page, (base, db, ids), publisher, api=publisher.relay, article=False)
    answer = widget.locator(".result .answer")
    publisher.hold_answers()
    try:
        box = page.get_by_role("textbox", name="Your question")
        box.fill("Who won the Kestrel Valley marathon?")
        box.press("Enter")
        publisher.wait_until_holding()
        deltas = [json.loads(data)["text"] for kind, data in publisher.server.sent if kind == "delta"]
        assert "".join(deltas).strip(), publisher.server.sent
        expect(answer.locator(".answer-text.streaming .text")).to_have_text("".join(deltas))
        expect(answer).to_have_attribute("aria-busy", "true")
        expect(page.locator('article mark[data-nutgraf-highlight="looking"]').first).to_be_visible()
        widget.screenshot(path=str(ARTIFACTS / "streaming.png"))
    finally:
        publisher.release()
    expect(answer).to_have_attribute("aria-busy", "false")
    final = json.loads(publisher.server.sent[-1][1])
    assert publisher.server.sent[-1][0] == "answer" and final["mode"].startswith("llm:")
    expect(answer.locator(".streaming")).to_have_count(0)
    expect(page.locator('mark[data-nutgraf-highlight="looking"]')).to_have_count(0)
    expect(answer.locator(".cite")).to_have_count(len({(c["article_id"], c["sentence_index"])
                                                       for c in final["citations"]}))
