import numpy as np
import pytest

from nutgraf import Nutgraf
from nutgraf.records import Document
from nutgraf.related.service import NAMESPACE
from tests.conftest import EXTRACTIVE_THRESHOLD, FIXTURES


@pytest.fixture
def archive(tmp_path):
    nutgraf = Nutgraf(tmp_path / "db.sqlite", model="none", min_confidence=EXTRACTIVE_THRESHOLD)
    [outcome] = list(nutgraf.ingest([str(FIXTURES / "riverside-bridge.md")]))
    nutgraf.bridge_id = outcome.article_id
    return nutgraf


def test_every_related_question_is_answered_with_a_citation(archive):
    questions = archive.related(archive.bridge_id)["questions"]
    assert questions
    for item in questions:
        answer = archive.ask(item["question"], article_id=archive.bridge_id)
        assert answer.answerable and answer.citations
        assert answer.answer == item["answer_preview"]
        article = archive.article(item["citations"][0]["article_id"])
        citation = item["citations"][0]
        assert article.text[citation["start"]:citation["end"]] == citation["text"]


def test_questions_are_distinct(archive):
    questions = [q["question"] for q in archive.related(archive.bridge_id)["questions"]]
    vectors = archive.retriever.embedder.embed(questions)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0)
    assert similarity.max() < 0.85
    cited = [(q["citations"][0]["sentence_index"]) for q in archive.related(archive.bridge_id)["questions"]]
    assert len(cited) == len(set(cited))


def test_pool_is_cached_and_dropped_when_the_article_changes(archive, tmp_path):
    archive.related(archive.bridge_id)
    assert archive.related_service.is_ready(archive.bridge_id)
    cached = archive.store.cache_get(NAMESPACE, archive.bridge_id)
    assert cached["pool"]
    changed = (FIXTURES / "riverside-bridge.md").read_text().replace("7 to 2", "5 to 4")
    (tmp_path / "changed.md").write_text(changed)
    [outcome] = list(archive.ingest([str(tmp_path / "changed.md")]))
    assert (outcome.article_id, outcome.status) == (archive.bridge_id, "updated")
    assert archive.store.cache_get(NAMESPACE, archive.bridge_id) is None
    assert not archive.related_service.is_ready(archive.bridge_id)


def test_follow_ups_never_repeat_the_question_asked(archive):
    first = archive.related(archive.bridge_id)["questions"]
    asked = first[0]["question"]
    after = archive.related(archive.bridge_id, after=asked)["questions"]
    assert asked not in [q["question"] for q in after]
    answer = archive.ask(asked, article_id=archive.bridge_id)
    followed = archive.related(archive.bridge_id, conversation_id=answer.conversation_id)["questions"]
    assert asked not in [q["question"] for q in followed]


def test_ask_offers_follow_ups_once_related_questions_are_ready(archive):
    assert archive.ask("When will construction begin?", article_id=archive.bridge_id).related == []
    archive.related(archive.bridge_id)
    related = archive.ask("When will construction begin?", article_id=archive.bridge_id).related
    assert related and all(item["question"] != "When will construction begin?" for item in related)


def test_short_article_gets_fewer_questions_not_padding(tmp_path):
    nutgraf = Nutgraf(tmp_path / "db.sqlite", model="none", min_confidence=EXTRACTIVE_THRESHOLD)
    [outcome] = nutgraf.ingest_documents([Document(
        text="Mayor Elena Kowalski opened the new library in Riverside on Monday.",
        title="Library opens", origin="short")])
    questions = nutgraf.related(outcome.article_id)["questions"]
    assert len(questions) < 5
    assert len({q["question"] for q in questions}) == len(questions)


def test_checking_stops_once_enough_different_sentences_are_cited(archive, monkeypatch):
    from nutgraf.related import service

    monkeypatch.setattr(service, "ENOUGH_SENTENCES", 1)
    pool = archive.related_service.pool(archive.article(archive.bridge_id))
    assert len(pool) == 1


def _sentence_index(article, words):
    return next(s.index for s in article.sentences if words in s.text)


def test_a_question_answered_elsewhere_and_otherwise_is_dropped_as_ambiguous(archive):
    from nutgraf.related.generate import Candidate

    article = archive.article(archive.bridge_id)
    written_from = _sentence_index(article, "open in the summer of 2026")
    question = "When is construction expected to begin?"
    verify = archive.related_service._verify
    assert verify(Candidate(question, article.id, written_from, "model", expected="the summer of 2026"), article) is None
    kept = verify(Candidate(question, article.id, written_from, "model", expected="in September"), article)
    assert kept.answer_preview == "September"
    assert kept.citations[0]["sentence_index"] == _sentence_index(article, "begin in September")
    without_answer = verify(Candidate(question, article.id, written_from, "model"), article)
    assert without_answer.answer_preview == "September"
