from nutgraf.answering import structures
from nutgraf.answering.overview import key_points
from nutgraf.records import Sentence, TimeExpression


def sentence(text: str, index: int = 0, paragraph: int = 0) -> Sentence:
    return Sentence(index, 0, len(text), paragraph, text)


def test_a_list_is_found_after_its_introduction_with_or_without_markers(archive):
    bridge = archive.article(archive.bridge_id)
    intro = next(s.index for s in bridge.sentences if s.text.endswith("includes:"))
    items = [span.text for span in structures.bullet_items(bridge.sentences, intro)]
    assert items == ["a 120-metre steel deck", "lighting powered by solar panels",
                     "a viewing platform above the weir"]
    assert structures.list_intro(bridge.sentences, intro + 2) == intro
    assert structures.list_intro(bridge.sentences, intro - 1) is None

    marked = [sentence("Three issues remain:", 0, 0), sentence("- the budget", 1, 1),
              sentence("- the route", 2, 2), sentence("The vote is on Friday.", 3, 3)]
    assert [s.text for s in structures.bullet_items(marked, 0)] == ["the budget", "the route"]
    assert structures.list_intro(marked, 2) == 0


def test_clauses_split_where_a_reader_can_take_them_alone():
    text = ("Nevertheless, the mayor called the talks “productive,” while the council warned that "
            "any delay would be seen as a failure.")
    pieces = [span.text for span in structures.clauses(sentence(text))]
    assert pieces == ["the mayor called the talks “productive,”",
                      "the council warned that any delay would be seen as a failure."]
    best = structures.best_clause("Did the council warn about a delay?", sentence(text))
    assert structures.readable(best) == "The council warned that any delay would be seen as a failure."


def test_descriptions_come_from_the_title_or_the_apposition(archive):
    bridge = archive.article(archive.bridge_id)
    mayor = next(e for e in bridge.entities if e.name == "Elena Kowalski")
    assert structures.description(bridge, mayor).text == "Mayor"
    osei = next(e for e in bridge.entities if e.name == "Martin Osei")
    assert structures.description(bridge, osei).text == "Councillor"


def test_dates_read_against_publication():
    resolved = TimeExpression("yesterday", 0, 9, 0, "2025-10-16")
    assert structures.when_phrase(resolved) == "16 October 2025 (“yesterday”)"
    unresolved = TimeExpression("yesterday", 0, 9, 0, None)
    assert structures.when_phrase(unresolved) == "the day before the article was published (“yesterday”)"
    assert structures.when_phrase(TimeExpression("April 30", 0, 8, 0, "2024-04-30")) == "30 April 2024 (“April 30”)"


def test_key_points_cover_the_story_from_its_lede(archive):
    bridge = archive.article(archive.bridge_id)
    points = key_points(bridge)
    assert 2 <= len(points) <= 3
    assert points[0].sentence.index == 0  # the lede
    indexes = [p.sentence.index for p in points]
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    assert all(p.text in p.sentence.text for p in points)


def test_a_description_can_come_before_the_name():
    from nutgraf.records import Article, Entity, Mention

    text = "The museum's director, Dr. Felix Amadi, opened the exhibition."
    start = text.index("Felix")
    article = Article("a1", text, sentences=[sentence(text)],
                      entities=[Entity("Felix Amadi", "PERSON", [Mention(0, start, start + 11, "Felix Amadi")])])
    assert structures.description(article, article.entities[0]).text == "The museum's director"


def article_of(text: str):
    from nutgraf.analysis.analyzer import analyse
    from nutgraf.records import Article

    analysis = analyse(text)
    return Article("a1", text, sentences=analysis.sentences, entities=analysis.entities, quotes=analysis.quotes)


def test_key_points_open_the_first_paragraphs_one_a_paragraph():
    text = ("The Riverside council voted on Thursday to build a footbridge across the Maple River. "
            "The vote ended three years of debate.\n\n"
            "“This is the missing link for people who walk to work,” Mayor Elena Kowalski said. "
            "Construction is expected to begin in September and cost about $4.5 million.\n\n"
            "Scroll down for video of the council meeting in the town hall on Thursday night.\n\n"
            "Will the bridge be ready for the summer festival in the old mill district?\n\n"
            "Councillor Martin Osei, who voted against the plan, warned that the budget leaves no room.\n\n"
            "Residents can comment on the final design of the footbridge until April 30.")
    article = article_of(text)
    points = key_points(article)
    assert [p.text for p in points] == [
        "The Riverside council voted on Thursday to build a footbridge across the Maple River.",
        "Construction is expected to begin in September and cost about $4.5 million.",
        "Councillor Martin Osei, who voted against the plan, warned that the budget leaves no room."]
    assert len({p.sentence.paragraph for p in points}) == 3


def test_a_text_without_paragraphs_has_a_point_a_sentence_without_its_dateline():
    text = ("(CNN)The Riverside council voted on Thursday to build a footbridge across the Maple River. "
            "Construction is expected to begin in September and cost about $4.5 million. "
            "Why did it take three years? "
            "Residents can comment on the final design until April 30. Pictured: the river at dawn")
    points = key_points(article_of(text))
    assert [structures.readable(p) for p in points] == [
        "The Riverside council voted on Thursday to build a footbridge across the Maple River.",
        "Construction is expected to begin in September and cost about $4.5 million.",
        "Residents can comment on the final design until April 30."]
    assert all(p.text in p.sentence.text for p in points)


def test_a_point_that_says_what_a_chosen_one_says_is_passed_over():
    import numpy as np

    text = ("The Riverside council voted on Thursday to build a footbridge across the Maple River. "
            "On Thursday the Riverside council voted to build a footbridge across the Maple River. "
            "Construction is expected to begin in September and cost about $4.5 million. "
            "Residents can comment on the final design until April 30.")
    article = article_of(text)
    same, other, third = np.eye(3, dtype=np.float32)
    article.embeddings = np.vstack([same, same, other, third])
    assert [p.sentence.index for p in key_points(article)] == [0, 2, 3]
