"""The question log on both stores: what an ask keeps, grouping, counts, retention, the panel."""

import threading
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
import sqlite3

from nutgraf.insights.gaps import GAP_SHARE
from nutgraf.insights.recording import QuestionLog
from nutgraf.records import Feedback, Grade, Kind
from nutgraf.retrieval.embedder import get_embedder
from nutgraf.store import open_store
from tests.insights.asks import answer

from .test_store import make_article

NOW = datetime.now(timezone.utc)
ASK_COLUMNS = {"id", "asked_at", "question_id", "asked", "kind", "grade", "confidence", "latency_ms", "language",
               "panel", "sample", "rating"}


@pytest.fixture(params=["sqlite", "postgres"])
def location(request, tmp_path):
    return str(tmp_path / "log.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")


@pytest.fixture
def stores(location):
    opened = []

    def open_another():
        opened.append(open_store(location))
        return opened[-1]

    yield open_another
    for store in opened:
        store.close()


@pytest.fixture
def log(stores):
    store = stores()
    store.put_article(make_article())  # "a1"
    return QuestionLog(store, get_embedder().embed)


def rows(store, sql: str) -> list[tuple]:
    if store.url.startswith("postgresql://"):
        with psycopg.connect(store.url) as db:
            return db.execute(sql).fetchall()
    with sqlite3.connect(store.url) as db:
        return db.execute(sql).fetchall()


