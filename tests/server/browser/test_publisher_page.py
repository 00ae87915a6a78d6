"""A publisher's page without nutgraf markup: cited sentences found in its text, and the
sentence being read highlighted before the answer arrives."""

from .site import MARATHON
from .widget import (
    BROWSER, answer_of, api_answer, ask, expect, marked_text, open_publisher_page, plain, screenshot, sentence,
    show_answer, shown, with_markers,
)

pytestmark = BROWSER


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
        # Only an answer that has passed its checks is streamed; until then the widget is reading.
        expect(answer).to_have_text(expected["answer"] or "Reading\u2026")
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


