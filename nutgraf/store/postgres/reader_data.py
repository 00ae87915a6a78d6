"""The PostgreSQL store's reader data: conversations, their turns, and feedback."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from psycopg.types.json import Jsonb

from ...records import Conversation, Feedback, Turn
from ..base import merged_ids, new_feedback_id
from ..rows import utc_text
from .database import Database


class PostgresReaderData(Database):
    def append_turn(self, conversation_id: str, turn: Turn) -> int:
        with self._transaction() as db:
            # The upsert takes the conversation's row lock, so appends to one conversation
            # queue here; read committed then shows each the turns committed before it.
            (article_ids,) = db.execute(
                "INSERT INTO conversations (id) VALUES (%s) ON CONFLICT (id) DO UPDATE"
                " SET last_used_at = clock_timestamp() RETURNING article_ids", (conversation_id,)).fetchone()
            merged = merged_ids(article_ids, turn.article_ids)
            if merged != article_ids:
                db.execute("UPDATE conversations SET article_ids = %s WHERE id = %s", (Jsonb(merged), conversation_id))
            (position,) = db.execute("SELECT coalesce(max(position) + 1, 0) FROM turns WHERE conversation_id = %s",
                                     (conversation_id,)).fetchone()
            db.execute(
                "INSERT INTO turns (conversation_id, position, question, answer, article_ids, people, resolved)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s)",
                (conversation_id, position, turn.question, turn.answer, Jsonb(turn.article_ids), Jsonb(turn.people),
                 turn.resolved))
        return position

    def conversation_turns(self, conversation_id: str, limit: int | None = None) -> list[Turn]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT question, answer, article_ids, people, resolved FROM turns WHERE conversation_id = %s"
                " ORDER BY position DESC LIMIT %s", (conversation_id, limit)).fetchall()
        return [Turn(*row) for row in reversed(rows)]

    def conversation(self, conversation_id: str) -> Conversation | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT id, created_at, last_used_at, article_ids,"
                " (SELECT count(*) FROM turns WHERE conversation_id = c.id) FROM conversations c WHERE id = %s",
                (conversation_id,)).fetchone()
        return Conversation(row[0], utc_text(row[1]), utc_text(row[2]), row[3], row[4]) if row else None

    def expire_conversations(self, older_than: datetime) -> int:
        with self._connection() as db:  # their turns go with them (ON DELETE CASCADE)
            return db.execute("DELETE FROM conversations WHERE last_used_at < %s", (older_than,)).rowcount

    def add_feedback(self, feedback: Feedback) -> Feedback:
        stored = replace(feedback, id=feedback.id or new_feedback_id())
        with self._connection() as db:
            (received_at,) = db.execute(
                "INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id,"
                " conversation_id, ask_id) VALUES (%s, coalesce(%s::timestamptz, clock_timestamp()),"
                " %s,%s,%s,%s,%s,%s,%s,%s) RETURNING received_at",
                (stored.id, stored.received_at or None, stored.rating, stored.question, stored.answer,
                 stored.comment, Jsonb(stored.citations), stored.article_id, stored.conversation_id,
                 stored.ask_id)).fetchone()
        return replace(stored, received_at=utc_text(received_at))

    def feedback(self, since: datetime | None = None, limit: int | None = None, *, article_id: str | None = None,
                 ratings: tuple[str, ...] | None = None) -> list[Feedback]:
        where, params = ["true"], []
        for clause, value in (("received_at >= %s", since), ("article_id = %s", article_id),
                              ("rating = ANY(%s)", None if ratings is None else list(ratings))):
            if value is not None:
                where.append(clause)
                params.append(value)
        with self._connection() as db:
            rows = db.execute(
                "SELECT id, received_at, rating, question, answer, comment, citations, article_id, conversation_id,"
                f" ask_id FROM feedback WHERE {' AND '.join(where)} ORDER BY received_at DESC, seq DESC LIMIT %s",
                (*params, limit)).fetchall()
        return [Feedback(id=r[0], received_at=utc_text(r[1]), rating=r[2], question=r[3], answer=r[4], comment=r[5],
                         citations=r[6], article_id=r[7], conversation_id=r[8], ask_id=r[9]) for r in rows]
