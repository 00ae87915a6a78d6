"""The shared store: PostgreSQL with pgvector, for several nutgraf servers on one database.

Sentences are ranked by BM25 over a generated ``tsvector`` column with a GIN index, and by
cosine similarity on pgvector HNSW indexes. The ``embedding`` column takes vectors of any
dimension; an HNSW index needs a fixed one, so each dimension in use gets its own partial
expression index (``embedding::vector(384) ... WHERE vector_dims(embedding) = 384``),
created the first time vectors of that dimension are written. Changing the embedding model
therefore never needs a schema change.

Every write is one transaction and takes the article's row lock first, so two servers
ingesting the same article at once leave exactly one copy; MVCC means a reader sees the
old article or the new one, never a mix.

One class per role, joined in :class:`PostgresStore`: ``articles.py`` (articles, search over
them with the SQL of ``search.py``, what is kept beside them), ``reader_data.py``
(conversations and feedback), the question log (``question_log.py``, over the SQL both
backends share in ``nutgraf/store/question_log.py``), and the job queue whose SQL both
backends share (``nutgraf/store/queue.py``). ``database.py`` holds the pool of connections and applies the
migrations of ``schema.py``.
"""

from __future__ import annotations

from ...settings import Settings, defaults
from ..queue import Dialect, SQLJobQueue
from .articles import PostgresArticles
from .question_log import PostgresQuestionLog
from .reader_data import PostgresReaderData
from .search import dense_query

POSTGRES = Dialect(
    placeholder="%s",
    now="clock_timestamp()",
    seconds_ago="clock_timestamp() - make_interval(secs => %s)",
    skip_locked="FOR UPDATE SKIP LOCKED",
)


class PostgresStore(PostgresArticles, PostgresReaderData, PostgresQuestionLog, SQLJobQueue):
    dialect = POSTGRES

    def __init__(self, url: str, settings: Settings | None = None):
        """``settings`` size the pool and give ``hnsw.ef_search`` (default: the defaults)."""
        super().__init__(url, settings or defaults())


__all__ = ["PostgresStore", "dense_query"]
