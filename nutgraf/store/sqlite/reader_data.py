"""The SQLite store's reader data: conversations, their turns, and feedback."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from ...records import Conversation, Feedback, Turn
from ..base import merged_ids, new_feedback_id
from ..rows import now_text, utc_text
from .database import Database


class SQLiteReaderData(Database):
    def append_turn(self, conversation_id: str, turn: Turn) -> int:
        now = now_text()
        with self._transaction() as db:  # BEGIN IMMEDIATE: one writer at a time, in every process
            row = db.execute("SELECT article_ids FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            article_ids = merged_ids(json.loads(row[0]) if row else [], turn.article_ids)
            db.execute(
                "INSERT INTO conversations (id, created_at, last_used_at, article_ids) VALUES (?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET last_used_at = excluded.last_used_at,"
                " article_ids = excluded.article_ids", (conversation_id, now, now, json.dumps(article_ids)))
            position = db.execute("SELECT coalesce(max(position) + 1, 0) FROM turns WHERE conversation_id = ?",
                                  (conversation_id,)).fetchone()[0]
            db.execute(
                "INSERT INTO turns (conversation_id, position, asked_at, question, answer, article_ids, people,"
                " resolved) VALUES (?,?,?,?,?,?,?,?)",
                (conversation_id, position, now, turn.question, turn.answer, json.dumps(turn.article_ids),
                 json.dumps(turn.people), turn.resolved))
        return position

    def conversation_turns(self, conversation_id: str, limit: int | None = None) -> list[Turn]:
        rows = self._db.execute(
            "SELECT question, answer, article_ids, people, resolved FROM turns WHERE conversation_id = ?"
            " ORDER BY position DESC LIMIT ?", (conversation_id, -1 if limit is None else limit)).fetchall()
        return [Turn(r[0], r[1], json.loads(r[2]), json.loads(r[3]), r[4]) for r in reversed(rows)]

    def conversation(self, conversation_id: str) -> Conversation | None:
        row = self._db.execute(
            "SELECT id, created_at, last_used_at, article_ids,"
            " (SELECT count(*) FROM turns WHERE conversation_id = c.id) FROM conversations c WHERE id = ?",
            (conversation_id,)).fetchone()
        return Conversation(row[0], row[1], row[2], json.loads(row[3]), row[4]) if row else None

    def expire_conversations(self, older_than: datetime) -> int:
        with self._transaction() as db:  # their turns go with them (ON DELETE CASCADE)
            return db.execute("DELETE FROM conversations WHERE last_used_at < ?", (utc_text(older_than),)).rowcount

    def add_feedback(self, feedback: Feedback) -> Feedback:
        stored = replace(feedback, id=feedback.id or new_feedback_id(), received_at=feedback.received_at or now_text())
        with self._transaction() as db:
            db.execute(
                "INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id,"
                " conversation_id, ask_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (stored.id, stored.received_at, stored.rating, stored.question, stored.answer, stored.comment,
                 json.dumps(stored.citations), stored.article_id, stored.conversation_id, stored.ask_id))
        return stored

    def feedback(self, since: datetime | None = None, limit: int | None = None, *, article_id: str | None = None,
                 ratings: tuple[str, ...] | None = None) -> list[Feedback]:
        where, params = ["received_at >= ?"], ["" if since is None else utc_text(since)]
        if article_id is not None:
            where.append("article_id = ?")
            params.append(article_id)
        if ratings is not None:
            where.append(f"rating IN ({', '.join('?' * len(ratings)) or 'NULL'})")
            params += ratings
        rows = self._db.execute(
            "SELECT id, received_at, rating, question, answer, comment, citations, article_id, conversation_id, ask_id"
            f" FROM feedback WHERE {' AND '.join(where)} ORDER BY received_at DESC, rowid DESC LIMIT ?",
            (*params, -1 if limit is None else limit)).fetchall()
        return [Feedback(id=r[0], received_at=r[1], rating=r[2], question=r[3], answer=r[4], comment=r[5],
                         citations=json.loads(r[6]), article_id=r[7], conversation_id=r[8], ask_id=r[9]) for r in rows]
