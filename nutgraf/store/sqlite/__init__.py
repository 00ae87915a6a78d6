"""The embedded default store: one SQLite file, WAL mode, FTS5 for BM25, vectors as BLOBs.

Each thread gets its own connection (SQLite connections are not shared across threads);
WAL lets readers go on while one writer commits an article in a single transaction.

One class per role, joined in :class:`SQLiteStore`: ``articles.py`` (articles, search over
them, what is kept beside them; ``vector_index.py`` serves archive-wide dense search),
``reader_data.py`` (conversations and feedback), and the question log and the job queue,
whose SQL both backends share (``nutgraf/store/question_log.py``, ``nutgraf/store/queue.py``).
``database.py`` holds the connections and applies the migrations of ``schema.py``.
"""

from __future__ import annotations

from ..question_log import SQLQuestionLog
from ..queue import Dialect, SQLJobQueue
from .articles import SQLiteArticles
from .reader_data import SQLiteReaderData

MOMENT = "'%Y-%m-%dT%H:%M:%f+00:00'"  # times of jobs, to the millisecond: heartbeats are seconds apart
SQLITE = Dialect(
    placeholder="?",
    now=f"strftime({MOMENT}, 'now')",
    seconds_ago=f"strftime({MOMENT}, julianday('now') - %s / 86400.0)",
    skip_locked="",  # BEGIN IMMEDIATE lets one claimer in at a time
)


class SQLiteStore(SQLiteArticles, SQLiteReaderData, SQLQuestionLog, SQLJobQueue):
    dialect = SQLITE


__all__ = ["SQLiteStore"]
