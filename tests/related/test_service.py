"""The explore panel through the service, with a scripted model, and its cache."""

import numpy as np

import pytest

from nutgraf import Nutgraf
from nutgraf.llm.scripted import ScriptedModel
from nutgraf.related.filters import same_template
from nutgraf.related.service import NAMESPACE
from tests.conftest import FIXTURES
from tests.related.conftest import script


def panel_of(nutgraf, **options):
    nutgraf.related_service.prepare(nutgraf.tunnel_id)  # the earlier story is ready for bridges
    return nutgraf.related(nutgraf.bridge_id, **options)


def test_the_panel_has_three_cited_key_points_from_different_parts(scripted):
    points = panel_of(scripted)["key_points"]
    assert len(points) == 3
    cited = [p["citations"][0]["sentence_index"] for p in points]
    assert cited == sorted(cited) and len(set(cited)) == 3
    article = scripted.article(scripted.bridge_id)
    for point in points:
        citation = point["citations"][0]
        assert article.text[citation["start"]:citation["end"]] == citation["text"]
        assert point["text"].rstrip(".").lower() in citation["text"].lower()


def test_every_question_shown_is_answered_again_with_its_citation(scripted):
    questions = [q for q in panel_of(scripted)["questions"] if not q["bridge"]]
    assert len(questions) >= 5
    for item in questions:
        answer = scripted.ask(item["question"], article_id=scripted.bridge_id)
        assert answer.answerable and answer.citations
        assert answer.citations[0].sentence_index == item["citations"][0]["sentence_index"]
        assert answer.kind == item["kind"]


def test_questions_mix_kinds_and_never_share_a_template_or_a_sentence(scripted):
    questions = [q for q in panel_of(scripted)["questions"] if not q["bridge"]]
    assert len({q["kind"] for q in questions}) >= 3
    texts = [q["question"] for q in questions]
    assert not any(same_template(a, b) for i, a in enumerate(texts) for b in texts[i + 1:])
    cited = [q["citations"][0]["sentence_index"] for q in questions]
    assert len(cited) == len(set(cited)) and 0 not in cited  # never the lede back
    vectors = scripted.retriever.embedder.embed(texts)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0)
    assert similarity.max() < 0.85


def test_questions_that_lean_on_the_story_are_not_shown(scripted):
    questions = [q["question"] for q in panel_of(scripted)["questions"]]
    assert questions
    written = [script(call) for call in scripted.model.calls if "Part:" in call[-1]["content"]]
    assert "What is this about?" in written  # what the scripted model writes for the rest
    assert "What is this about?" not in questions


def test_an_earlier_story_on_the_same_people_gives_a_bridge(scripted):
    bridges = [q for q in panel_of(scripted)["questions"] if q["bridge"]]
    assert bridges and bridges[0]["article_id"] == scripted.tunnel_id
    assert bridges[0]["article_title"].startswith("Harbour Street tunnel")
    tunnel = scripted.related(scripted.tunnel_id)["questions"]
    assert not any(q["bridge"] for q in tunnel)  # the later story is no bridge for the earlier one


def test_follow_ups_never_repeat_what_was_asked(scripted):
    first = panel_of(scripted)["questions"][0]["question"]
    after = [q["question"] for q in panel_of(scripted, after=first)["questions"]]
    assert after and first not in after
    answer = scripted.ask(first, article_id=scripted.bridge_id)
    followed = [q["question"] for q in panel_of(scripted, conversation_id=answer.conversation_id)["questions"]]
    assert followed and first not in followed


def test_the_panel_is_kept_and_dropped_when_the_article_changes(scripted, tmp_path):
    panel = panel_of(scripted)
    assert panel["key_points"] and panel["questions"]
    assert scripted.related_service.is_ready(scripted.bridge_id)
    calls = len(scripted.model.calls)
    panel_of(scripted)
    assert len(scripted.model.calls) == calls  # served from what was kept
    changed = (FIXTURES / "riverside-bridge.md").read_text().replace("7 to 2", "5 to 4")
    (tmp_path / "changed.md").write_text(changed)
    [outcome] = list(scripted.ingest([str(tmp_path / "changed.md")]))
    assert (outcome.article_id, outcome.status) == (scripted.bridge_id, "updated")
    assert scripted.store.cache_get(NAMESPACE, scripted.bridge_id) is None
    assert not scripted.related_service.is_ready(scripted.bridge_id)


CLOSURE = """---
title: Harbour Street footbridge shut for repairs
published: 2024-05-02
---
The Riverside council closed the Harbour Street footbridge on Monday after a routine inspection.

Engineers found that the steel cables of the Harbour Street footbridge were badly corroded. The council closed it because the cables could snap in high winds, city engineer Anna Berg said.

Repairs are expected to take four months and cost 300,000 dollars.
"""
# Why-questions the scripted model writes, by words of their sentence, and its readings of them.
WHY = {"could snap": "Why did the Riverside council close the Harbour Street footbridge?",
       "Engineers found": "Why did engineers check the Harbour Street footbridge cables?"}
WHY_READINGS = {WHY["could snap"]: "3: because the cables could snap in high winds",
                WHY["Engineers found"]: "2: the steel cables of the Harbour Street footbridge were badly corroded"}


def why_script(messages):
    last = messages[-1]["content"].rsplit("\n\n", 1)[-1]
    if last.startswith("Sentence:"):
        sentence = last.split("Part:", 1)[0]
        return next((q for words, q in WHY.items() if words in sentence), "What is this about?")
    return WHY_READINGS.get(last.removeprefix("Question:").strip(), "NONE")


@pytest.fixture(scope="module")
def closure(tmp_path_factory):
    folder = tmp_path_factory.mktemp("why")
    (folder / "closure.md").write_text(CLOSURE)
    nutgraf = Nutgraf(folder / "db.sqlite", llm=ScriptedModel(why_script), min_confidence=0.0)
    [outcome] = nutgraf.ingest([str(folder / "closure.md")])
    return nutgraf, outcome.article_id


def test_a_why_question_is_shown_only_when_its_answer_gives_a_reason(closure):
    nutgraf, article_id = closure
    shown = [q["question"] for q in nutgraf.related(article_id)["questions"]]
    assert WHY["could snap"] in shown
    fact = nutgraf.ask(WHY["Engineers found"], article_id=article_id)
    assert fact.grade == "answer"  # answered, but with a fact that gives no reason
    assert WHY["Engineers found"] not in shown
