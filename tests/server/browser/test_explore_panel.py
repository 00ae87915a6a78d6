"""The explore panel: key points first, then questions that answer in place."""

import json

from .site import LIBRARY, MARATHON
from .widget import (
    BROWSER, api_answer, ask, expect, marked_text, open_publisher_page, plain, screenshot, sentence,
)

pytestmark = BROWSER


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
                                          "conversation_id": conversation, "source": "panel"}


