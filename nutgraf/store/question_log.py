"""The question log (see :mod:`nutgraf.insights`) in SQL that SQLite and PostgreSQL run alike.

A backend mixes in :class:`SQLQuestionLog` beside its ``_connection()``, ``_transaction()``
and :class:`~nutgraf.store.queue.Dialect`. Times in the log are whole seconds since 1970,
UTC, in both, so one SQL serves both and a day is ``asked_at / 86400``. Counts per group
and per day are kept up by triggers on ``asks`` (see each backend's ``schema.py``), so the
archive-wide insights read a row per group, not one per ask; with a period (``since``) the
asks of that period are counted, once, through covering indexes.

The whole archive is the scope ``''`` of questions asked without an article.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from ..records import AskCounts, DayCounts, LoggedAsk, PanelPull, QuestionGroup

ARCHIVE = ""  # the scope of questions asked of the whole archive
DAY = 86400
# A new wording is compared with the newest groups of its scope only: an article has far
# fewer, but questions of the whole archive are one scope, which this keeps from growing
# without bound (older groups of it are the ones retention expires first anyway).
GROUPS_COMPARED = 5000
# (group id, its mean as stored, its size, its form) of the groups of a scope -> the id of the
# group a new wording joins (None: a group of its own), and the mean to keep for that group.
GroupChoice = Callable[[list[tuple[int, bytes, int, str]]], tuple[int | None, bytes]]

COUNT_COLUMNS = "asks, answered, closest, not_said, panel, helpful, not_helpful, wrong_citation"
ASK_COUNTS = """count(*), sum(CASE WHEN k.grade = 'answer' THEN 1 ELSE 0 END),
    sum(CASE WHEN k.grade = 'closest' THEN 1 ELSE 0 END), sum(CASE WHEN k.grade = 'none' THEN 1 ELSE 0 END),
    sum(k.panel), sum(CASE WHEN k.rating = 'helpful' THEN 1 ELSE 0 END),
    sum(CASE WHEN k.rating = 'not_helpful' THEN 1 ELSE 0 END),
    sum(CASE WHEN k.rating = 'wrong_citation' THEN 1 ELSE 0 END)"""
FIND_QUESTION = "SELECT id FROM insight_questions WHERE article_id = %s AND key = %s"
SCOPE_GROUPS = "SELECT id, mean, size, form FROM insight_groups WHERE article_id = %s ORDER BY id DESC LIMIT %s"
NEW_GROUP = "INSERT INTO insight_groups (article_id, form, mean, size) VALUES (%s, %s, %s, 1) RETURNING id"
JOIN_GROUP = "UPDATE insight_groups SET mean = %s, size = size + 1 WHERE id = %s"
NEW_QUESTION = "INSERT INTO insight_questions (article_id, key, text, group_id) VALUES (%s, %s, %s, %s) RETURNING id"
NEW_ASK = """INSERT INTO asks (id, asked_at, question_id, asked, kind, grade, confidence, latency_ms, language,
    panel, sample) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"""
COUNT_CLICK = "UPDATE panel_questions SET clicks = clicks + 1 WHERE article_id = %s AND key = %s"
COUNT_SHOWN = """INSERT INTO panel_questions (article_id, key, text, shown) VALUES (%s, %s, %s, 1)
    ON CONFLICT (article_id, key) DO UPDATE SET shown = panel_questions.shown + 1"""
RATE = "UPDATE asks SET rating = %s WHERE id = %s"
EXPIRE = ("DELETE FROM asks WHERE asked_at < %s",
          # What no ask is left of goes too: the wordings readers typed, and their groups.
          "DELETE FROM insight_questions WHERE asks <= 0",
          "DELETE FROM insight_groups WHERE asks <= 0",
          "DELETE FROM insight_days WHERE asks <= 0")
# A day's row has no ratings (they are counted per group): zeros stand in their place.
ARCHIVE_DAYS = "SELECT day, asks, answered, closest, not_said, panel, 0, 0, 0, sample FROM insight_days WHERE day >= %s ORDER BY day"
ARTICLE_DAYS = f"""SELECT k.asked_at / {DAY}, count(*), sum(CASE WHEN k.grade = 'answer' THEN 1 ELSE 0 END),
    sum(CASE WHEN k.grade = 'closest' THEN 1 ELSE 0 END), sum(CASE WHEN k.grade = 'none' THEN 1 ELSE 0 END),
    sum(k.panel), 0, 0, 0, sum(k.sample)
    FROM asks k JOIN insight_questions q ON q.id = k.question_id
    WHERE q.article_id = %s AND k.asked_at >= %s GROUP BY 1 ORDER BY 1"""
WORDINGS = """SELECT group_id, text, asks FROM insight_questions WHERE group_id IN ({ids}) AND asks > 0
    ORDER BY group_id, asks DESC, id"""
# A period's asks counted once (materialised), then ranked three ways in one statement.
PERIOD = """WITH period AS MATERIALIZED (
    SELECT q.group_id AS id, q.article_id, {counts}, max(k.asked_at) AS last_asked
    FROM {source} {where} GROUP BY q.group_id, q.article_id),
