"""The job queue (see :mod:`nutgraf.jobs`) in SQL that SQLite and PostgreSQL run alike.

A backend mixes in :class:`SQLJobQueue`, with its ``_connection()`` and ``_transaction()``,
and names its :class:`Dialect`: how it writes a parameter, the time now, and how a claim
passes over the rows other claimers hold. Times are the database's own clock, so servers
whose clocks differ still agree on whose heartbeat is stale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    placeholder: str  # a query parameter
    now: str  # the time now, as the jobs table keeps times
    seconds_ago: str  # the time a parameter's number of seconds before now
    skip_locked: str  # ends the SELECT of a claim: others claiming at once pass over its row

    def render(self, sql: str) -> str:
        sql = sql.format(now=self.now, seconds_ago=self.seconds_ago, skip_locked=self.skip_locked)
        return sql.replace("%s", self.placeholder)


ENQUEUE = """
INSERT INTO jobs (kind, article_id, state, queued_at) VALUES (%s, %s, 'queued', {now})
ON CONFLICT (kind, article_id) DO UPDATE SET
    again = (jobs.state = 'running'),
    attempts = CASE WHEN jobs.state = 'running' THEN jobs.attempts ELSE 0 END,
    state = CASE WHEN jobs.state = 'running' THEN jobs.state ELSE 'queued' END,
    queued_at = excluded.queued_at, error = NULL
"""
GIVE_UP = """
UPDATE jobs SET state = 'failed', error = 'stopped without finishing, too often', finished_at = {now}
WHERE kind = %s AND state = 'running' AND heartbeat_at < {seconds_ago} AND attempts >= %s
"""
CLAIM = """
UPDATE jobs SET state = 'running', worker = %s, started_at = {now}, heartbeat_at = {now},
    attempts = attempts + 1, again = false
WHERE (kind, article_id) = (
    SELECT kind, article_id FROM jobs
    WHERE kind = %s AND (state = 'queued' OR (state = 'running' AND heartbeat_at < {seconds_ago}))
    ORDER BY queued_at, article_id LIMIT 1 {skip_locked})
RETURNING article_id
"""
HEARTBEAT = """
UPDATE jobs SET heartbeat_at = {now} WHERE kind = %s AND article_id = %s AND worker = %s AND state = 'running'
"""
FINISH = """
UPDATE jobs SET state = CASE WHEN again THEN 'queued' WHEN CAST(%s AS text) IS NULL THEN 'done' ELSE 'failed' END,
    again = false, error = %s, finished_at = {now}
WHERE kind = %s AND article_id = %s AND worker = %s AND state = 'running'
"""
STATE = "SELECT state FROM jobs WHERE kind = %s AND article_id = %s"
COUNTS = "SELECT state, count(*) FROM jobs WHERE kind = %s GROUP BY state"


class SQLJobQueue:
    """:class:`~nutgraf.store.base.JobQueue` over a backend's connections and dialect."""

    dialect: Dialect

    def enqueue(self, kind: str, article_ids: list[str]) -> int:
        with self._transaction() as db:
            for article_id in article_ids:
                db.execute(self.dialect.render(ENQUEUE), (kind, article_id))
        return len(article_ids)

    def claim(self, kind: str, worker: str, stale_after: float, max_attempts: int) -> str | None:
        # One transaction: on SQLite one claimer at a time; on PostgreSQL SKIP LOCKED keeps
        # claimers on other servers from waiting on the row being claimed.
        with self._transaction() as db:
            db.execute(self.dialect.render(GIVE_UP), (kind, stale_after, max_attempts))
            rows = db.execute(self.dialect.render(CLAIM), (worker, kind, stale_after)).fetchall()
        return rows[0][0] if rows else None

    def heartbeat(self, kind: str, article_id: str, worker: str) -> bool:
        with self._transaction() as db:
            return db.execute(self.dialect.render(HEARTBEAT), (kind, article_id, worker)).rowcount > 0

    def finish(self, kind: str, article_id: str, worker: str, error: str | None = None) -> None:
        with self._transaction() as db:
            db.execute(self.dialect.render(FINISH), (error, error, kind, article_id, worker))

    def job_state(self, kind: str, article_id: str) -> str | None:
        with self._connection() as db:
            row = db.execute(self.dialect.render(STATE), (kind, article_id)).fetchone()
        return row[0] if row else None

    def job_counts(self, kind: str) -> dict[str, int]:
        with self._connection() as db:
            rows = db.execute(self.dialect.render(COUNTS), (kind,)).fetchall()
        return {state: count for state, count in rows}
