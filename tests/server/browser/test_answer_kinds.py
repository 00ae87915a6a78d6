"""Every kind of answer (the server's newer fields), rendered by ``showAnswer``."""

import pytest

from .site import LIBRARY, MARATHON
from .widget import (
    ARTIFACTS, BROWSER, answer_of, expect, marked_text, open_publisher_page, plain, sentence, show_answer,
)

pytestmark = BROWSER


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


