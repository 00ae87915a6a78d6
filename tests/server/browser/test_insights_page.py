"""The insights page in a real browser: what readers asked, the story gaps, escaped as text;
and the widget telling the log which questions came from the explore panel."""

import json

import httpx

from tests.server.live import ADMIN_KEY

from .site import LIBRARY, MARATHON
from .widget import BROWSER, ask, expect, open_publisher_page, screenshot, sentence

pytestmark = BROWSER

HOSTILE = '<img src=x onerror="alert(1)">Does the <b>library</b> have a café?'


def test_the_widget_flags_panel_questions_and_rates_the_ask_it_was_given(page, site, publisher, sentences):
    base, _, ids = site
    winner = sentence(sentences, MARATHON, "The race was won")
    widget = open_publisher_page(page, site, publisher)
    page.evaluate("panel => document.querySelector('nutgraf-ask').showExplore(panel)", {
        "article_id": ids[MARATHON], "key_points": [],
        "questions": [{"question": "Who won the race?", "answer_preview": "Hana Lindqvist", "kind": "who-is",
                       "confidence": 0.9, "citations": [winner], "article_id": ids[MARATHON], "bridge": False}]})
    question = widget.locator("button.question").first
    with page.expect_request("**/v1/ask") as opened:
        question.click()
    assert json.loads(opened.value.post_data)["source"] == "panel"
    expect(widget.locator(f"#{question.get_attribute('aria-controls')} .answer")).to_have_attribute("aria-busy", "false")

    with page.expect_request("**/v1/ask") as typed:
        ask(page, "How many runners started the race?")
    assert json.loads(typed.value.post_data)["source"] == "box"
    with page.expect_request("**/v1/feedback") as rated:
        widget.get_by_role("button", name="Not helpful").click()
    ask_id = json.loads(rated.value.post_data)["ask_id"]
    assert len(ask_id) == 16 and int(ask_id, 16) >= 0
    expect(widget.locator(".feedback-status")).to_have_text("Thanks for the feedback.")


def test_the_insights_page_shows_an_editor_what_the_story_does_not_answer(browser, site):
    base, _, ids = site
    library = ids[LIBRARY]
    for question in (HOSTILE, HOSTILE, "Who designed the library's new reading room?",
                     "Who designed the new reading room?", "How much did the rebuild cost?"):
        response = httpx.post(f"{base}/v1/ask", json={"question": question, "article_id": library}, timeout=120)
        assert response.status_code == 200

    anonymous = browser.new_context()  # the browser asks for the key; without one the answer is 401
    try:
        refused = anonymous.request.get(f"{base}/insights")
        assert refused.status == 401 and refused.headers["www-authenticate"].startswith("Basic")
    finally:
        anonymous.close()

    context = browser.new_context(viewport={"width": 1200, "height": 900},
                                  http_credentials={"username": "editor", "password": ADMIN_KEY})
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        assert page.goto(f"{base}/insights?article={library}").status == 200
        expect(page.get_by_role("heading", level=1)).to_contain_text(LIBRARY)
        gaps = page.locator("table.gaps tbody tr")
        expect(gaps.filter(has_text=HOSTILE)).to_have_count(1)  # the question's markup shown as text
        expect(page.locator("main img, main b")).to_have_count(0)
        hostile = gaps.filter(has_text=HOSTILE)
        expect(hostile.locator("td").nth(1)).to_have_text("2")
        expect(page.locator("table.groups")).to_contain_text("Who designed the library's new reading room?")
        bars = page.locator("svg g.day")
        assert bars.count() >= 1
        today = bars.last
        expect(today.locator("title")).to_contain_text("questions")
        assert today.locator("rect.grade-none, rect.grade-closest, rect.grade-answer").count() >= 1
        screenshot(page, "insights.png")

        page.goto(f"{base}/insights")  # the whole archive: the library's gaps under its title
        expect(page.locator("h3.story", has_text=LIBRARY)).to_have_count(1)
        page.get_by_role("link", name=LIBRARY).first.click()
        expect(page).to_have_url(f"{base}/insights?article={library}")
        assert dialogs == [] and errors == []
    finally:
        context.close()
