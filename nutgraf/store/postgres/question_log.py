"""The question log on PostgreSQL: the shared SQL, with the locks several servers need."""

from __future__ import annotations

from ..question_log import SQLQuestionLog

GROUPING_LOCK = 7_242_002  # advisory lock class (any constant, unique within this database's users)


class PostgresQuestionLog(SQLQuestionLog):
    # A wording found is locked, so that expiry cannot remove it before its new ask is in.
    locking_read = " FOR UPDATE"

    def _lock_grouping(self, db, scope: str) -> None:
        # Two servers grouping new wordings of one article take turns, so that two readers
        # typing the same new question at once never start two groups for it.
        db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (GROUPING_LOCK, scope))