def columns(store, table: str) -> set[str]:
    if store.url.startswith("postgresql://"):
        found = rows(store, f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'")
    else:
        found = [(r[1],) for r in rows(store, f"PRAGMA table_info({table})")]
    return {name for (name,) in found}


def test_an_ask_keeps_what_was_asked_and_answered_and_nothing_of_the_reader(log):
    follow_up = answer("And the fare?", Grade.CLOSEST, resolved="What is the new ferry fare?", kind=Kind.PHRASE,
                       language="en", confidence=0.4213, total_ms=611.6)
    ask_id = log.record(follow_up, "a1", source="panel")
    assert len(ask_id) == 16 and int(ask_id, 16) >= 0
    assert columns(log.store, "asks") == ASK_COLUMNS  # no address, browser, cookie or conversation
    [(asked, kind, grade, confidence, latency, language, panel, sample, rating)] = rows(
        log.store, "SELECT asked, kind, grade, confidence, latency_ms, language, panel, sample, rating FROM asks")
    assert (asked, kind, grade, language, latency, panel, sample, rating) == (
        "And the fare?", "phrase", "closest", "en", 612, 1, 0, None)
    assert confidence == pytest.approx(0.4213, abs=1e-4)
    [(article_id, text)] = rows(log.store, "SELECT article_id, text FROM insight_questions")
    assert (article_id, text) == ("a1", "What is the new ferry fare?")  # grouped as resolved
    conversation = follow_up.conversation_id
    for table in ("asks", "insight_questions", "insight_groups", "insight_days", "panel_questions"):
        assert not any(conversation in str(row) for row in rows(log.store, f"SELECT * FROM {table}"))


def test_near_identical_wordings_are_one_group_and_other_questions_another(log):
    for question in ("How much will the new electric ferry cost?", "how much will the electric ferry cost",
                     "How much will the new electric ferry cost ?", "Who voted against the rescue plan?"):
        log.record(answer(question, Grade.NONE), "a1")
    log.record(answer("Who voted against the ferry rescue plan?"), "a1")
    log.record(answer("How much will the electric ferry cost?"), None)  # the whole archive is apart
    groups = log.store.question_groups("a1")
    assert [(g.counts.asks, g.counts.none, g.counts.answer) for g in groups] == [(3, 3, 0), (2, 1, 1)]
    wordings = log.store.group_wordings([g.id for g in groups])
    assert wordings[groups[0].id] == [("How much will the new electric ferry cost?", 2),
                                      ("how much will the electric ferry cost", 1)]
    assert sorted(text for text, _ in wordings[groups[1].id]) == [
        "Who voted against the ferry rescue plan?", "Who voted against the rescue plan?"]
    everywhere = log.store.question_groups(None)
    assert [(g.article_id, g.counts.asks) for g in everywhere] == [("a1", 3), ("a1", 2), (None, 1)]
    assert everywhere[0].article_title == "Title a1" and everywhere[2].article_title is None


def test_counts_of_a_period_agree_with_the_counts_kept(log):
    old = NOW - timedelta(days=10)
    log.record(answer("When is the summit?", Grade.NONE), "a1", asked_at=old)
    for grade in (Grade.NONE, Grade.CLOSEST, Grade.ANSWER):
        log.record(answer("When is the summit?", grade), "a1")
    ask_id = log.record(answer("Where is the summit?"), "a1", source="panel")
    assert log.rate(ask_id, "wrong_citation") and log.rate(ask_id, "not_helpful")  # the last rating counts
    assert not log.rate("0" * 16, "helpful") and not log.rate("not an id", "helpful")
    def period(article_id, days):
        return log.store.period_groups(article_id, NOW - timedelta(days=days), min_unanswered_share=0, limit=20)

    kept = {g.id: g.counts for g in log.store.question_groups("a1")}
    assert kept == {g.id: g.counts for g in period("a1", 30)[1]} == {g.id: g.counts for g in period(None, 30)[1]}
    assert [g.article_title for g in period(None, 30)[1]] == ["Title a1"] * 2
    recent = {g.id: g.counts.asks for g in period("a1", 1)[1]}
    assert sorted(recent.values()) == [1, 3]
    where = next(counts for counts in kept.values() if counts.asks == 1)
    assert (where.panel, where.not_helpful, where.wrong_citation) == (1, 1, 0)
    days = log.store.ask_days(None, None)
    assert [d.counts.asks for d in days] == [1, 4] and days[0].day == old.date().isoformat()
    assert log.store.ask_days("a1", None) == days
    assert [d.counts.asks for d in log.store.ask_days("a1", NOW - timedelta(days=1))] == [4]


def test_gaps_are_the_groups_mostly_left_unanswered_most_asked_first(log):
    def ask(question, grades):
        for grade in grades:
            log.record(answer(question, grade), "a1")

    ask("When will the summit be held?", [Grade.NONE] * 2 + [Grade.ANSWER] * 3)  # answered mostly: no gap
    ask("What will Russia do if the missiles are sent?", [Grade.NONE] * 3 + [Grade.CLOSEST])
    ask("Who will attend the summit?", [Grade.CLOSEST, Grade.ANSWER])  # half: a gap
    ask("Why was the meeting cancelled?", [Grade.NONE])
    gaps = log.store.question_groups("a1", rank="unanswered", min_unanswered_share=GAP_SHARE)
    assert [(g.counts.unanswered, g.counts.asks) for g in gaps] == [(4, 4), (1, 2), (1, 1)]
    assert log.store.period_groups("a1", NOW - timedelta(days=1), min_unanswered_share=GAP_SHARE, limit=20) == (
        gaps, log.store.question_groups("a1"), [])
    articles = log.store.asked_articles()
    assert [(a, t, c.asks, c.unanswered) for a, t, c in articles] == [("a1", "Title a1", 12, 8)]
    _, _, period = log.store.period_groups(None, NOW - timedelta(days=1), min_unanswered_share=GAP_SHARE, limit=1)
    assert period == articles


def test_retention_removes_old_asks_their_wordings_and_counts(log):
    log.record(answer("What did Zelensky say?"), "a1", asked_at=NOW - timedelta(days=100))
    log.record(answer("When is Zelensky visiting?", Grade.NONE), "a1", asked_at=NOW - timedelta(days=100))
    log.record(answer("When is Zelensky visiting?", Grade.NONE), "a1", asked_at=NOW)
    assert log.store.expire_asks(NOW - timedelta(days=90)) == 2
    [group] = log.store.question_groups(None)
    assert (group.counts.asks, group.counts.none) == (1, 1)
    assert [text for (text,) in rows(log.store, "SELECT text FROM insight_questions")] == ["When is Zelensky visiting?"]
    assert len(rows(log.store, "SELECT id FROM insight_groups")) == 1
    assert [d.counts.asks for d in log.store.ask_days(None, None)] == [1]
    assert log.store.expire_asks(NOW + timedelta(seconds=5)) == 1
    assert rows(log.store, "SELECT count(*) FROM insight_questions") == [(0,)]
    assert log.store.question_groups(None) == [] and log.store.ask_days(None, None) == []


def test_the_panel_counts_what_it_showed_and_what_was_opened(log):
    shown = [{"question": "Who hosts the summit?", "article_id": "a1"},
             {"question": "When was the call?", "article_id": "a1"}]
    log.shown(shown)
    log.shown(shown[:1])
    log.record(answer("Who hosts the summit?"), "a1", source="panel")
    log.record(answer("who hosts the summit"), "a1")  # typed, not a click
    pull = log.store.panel_pull("a1")
    assert [(p.question, p.shown, p.clicks) for p in pull] == [("Who hosts the summit?", 2, 1), ("When was the call?", 1, 0)]
    assert log.store.panel_pull(None) == pull and log.store.panel_pull("other") == []


def test_feedback_keeps_the_ask_it_rates_and_is_found_by_article(log):
    ask_id = log.record(answer("When is the summit?", Grade.NONE), "a1")
    log.store.add_feedback(Feedback("helpful", "Who?", article_id="a2"))
    rated = log.store.add_feedback(Feedback("not_helpful", "When is the summit?", article_id="a1", ask_id=ask_id))
    assert log.store.feedback(article_id="a1", ratings=("not_helpful", "wrong_citation")) == [rated]
    assert log.store.feedback(ratings=("wrong_citation",)) == [] and len(log.store.feedback()) == 2


def test_writers_racing_on_a_new_wording_keep_one_wording_and_one_group(stores):
    writers = [QuestionLog(stores(), get_embedder().embed) for _ in range(4)]
    start = threading.Barrier(len(writers))

    def record(log):
        start.wait()
        for _ in range(5):
            log.record(answer("Is the summit confirmed?"), "a1")

    threads = [threading.Thread(target=record, args=(log,)) for log in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [group] = writers[0].store.question_groups("a1")
    assert group.counts.asks == 20
    assert rows(writers[0].store, "SELECT count(*) FROM insight_questions") == [(1,)]
