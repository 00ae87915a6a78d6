"""Conversations and feedback: tables of their own on both stores, apart from the cache."""

import json
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from nutgraf.records import Feedback, Turn
from nutgraf.store import open_store
from nutgraf.store.postgres import schema as postgres_schema
from nutgraf.store.sqlite import schema as sqlite_schema

from .test_store import make_article

NOW = datetime.now(timezone.utc)


def is_postgres(store) -> bool:
    return store.url.startswith("postgresql://")


def backdate(store, conversation_id: str, days: float) -> None:
    """Make a conversation look unused for ``days``, as if it had been asked long ago."""
    when = NOW - timedelta(days=days)
    if is_postgres(store):
        with psycopg.connect(store.url, autocommit=True) as db:
            db.execute("UPDATE conversations SET last_used_at = %s WHERE id = %s", (when, conversation_id))
    else:
        with sqlite3.connect(store.url) as db:
            db.execute("UPDATE conversations SET last_used_at = ? WHERE id = ?",
                       (when.isoformat(timespec="seconds"), conversation_id))


def test_turns_are_appended_in_order_and_read_back(store):
    first = Turn("Who hosts the summit?", "Viktor Orban", ["a1"], ["Viktor Orban"])
    second = Turn("When?", None, ["a2", "a1"])
    assert store.append_turn("c1", first) == 0
    assert store.append_turn("c1", second) == 1
    assert store.conversation_turns("c1") == [first, second]
    assert store.conversation_turns("c1", limit=1) == [second]  # the last ones, oldest first
    assert store.conversation_turns("unknown") == []

    conversation = store.conversation("c1")
    assert conversation.turns == 2 and conversation.article_ids == ["a1", "a2"]
    assert conversation.created_at <= conversation.last_used_at
    assert datetime.fromisoformat(conversation.last_used_at) >= NOW - timedelta(minutes=1)
    assert store.conversation("unknown") is None


def test_racing_appends_to_one_conversation_lose_nothing(store_factory):
    writers = [store_factory() for _ in range(4)]
    start = threading.Barrier(len(writers))

    def append(n: int) -> None:
        start.wait()
        for k in range(10):
            writers[n].append_turn("shared", Turn(f"question {n}-{k}", None, [f"a{n}"]))

    threads = [threading.Thread(target=append, args=(n,)) for n in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    turns = writers[0].conversation_turns("shared")
    assert sorted(t.question for t in turns) == sorted(f"question {n}-{k}" for n in range(4) for k in range(10))
    for n in range(4):  # each writer's turns keep their order
        mine = [t.question for t in turns if t.question.startswith(f"question {n}-")]
        assert mine == [f"question {n}-{k}" for k in range(10)]
    assert sorted(writers[0].conversation("shared").article_ids) == ["a0", "a1", "a2", "a3"]


def test_expiry_removes_old_conversations_and_keeps_feedback(store):
    store.put_article(make_article())
    for conversation_id in ("old", "recent"):
        store.append_turn(conversation_id, Turn("Where is the summit?", "Budapest", ["a1"]))
    backdate(store, "old", days=31)
    kept = store.add_feedback(Feedback("helpful", "Where is the summit?", "Budapest", article_id="a1",
                                       conversation_id="old"))

    assert store.expire_conversations(NOW - timedelta(days=30)) == 1
    assert store.conversation("old") is None and store.conversation_turns("old") == []
    assert store.conversation_turns("recent")[0].answer == "Budapest"
    assert [f.id for f in store.feedback()] == [kept.id]
    # Neither the article going nor its cache being dropped touches feedback.
    store.delete_article("a1")
    assert store.feedback() == [kept]
    assert store.expire_conversations(NOW + timedelta(days=1)) == 1
    assert store.feedback() == [kept]


def test_feedback_is_kept_whole_and_listed_newest_first(store):
    first = store.add_feedback(Feedback(
        "wrong_citation", "How long was the call?", "two hours", comment="Wrong sentence",
        citations=[{"article_id": "a1", "sentence_index": 1, "text": "The call lasted two hours."}],
        article_id="a1", conversation_id="c1"))
    second = store.add_feedback(Feedback("not_helpful", "Who won?"))
    assert first.id and second.id and first.id != second.id
    assert datetime.fromisoformat(first.received_at) >= NOW - timedelta(minutes=1)
    assert store.feedback() == [second, first]
    assert store.feedback(limit=1) == [second]
    assert store.feedback(since=NOW + timedelta(hours=1)) == []
    assert store.feedback(since=NOW - timedelta(hours=1)) == [second, first]
    assert store.feedback()[1].citations[0]["sentence_index"] == 1


# -- migration from version 1, which kept conversations and feedback in the cache

OLD_TURNS = [{"question": "Who hosts the summit?", "answer": "Viktor Orban", "article_ids": ["a1"],
              "people": ["Viktor Orban"]},
             {"question": "When is it?", "answer": None, "article_ids": ["a2", "a1"], "people": []}]
OLD_FEEDBACK = {"rating": "helpful", "question": "Who hosts the summit?", "answer": "Viktor Orban",
                "citations": [{"article_id": "a1", "sentence_index": 0, "text": "Budapest ..."}],
                "article_id": "a1", "conversation_id": "c1", "comment": None,
                "received_at": "2025-10-17T09:30:00+00:00"}


def version_1_sqlite(path) -> None:
    with sqlite3.connect(path) as db:
        for statement in sqlite_schema.statements(sqlite_schema.MIGRATIONS[0]):
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        rows = [("conversation", "c1", json.dumps(OLD_TURNS)), ("feedback", "f1", json.dumps(OLD_FEEDBACK)),
                ("related", "r1", json.dumps(["kept"]))]
        db.executemany("INSERT INTO cache (namespace, key, value, created_at) VALUES (?, ?, ?, "
                       "'2025-10-17T10:00:00+00:00')", rows)


def version_1_postgres(url) -> None:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        db.execute("CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz"
                   " NOT NULL DEFAULT now())")
        db.execute(postgres_schema.MIGRATIONS[0])
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        for namespace, key, value in [("conversation", "c1", OLD_TURNS), ("feedback", "f1", OLD_FEEDBACK),
                                      ("related", "r1", ["kept"])]:
            db.execute("INSERT INTO cache (namespace, key, value, created_at) VALUES"
                       " (%s, %s, %s, '2025-10-17T10:00:00+00:00')", (namespace, key, json.dumps(value)))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_old_database_moves_its_reader_data_out_of_the_cache(kind, request, tmp_path):
    if kind == "sqlite":
        location = str(tmp_path / "old.db")
        version_1_sqlite(location)
    else:
        location = request.getfixturevalue("postgres_url")
        version_1_postgres(location)
    store = open_store(location)
    try:
        assert store.conversation_turns("c1") == [Turn(**turn) for turn in OLD_TURNS]
        conversation = store.conversation("c1")
        assert sorted(conversation.article_ids) == ["a1", "a2"] and conversation.turns == 2
        assert conversation.last_used_at == "2025-10-17T10:00:00+00:00"
        [feedback] = store.feedback()
        assert feedback == Feedback(**{**OLD_FEEDBACK, "id": "f1"})
        assert store.cache_get("conversation", "c1") is None and store.cache_get("feedback", "f1") is None
        assert store.cache_get("related", "r1") == ["kept"]
        store.append_turn("c1", Turn("And who attends?", None, []))  # the conversation goes on
        assert len(store.conversation_turns("c1")) == 3
    finally:
        store.close()
