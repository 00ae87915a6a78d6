"""The demo site, whose pages mark their sentences up: answers, their highlights, feedback."""

import json

import httpx

from nutgraf.store import open_store
from tests.server.conftest import FIXTURES
from tests.server.live import ADMIN

from .site import LIBRARY
from .widget import ARTIFACTS, BROWSER, api_answer, ask, expect, screenshot, shown, with_markers

pytestmark = BROWSER


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