counted (id, article_id, {columns}, last_asked) AS (SELECT * FROM period)
SELECT 'gap', r.*, a.title FROM (
    SELECT * FROM counted WHERE closest + not_said >= %s * asks
    ORDER BY closest + not_said DESC, asks DESC, id LIMIT %s) r LEFT JOIN articles a ON a.id = r.article_id
UNION ALL
SELECT 'asked', r.*, a.title FROM (
    SELECT * FROM counted ORDER BY asks DESC, id LIMIT %s) r LEFT JOIN articles a ON a.id = r.article_id
UNION ALL
SELECT 'article', r.*, a.title FROM (
    SELECT CAST(0 AS bigint), article_id, {sums}, max(last_asked) FROM counted GROUP BY article_id
    ORDER BY sum(closest + not_said) DESC, sum(asks) DESC, article_id LIMIT %s) r LEFT JOIN articles a ON a.id = r.article_id"""
PANEL = "SELECT article_id, text, shown, clicks FROM panel_questions {where} ORDER BY shown DESC, clicks, text LIMIT %s"


def seconds(moment: datetime | None) -> int:
    """A time as the log keeps it (None: now)."""
    return int((moment or datetime.now(timezone.utc)).timestamp())


def day_text(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()


def counts(row) -> AskCounts:
    """AskCounts of the columns of COUNT_COLUMNS (or ASK_COUNTS), in that order: counts of
    groups of at least one row, never NULL."""
    return AskCounts(*row[:8])


class SQLQuestionLog:
    """:class:`~nutgraf.store.base.QuestionLog` over a backend's connections and dialect."""

    locking_read = ""  # ends a SELECT whose row must not go before the transaction ends

    def _lock_grouping(self, db, scope: str) -> None:
        """Keep other writers from grouping a wording of ``scope`` until this transaction ends
        (SQLite's BEGIN IMMEDIATE already lets one writer in at a time)."""

    def _sql(self, sql: str) -> str:
        return self.dialect.render(sql)

    def knows_wording(self, article_id: str | None, key: str) -> bool:
        with self._connection() as db:
            return db.execute(self._sql(FIND_QUESTION), (article_id or ARCHIVE, key)).fetchone() is not None

    def log_ask(self, ask: LoggedAsk, choose: GroupChoice) -> int:
        ask_id = secrets.randbits(63)  # not a count: an ask's id says nothing of how many there are
        scope = ask.article_id or ARCHIVE
        with self._transaction() as db:
            question_id = self._question(db, scope, ask, choose)
            db.execute(self._sql(NEW_ASK), (
                ask_id, seconds(ask.asked_at), question_id, ask.asked, ask.kind, ask.grade, round(ask.confidence, 4),
                ask.latency_ms, ask.language, int(ask.panel_key is not None), int(ask.sample)))
            if ask.panel_key is not None:
                db.execute(self._sql(COUNT_CLICK), (scope, ask.panel_key))
        return ask_id

    def _question(self, db, scope: str, ask: LoggedAsk, choose: GroupChoice) -> int:
        """The id of the ask's wording, grouped when it is new."""
        self._lock_grouping(db, scope)
        found = db.execute(self._sql(FIND_QUESTION + self.locking_read), (scope, ask.key)).fetchone()
        if found:
            return found[0]
        groups = db.execute(self._sql(SCOPE_GROUPS), (scope, GROUPS_COMPARED)).fetchall()
        group_id, mean = choose([(row[0], bytes(row[1]), row[2], row[3]) for row in groups])
        # A group that expiry removed meanwhile is started again.
        if group_id is None or db.execute(self._sql(JOIN_GROUP), (mean, group_id)).rowcount == 0:
            group_id = db.execute(self._sql(NEW_GROUP), (scope, ask.form, mean)).fetchone()[0]
        return db.execute(self._sql(NEW_QUESTION), (scope, ask.key, ask.question, group_id)).fetchone()[0]

    def rate_ask(self, ask_id: int, rating: str) -> bool:
        with self._transaction() as db:
            return db.execute(self._sql(RATE), (rating, ask_id)).rowcount > 0

    def count_shown(self, shown: list[tuple[str, str, str]]) -> None:
        # In one order, so that two servers counting the same panel never wait on each other.
        with self._transaction() as db:
            for article_id, key, text in sorted(set(shown)):
                db.execute(self._sql(COUNT_SHOWN), (article_id, key, text))

    def expire_asks(self, older_than: datetime) -> int:
        with self._transaction() as db:
            removed = db.execute(self._sql(EXPIRE[0]), (seconds(older_than),)).rowcount
            for statement in EXPIRE[1:]:
                db.execute(self._sql(statement))
        return removed

    # -- reading it

    def ask_days(self, article_id: str | None, since: datetime | None) -> list[DayCounts]:
        start = seconds(since) if since else 0
        with self._connection() as db:
            if article_id is None:
                rows = db.execute(self._sql(ARCHIVE_DAYS), (start // DAY,)).fetchall()
            else:
                rows = db.execute(self._sql(ARTICLE_DAYS), (article_id, start)).fetchall()
        return [DayCounts(day_text(row[0]), _with_sample(counts(row[1:]), row[9])) for row in rows]

    def question_groups(self, article_id: str | None, *, rank: str = "asks", min_unanswered_share: float = 0.0,
                        limit: int = 20) -> list[QuestionGroup]:
        """Groups with asks, most asked first (``rank="unanswered"``: most asks left
        unanswered first), only those with at least ``min_unanswered_share`` of their asks
        unanswered; of one article, or of every scope (``article_id`` None); from the counts
        kept, over all the log holds."""
        order = "closest + not_said" if rank == "unanswered" else "asks"
        # "+asks": the index on asks would serve this range, which is nearly every row, a
        # table read apiece; the unary plus leaves it to the index that serves the order.
        where = "+asks > 0" + (" AND article_id = %s" if article_id is not None else "")
        inner = (f"SELECT id, article_id, {COUNT_COLUMNS}, last_asked FROM insight_groups WHERE {where}"
                 f" AND closest + not_said >= %s * asks ORDER BY {order} DESC, asks DESC, id LIMIT %s")
        params = [article_id] if article_id is not None else []
        with self._connection() as db:
            rows = db.execute(self._sql(f"SELECT s.*, a.title FROM ({inner}) s LEFT JOIN articles a ON a.id = s.article_id"),
                              (*params, min_unanswered_share, limit)).fetchall()
        groups = [QuestionGroup(row[0], row[1] or None, row[11], counts(row[2:10]), row[10]) for row in rows]
        first = (lambda g: -g.counts.unanswered) if rank == "unanswered" else (lambda g: 0)
        return sorted(groups, key=lambda g: (first(g), -g.counts.asks, g.id))  # the order of the SQL

    def period_groups(self, article_id: str | None, since: datetime, *, min_unanswered_share: float,
                      limit: int) -> tuple[list[QuestionGroup], list[QuestionGroup], list[tuple]]:
        """The asks since ``since`` counted once, then ranked as the counts kept are: (the
        groups with at least ``min_unanswered_share`` of those asks unanswered, most left
        unanswered first; the groups most asked; (article id, title, counts) of the articles
        with the most left unanswered, none for one article), ``limit`` of each."""
        where = "k.asked_at >= %s" + (" AND q.article_id = %s" if article_id is not None else "")
        sums = ", ".join(f"CAST(sum({column}) AS bigint)" for column in COUNT_COLUMNS.split(", "))
        sql = PERIOD.format(source=_period_asks(article_id), where=where, counts=ASK_COUNTS, columns=COUNT_COLUMNS,
                            sums=sums)
        params = [seconds(since)] + ([article_id] if article_id is not None else [])
        with self._connection() as db:
            rows = db.execute(self._sql(sql), (*params, min_unanswered_share, limit, limit,
                                               0 if article_id is not None else limit)).fetchall()
        ranked: dict[str, list] = {"gap": [], "asked": [], "article": []}
        for row in rows:
            ranked[row[0]].append(row[1:])
        gaps, asked = ([QuestionGroup(r[0], r[1] or None, r[11], counts(r[2:10]), r[10]) for r in ranked[kind]]
                       for kind in ("gap", "asked"))
        articles = [(r[1] or None, r[11], counts(r[2:10])) for r in ranked["article"]]
        return (sorted(gaps, key=lambda g: (-g.counts.unanswered, -g.counts.asks, g.id)),
                sorted(asked, key=lambda g: (-g.counts.asks, g.id)),
                sorted(articles, key=lambda item: (-item[2].unanswered, -item[2].asks, item[0] or "")))

    def group_wordings(self, group_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
        """Each group's wordings with their asks, most asked first."""
        if not group_ids:
            return {}
        with self._connection() as db:
            rows = db.execute(self._sql(WORDINGS.format(ids=", ".join(["%s"] * len(group_ids)))),
                              list(group_ids)).fetchall()
        found: dict[int, list[tuple[str, int]]] = {}
        for group_id, text, asks in rows:
            found.setdefault(group_id, []).append((text, asks))
        return found

    def asked_articles(self, limit: int = 20) -> list[tuple[str | None, str | None, AskCounts]]:
        """(article id, title, counts) of the articles most asks about left unanswered, from
        the counts kept, over all the log holds."""
        inner = (f"SELECT article_id, {', '.join(f'sum({c})' for c in COUNT_COLUMNS.split(', '))}"
                 " FROM insight_groups WHERE +asks > 0 GROUP BY article_id"
                 " ORDER BY sum(closest + not_said) DESC, sum(asks) DESC, article_id LIMIT %s")
        with self._connection() as db:
            rows = db.execute(self._sql(f"SELECT s.*, a.title FROM ({inner}) s LEFT JOIN articles a ON a.id = s.article_id"),
                              (limit,)).fetchall()
        found = [(row[0] or None, row[9], counts(row[1:9])) for row in rows]
        return sorted(found, key=lambda item: (-item[2].unanswered, -item[2].asks, item[0] or ""))

    def panel_pull(self, article_id: str | None, limit: int = 20) -> list[PanelPull]:
        where, params = ("WHERE article_id = %s", [article_id]) if article_id else ("", [])
        with self._connection() as db:
            rows = db.execute(self._sql(PANEL.format(where=where)), (*params, limit)).fetchall()
        return [PanelPull(row[0], row[1], row[2], row[3]) for row in rows]


def _period_asks(article_id: str | None) -> str:
    """FROM and the start of WHERE for the asks of a period with their wordings. Across the archive they are read in the
    order of their time (CROSS JOIN keeps SQLite from going through every wording first);
    for one article, through its wordings."""
    if article_id is None:
        return "asks k CROSS JOIN insight_questions q WHERE q.id = k.question_id AND"
    return "insight_questions q JOIN asks k ON k.question_id = q.id WHERE"


def _with_sample(found: AskCounts, sample) -> AskCounts:
    found.sample = int(sample or 0)
    return found
