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
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import urlsplit

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from ..analysis.fingerprint import bands
from ..errors import InputError, StoreError
from ..settings import Settings, current, env_name
from ..records import (
    Article, ArticleSummary, Conversation, Entity, Feedback, Hit, Mention, Quote, Scope, Sentence,
    TimeExpression, Turn,
)
from .base import PutResult, PutStatus, merged_ids, new_feedback_id
from .query import query_terms

# Advisory lock keys (any constants, unique within this database's users).
MIGRATION_LOCK = 7_242_001
VECTOR_INDEX_LOCK = 7_242_002

PGVECTOR_NEEDED = (0, 8)  # iterative index scans, for scoped dense search
HNSW_MAX_DIMENSIONS = 2000  # pgvector cannot index wider ``vector`` columns with HNSW
EXACT_SCOPE_ARTICLES = 50  # up to this many named articles, dense search is exact
PUT_ATTEMPTS = 5
EXACT_COUNT_BELOW = 100_000  # sentences; a larger archive's count comes from estimates
COUNT_SECONDS = 60

MIGRATIONS = [
    # 1: articles and their analysis
    """
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE articles (
        id text PRIMARY KEY, url text, title text, published text, source text,
        authors text NOT NULL, origin text NOT NULL, content_hash text NOT NULL,
        ingested_at text NOT NULL, text text NOT NULL, signature bytea, embedding_model text
    );
    CREATE INDEX articles_published ON articles (left(published, 10));
    CREATE INDEX articles_source ON articles (source);
    CREATE TABLE sentences (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        idx integer NOT NULL, start integer NOT NULL, "end" integer NOT NULL,
        paragraph integer NOT NULL, text text NOT NULL, embedding vector,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        PRIMARY KEY (article_id, idx)
    );
    CREATE INDEX sentences_tsv ON sentences USING gin (tsv);
    CREATE TABLE entities (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        position integer NOT NULL, name text NOT NULL, label text NOT NULL, mentions text NOT NULL,
        PRIMARY KEY (article_id, position)
    );
    CREATE INDEX entities_name ON entities (name);
    CREATE TABLE quotes (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        position integer NOT NULL, text text NOT NULL, start integer NOT NULL,
        "end" integer NOT NULL, sentence_index integer NOT NULL, speaker text,
        PRIMARY KEY (article_id, position)
    );
    CREATE TABLE times (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        position integer NOT NULL, text text NOT NULL, start integer NOT NULL,
        "end" integer NOT NULL, sentence_index integer NOT NULL, resolved text,
        PRIMARY KEY (article_id, position)
    );
    CREATE TABLE cache (
        namespace text NOT NULL, key text NOT NULL,
        article_id text REFERENCES articles (id) ON DELETE CASCADE,
        value text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (namespace, key)
    );
    CREATE INDEX cache_article ON cache (article_id);
    CREATE INDEX cache_newest ON cache (namespace, created_at DESC, seq DESC);
    """,
    # 2: reader data in tables of its own, out of the cache (where version 1 kept it)
    """
    CREATE TABLE conversations (
        id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_used_at timestamptz NOT NULL DEFAULT clock_timestamp(), article_ids jsonb NOT NULL DEFAULT '[]'
    );
    CREATE INDEX conversations_last_used ON conversations (last_used_at);
    CREATE TABLE turns (
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position integer NOT NULL, asked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        question text NOT NULL, answer text, article_ids jsonb NOT NULL, people jsonb NOT NULL,
        resolved text NOT NULL DEFAULT '',
        PRIMARY KEY (conversation_id, position)
    );
    CREATE TABLE feedback (
        id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        rating text NOT NULL, question text NOT NULL, answer text, comment text, citations jsonb NOT NULL,
        article_id text, conversation_id text, seq bigint GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX feedback_newest ON feedback (received_at DESC, seq DESC);
    INSERT INTO conversations (id, created_at, last_used_at)
        SELECT key, created_at, created_at FROM cache WHERE namespace = 'conversation';
    INSERT INTO turns (conversation_id, position, asked_at, question, answer, article_ids, people)
        SELECT c.key, t.n - 1, c.created_at, coalesce(t.turn ->> 'question', ''), t.turn ->> 'answer',
               coalesce(t.turn -> 'article_ids', '[]'), coalesce(t.turn -> 'people', '[]')
        FROM cache c CROSS JOIN LATERAL jsonb_array_elements(c.value::jsonb) WITH ORDINALITY AS t (turn, n)
        WHERE c.namespace = 'conversation';
    UPDATE conversations c SET article_ids = coalesce((
        SELECT jsonb_agg(DISTINCT a.id) FROM turns t CROSS JOIN LATERAL jsonb_array_elements(t.article_ids) AS a (id)
        WHERE t.conversation_id = c.id), '[]');
    INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id, conversation_id)
        SELECT key, coalesce((value::jsonb ->> 'received_at')::timestamptz, created_at),
               coalesce(value::jsonb ->> 'rating', ''), coalesce(value::jsonb ->> 'question', ''),
               value::jsonb ->> 'answer', value::jsonb ->> 'comment', coalesce(value::jsonb -> 'citations', '[]'),
               value::jsonb ->> 'article_id', value::jsonb ->> 'conversation_id'
        FROM cache WHERE namespace = 'feedback' ORDER BY seq;
    DELETE FROM cache WHERE namespace IN ('conversation', 'feedback');
    """,
    # 3: work to do per article (preparing it for readers), shared by every server
    """
    CREATE TABLE jobs (
        kind text NOT NULL, article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        state text NOT NULL, again boolean NOT NULL DEFAULT false, worker text,
        attempts integer NOT NULL DEFAULT 0, queued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        started_at timestamptz, heartbeat_at timestamptz, finished_at timestamptz, error text,
        PRIMARY KEY (kind, article_id)
    );
    CREATE INDEX jobs_waiting ON jobs (kind, state, queued_at);
    """,
    # 4: MinHash LSH bands (see analysis/fingerprint.py), cut from the stored signatures
    """
    CREATE TABLE signature_bands (
        band smallint NOT NULL, key bytea NOT NULL,
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        PRIMARY KEY (band, key, article_id)
    );
    CREATE INDEX signature_bands_article ON signature_bands (article_id);
    INSERT INTO signature_bands (band, key, article_id)
    SELECT n, substring(a.signature FROM n * 32 + 1 FOR 32), a.id
    FROM articles a, generate_series(0, 15) AS n WHERE length(a.signature) = 512;
    """,
    # 5: a quote's form (direct, or a reported statement with its verb) and whether its
    # quotation mark closes; a stored quote that ran to its paragraph's end is not closed
    """
    ALTER TABLE quotes ADD COLUMN form text NOT NULL DEFAULT 'direct',
        ADD COLUMN closed boolean NOT NULL DEFAULT true, ADD COLUMN verb text;
    UPDATE quotes q SET closed = false FROM articles a
    WHERE a.id = q.article_id AND substr(a.text, q."end" + 1, 1) NOT IN ('”', '"');
    """,
]

# BM25 as SQLite's FTS5 computes it (k1 = 1.2, b = 0.75), over the tsvector column. Each
# reader's term becomes its own plainto_tsquery, so no text is ever parsed as query syntax.
# Document frequencies and the average length come from the matched sentences of the
# scope and the sentence count from the archive (see _sentence_count), so no search scans
# more than the sentences it ranks. A term counts once per sentence: within a sentence,
# repeats are rare, and the tune splits rank the same either way.
BM25_SQL = """
WITH terms AS (
    SELECT n, query FROM (
        SELECT n, plainto_tsquery('english', term) AS query
        FROM unnest(%s::text[]) WITH ORDINALITY AS t (term, n)
    ) parsed WHERE numnode(query) > 0
),
matched AS (
    SELECT s.article_id, s.idx, length(s.tsv) AS lexemes, t.n
    FROM sentences s JOIN terms t ON s.tsv @@ t.query WHERE {where}
),
frequency AS (SELECT n, count(*) AS df FROM matched GROUP BY n),
archive AS (SELECT %s::float8 AS sentences, (SELECT avg(lexemes) FROM matched) AS average_lexemes)
SELECT m.article_id, m.idx,
       sum(greatest(ln((greatest(a.sentences, f.df) - f.df + 0.5) / (f.df + 0.5)), 1e-6))
       * 2.2 / (1 + 1.2 * (0.25 + 0.75 * m.lexemes / a.average_lexemes)) AS score
FROM matched m JOIN frequency f USING (n) CROSS JOIN archive a
GROUP BY m.article_id, m.idx, m.lexemes, a.sentences, a.average_lexemes
ORDER BY score DESC, m.article_id, m.idx LIMIT %s
"""


def _now() -> str:
    return _utc(datetime.now(timezone.utc))


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def describe(url: str) -> str:
    """``host:port/database`` of a connection URL, without the credentials, for messages."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}{f':{parts.port}' if parts.port else ''}{parts.path or '/'}"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


class PostgresStore:
    def __init__(self, url: str, settings: Settings | None = None):
        """``settings`` give the pool sizes and ``hnsw.ef_search`` (default: :func:`current`)."""
        settings = settings or current()
        self.url = url
        self._where = describe(url)
        self._indexed_dimensions: set[int] = set()
        self._counted: tuple[float, float] | None = None  # (sentences, when they were counted)
        self._ef_search = settings.pg_ef_search
        min_size = settings.pg_pool_min
        max_size = max(min_size, settings.pg_pool_max)
        timeout = settings.pg_pool_timeout
        try:
            with psycopg.connect(url, autocommit=True) as db:
                _migrate(db, self._where)
        except psycopg.OperationalError as error:
            raise StoreError(f"cannot connect to PostgreSQL at {self._where}: {_first_line(error)}") from error
        self._pool = ConnectionPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout, open=False, name="nutgraf",
            kwargs={"autocommit": True}, configure=register_vector,
            check=ConnectionPool.check_connection,  # servers fail over; never hand out a dead connection
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except PoolTimeout as error:
            self._pool.close()
            raise StoreError(f"cannot open connections to PostgreSQL at {self._where}") from error

    # -- connections and transactions

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as db:
                yield db
        except PoolTimeout as error:
            raise StoreError(f"no free connection to PostgreSQL at {self._where}; raise {env_name('pg_pool_max')}") from error
        except psycopg.OperationalError as error:
            raise StoreError(f"PostgreSQL at {self._where}: {_first_line(error)}") from error

    @contextmanager
    def _transaction(self, snapshot: bool = False) -> Iterator[psycopg.Connection]:
        """One transaction; ``snapshot`` makes every statement in it read the same snapshot."""
        with self._connection() as db, db.transaction():
            if snapshot:
                db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield db

    def close(self) -> None:
        self._pool.close()

    # -- articles

    def put_article(self, article: Article) -> PutResult:
        try:
            with self._transaction() as db:
                status = self._put(db, article)
        except psycopg.DataError as error:
            raise InputError(f"article {article.id} cannot be stored: {_first_line(error)}") from error
        if status != "unchanged":
            self._archive_changed()
            if article.embeddings is not None:
                self._ensure_vector_index(article.embeddings.shape[1])
        return PutResult(article.id, status)

    def _put(self, db: psycopg.Connection, article: Article) -> PutStatus:
        # Read committed: each statement sees what other servers committed before it, so
        # losing the insert race means the next row-locking read finds the winner's row.
        for _ in range(PUT_ATTEMPTS):
            row = db.execute("SELECT content_hash FROM articles WHERE id = %s FOR UPDATE",
                             (article.id,)).fetchone()
            if row and row[0] == article.content_hash:
                return "unchanged"
            if row:
                _drop(db, article.id)
            if self._insert(db, article):
                return "updated" if row else "added"
        raise StoreError(f"article {article.id} kept changing while it was written; try again")

    def _insert(self, db: psycopg.Connection, a: Article) -> bool:
        """Write the article and its rows; False when another transaction holds its id."""
        inserted = db.execute(
            "INSERT INTO articles (id, url, title, published, source, authors, origin, content_hash,"
            " ingested_at, text, signature, embedding_model) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (id) DO NOTHING RETURNING id",
            (a.id, a.url, a.title, a.published, a.source, json.dumps(a.authors), a.origin,
             a.content_hash, a.ingested_at or _now(), a.text,
             None if a.signature is None else a.signature.astype(np.uint64).tobytes(),
             a.embedding_model if a.embeddings is not None else None),
        ).fetchone()
        if inserted is None:
            return False
        vectors = a.embeddings if a.embeddings is not None else [None] * len(a.sentences)
        with db.pipeline(), db.cursor() as cursor:  # one round trip for all the rows
            cursor.executemany(
                'INSERT INTO sentences (article_id, idx, start, "end", paragraph, text, embedding)'
                " VALUES (%s,%s,%s,%s,%s,%s,%s)",
                [(a.id, s.index, s.start, s.end, s.paragraph, s.text, _vector(v))
                 for s, v in zip(a.sentences, vectors)],
            )
            if a.signature is not None:
                cursor.executemany(
                    "INSERT INTO signature_bands (band, key, article_id) VALUES (%s,%s,%s)",
                    [(n, key, a.id) for n, key in enumerate(bands(a.signature))])
            cursor.executemany(
                "INSERT INTO entities (article_id, position, name, label, mentions) VALUES (%s,%s,%s,%s,%s)",
                [(a.id, n, e.name, e.label, json.dumps([m.__dict__ for m in e.mentions]))
                 for n, e in enumerate(a.entities)],
            )
            cursor.executemany(
                'INSERT INTO quotes (article_id, position, text, start, "end", sentence_index, speaker, form,'
                " closed, verb) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                [(a.id, n, q.text, q.start, q.end, q.sentence_index, q.speaker, q.form, q.closed, q.verb)
                 for n, q in enumerate(a.quotes)],
            )
            cursor.executemany(
                'INSERT INTO times (article_id, position, text, start, "end", sentence_index, resolved)'
                " VALUES (%s,%s,%s,%s,%s,%s,%s)",
                [(a.id, n, t.text, t.start, t.end, t.sentence_index, t.resolved) for n, t in enumerate(a.times)],
            )
        return True

    def content_hash(self, article_id: str) -> str | None:
        with self._connection() as db:
            row = db.execute("SELECT content_hash FROM articles WHERE id = %s", (article_id,)).fetchone()
        return row[0] if row else None

    def get_article(self, article_id: str) -> Article | None:
        with self._transaction(snapshot=True) as db, db.cursor(binary=True) as cursor:
            row = cursor.execute(
                "SELECT id, text, title, url, published, authors, source, origin, content_hash,"
                " ingested_at, embedding_model, signature FROM articles WHERE id = %s", (article_id,)
            ).fetchone()
            if row is None:
                return None
            sentence_rows = cursor.execute(
                'SELECT idx, start, "end", paragraph, text, embedding FROM sentences'
                " WHERE article_id = %s ORDER BY idx", (article_id,)).fetchall()
            entity_rows = cursor.execute(
                "SELECT name, label, mentions FROM entities WHERE article_id = %s ORDER BY position",
                (article_id,)).fetchall()
            quote_rows = cursor.execute(
                'SELECT text, start, "end", sentence_index, speaker, form, closed, verb FROM quotes'
                " WHERE article_id = %s ORDER BY start, position", (article_id,)).fetchall()
            time_rows = cursor.execute(
                'SELECT text, start, "end", sentence_index, resolved FROM times WHERE article_id = %s'
                " ORDER BY start, position", (article_id,)).fetchall()
        (identifier, text, title, url, published, authors, source, origin, digest, ingested_at,
         embedding_model, signature) = row
        embedded = bool(sentence_rows) and all(r[5] is not None for r in sentence_rows)
        return Article(
            id=identifier, text=text, title=title, url=url, published=published,
            authors=json.loads(authors), source=source, origin=origin, content_hash=digest,
            ingested_at=ingested_at,
            sentences=[Sentence(*r[:5]) for r in sentence_rows],
            entities=[Entity(name, label, [Mention(**m) for m in json.loads(mentions)])
                      for name, label, mentions in entity_rows],
            quotes=[Quote(*r) for r in quote_rows],
            times=[TimeExpression(*r) for r in time_rows],
            embeddings=np.vstack([r[5].to_numpy() for r in sentence_rows]) if embedded else None,
            embedding_model=embedding_model,
            signature=np.frombuffer(signature, np.uint64) if signature else None,
        )

    def list_articles(self, scope: Scope | None = None, limit: int | None = None,
                      offset: int = 0) -> list[ArticleSummary]:
        where, params = _scope_sql(scope, "a")
        with self._connection() as db:
            rows = db.execute(
                "SELECT a.id, a.title, a.url, a.published, a.source,"
                " (SELECT count(*) FROM sentences s WHERE s.article_id = a.id), a.ingested_at"
                f" FROM articles a WHERE {where}"
                " ORDER BY a.published DESC NULLS LAST, a.ingested_at DESC, a.id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            ).fetchall()
        return [ArticleSummary(*row) for row in rows]

    def count_articles(self, scope: Scope | None = None) -> int:
        where, params = _scope_sql(scope, "a")
        with self._connection() as db:
            return db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]

    def article_ids(self, scope: Scope | None = None) -> list[str]:
        where, params = _scope_sql(scope, "a")
        with self._connection() as db:
            return [r[0] for r in db.execute(f"SELECT a.id FROM articles a WHERE {where}", params)]

    def delete_article(self, article_id: str) -> bool:
        with self._transaction() as db:
            deleted = _drop(db, article_id)
        if deleted:
            self._archive_changed()
        return deleted

    def sentences(self, article_id: str) -> list[Sentence]:
        with self._connection() as db:
            rows = db.execute(
                'SELECT idx, start, "end", paragraph, text FROM sentences WHERE article_id = %s ORDER BY idx',
                (article_id,)).fetchall()
        return [Sentence(*r) for r in rows]

    def near_duplicate_candidates(self, signature: np.ndarray) -> list[tuple[str, np.ndarray]]:
        keys = bands(signature)
        with self._connection() as db:
            rows = db.execute(
                "SELECT id, signature FROM articles WHERE id IN (SELECT b.article_id FROM signature_bands b"
                " JOIN unnest(%s::smallint[], %s::bytea[]) AS k (band, key) USING (band, key))",
                (list(range(len(keys))), keys)).fetchall()
        return [(r[0], np.frombuffer(r[1], np.uint64)) for r in rows]

    # -- search

    def lexical_search(self, query: str, scope: Scope, limit: int) -> list[Hit]:
        terms = query_terms(query)
        if not terms:
            return []
        where, params = _sentence_scope_sql(scope)
        with self._connection() as db:
            sentences = self._sentence_count(db)
            rows = db.execute(BM25_SQL.format(where=where), [terms, *params, sentences, limit]).fetchall()
        return [Hit(r[0], r[1], float(r[2])) for r in rows]

    def _sentence_count(self, db: psycopg.Connection) -> float:
        """Sentences in the archive, for BM25: exact while the archive is small, else the
        planner's estimate (or a count on Citus, which keeps no estimate for a distributed
        table). Kept for a minute; a small archive is recounted after this process writes."""
        counted = self._counted
        if counted is not None and time.monotonic() - counted[1] < COUNT_SECONDS:
            return counted[0]
        count = db.execute("SELECT reltuples FROM pg_class WHERE oid = 'sentences'::regclass").fetchone()[0]
        if count < EXACT_COUNT_BELOW:
            count = db.execute("SELECT count(*) FROM sentences").fetchone()[0]
        self._counted = (float(count), time.monotonic())
        return float(count)

    def _archive_changed(self) -> None:
        if self._counted is not None and self._counted[0] < EXACT_COUNT_BELOW:
            self._counted = None

    def dense_search(self, vector: np.ndarray, scope: Scope, limit: int) -> list[Hit]:
        sql, params = dense_query(np.asarray(vector, dtype=np.float32), scope, limit)
        with self._transaction() as db:
            # Iterative scans keep walking the graph until enough rows pass the scope filter.
            db.execute("SELECT set_config('hnsw.ef_search', %s, true),"
                       " set_config('hnsw.iterative_scan', 'strict_order', true)",
                       (str(max(self._ef_search, limit)),))
            rows = db.execute(sql, params).fetchall()
        return [Hit(r[0], r[1], float(r[2])) for r in rows]

    def set_embeddings(self, article_id: str, model: str, embeddings: np.ndarray) -> None:
        with self._transaction() as db:
            db.execute("SELECT 1 FROM articles WHERE id = %s FOR UPDATE", (article_id,))
            indexes = [r[0] for r in db.execute(
                "SELECT idx FROM sentences WHERE article_id = %s ORDER BY idx", (article_id,))]
            if len(indexes) != len(embeddings):
                raise StoreError(f"article {article_id} has {len(indexes)} sentences, got {len(embeddings)} vectors")
            with db.cursor() as cursor:
                cursor.executemany(
                    "UPDATE sentences SET embedding = %s WHERE article_id = %s AND idx = %s",
                    [(_vector(v), article_id, index) for v, index in zip(embeddings, indexes)])
            db.execute("UPDATE articles SET embedding_model = %s WHERE id = %s", (model, article_id))
        if len(embeddings):
            self._ensure_vector_index(np.asarray(embeddings).shape[1])

    def articles_missing_embeddings(self, model: str) -> list[str]:
        with self._connection() as db:
            rows = db.execute("SELECT id FROM articles WHERE embedding_model IS DISTINCT FROM %s", (model,))
            return [r[0] for r in rows]

    def _ensure_vector_index(self, dimensions: int) -> None:
        """An HNSW index for vectors of ``dimensions``, built once per database."""
        if dimensions in self._indexed_dimensions or dimensions > HNSW_MAX_DIMENSIONS:
            return
        name = f"sentences_embedding_{dimensions}"
        with self._transaction() as db:
            # Checked before locking: CREATE INDEX takes a table lock even when the index exists.
            if db.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0] is None:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (VECTOR_INDEX_LOCK,))
                db.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON sentences USING hnsw"
                    f" ((embedding::vector({dimensions})) vector_cosine_ops)"
                    f" WHERE vector_dims(embedding) = {dimensions}")
        self._indexed_dimensions.add(dimensions)

    # -- meta and cache

    def get_meta(self, key: str) -> str | None:
        with self._connection() as db:
            row = db.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._connection() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE"
                       " SET value = excluded.value", (key, value))

    def cache_get(self, namespace: str, key: str) -> Any | None:
        with self._connection() as db:
            row = db.execute("SELECT value FROM cache WHERE namespace = %s AND key = %s",
                             (namespace, key)).fetchone()
        return json.loads(row[0]) if row else None

    def cache_put(self, namespace: str, key: str, value: Any, article_id: str | None = None) -> None:
        """Keep ``value``; with ``article_id`` it is dropped when that article changes."""
        with self._connection() as db:
            db.execute(
                "INSERT INTO cache (namespace, key, article_id, value) VALUES (%s,%s,%s,%s)"
                " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value,"
                " article_id = excluded.article_id, created_at = clock_timestamp()",
                (namespace, key, article_id, json.dumps(value)))

    # -- reader data

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

    # -- jobs

    def enqueue(self, kind: str, article_ids: list[str]) -> int:
        with self._transaction() as db:
            for article_id in article_ids:
                db.execute(
                    "INSERT INTO jobs (kind, article_id, state) VALUES (%s, %s, 'queued')"
                    " ON CONFLICT (kind, article_id) DO UPDATE SET"
                    " again = (jobs.state = 'running'),"
                    " attempts = CASE WHEN jobs.state = 'running' THEN jobs.attempts ELSE 0 END,"
                    " state = CASE WHEN jobs.state = 'running' THEN jobs.state ELSE 'queued' END,"
                    " queued_at = clock_timestamp(), error = NULL", (kind, article_id))
        return len(article_ids)

    def claim(self, kind: str, worker: str, stale_after: float, max_attempts: int) -> str | None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = 'failed', error = 'stopped without finishing, too often',"
                       " finished_at = clock_timestamp() WHERE kind = %s AND state = 'running'"
                       " AND heartbeat_at < clock_timestamp() - make_interval(secs => %s) AND attempts >= %s",
                       (kind, stale_after, max_attempts))
            # SKIP LOCKED: workers on other servers pass over a job being claimed, never wait on it.
            row = db.execute(
                "UPDATE jobs SET state = 'running', worker = %s, started_at = clock_timestamp(),"
                " heartbeat_at = clock_timestamp(), attempts = attempts + 1, again = false"
                " WHERE (kind, article_id) = (SELECT kind, article_id FROM jobs WHERE kind = %s AND"
                " (state = 'queued' OR (state = 'running' AND heartbeat_at < clock_timestamp()"
                " - make_interval(secs => %s))) ORDER BY queued_at, article_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " RETURNING article_id", (worker, kind, stale_after)).fetchone()
        return row[0] if row else None

    def heartbeat(self, kind: str, article_id: str, worker: str) -> bool:
        with self._transaction() as db:
            return db.execute("UPDATE jobs SET heartbeat_at = clock_timestamp() WHERE kind = %s"
                              " AND article_id = %s AND worker = %s AND state = 'running'",
                              (kind, article_id, worker)).rowcount > 0

    def finish(self, kind: str, article_id: str, worker: str, error: str | None = None) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = CASE WHEN again THEN 'queued' WHEN %s::text IS NULL THEN 'done'"
                       " ELSE 'failed' END, again = false, error = %s, finished_at = clock_timestamp()"
                       " WHERE kind = %s AND article_id = %s AND worker = %s AND state = 'running'",
                       (error, error, kind, article_id, worker))

    def job_state(self, kind: str, article_id: str) -> str | None:
        with self._connection() as db:
            row = db.execute("SELECT state FROM jobs WHERE kind = %s AND article_id = %s", (kind, article_id)).fetchone()
        return row[0] if row else None

    def job_counts(self, kind: str) -> dict[str, int]:
        with self._connection() as db:
            rows = db.execute("SELECT state, count(*) FROM jobs WHERE kind = %s GROUP BY state", (kind,)).fetchall()
        return {state: count for state, count in rows}

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
        return Conversation(row[0], _utc(row[1]), _utc(row[2]), row[3], row[4]) if row else None

    def expire_conversations(self, older_than: datetime) -> int:
        with self._connection() as db:  # their turns go with them (ON DELETE CASCADE)
            return db.execute("DELETE FROM conversations WHERE last_used_at < %s", (older_than,)).rowcount

    def add_feedback(self, feedback: Feedback) -> Feedback:
        stored = replace(feedback, id=feedback.id or new_feedback_id())
        with self._connection() as db:
            (received_at,) = db.execute(
                "INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id,"
                " conversation_id) VALUES (%s, coalesce(%s::timestamptz, clock_timestamp()), %s,%s,%s,%s,%s,%s,%s)"
                " RETURNING received_at",
                (stored.id, stored.received_at or None, stored.rating, stored.question, stored.answer,
                 stored.comment, Jsonb(stored.citations), stored.article_id, stored.conversation_id)).fetchone()
        return replace(stored, received_at=_utc(received_at))

    def feedback(self, since: datetime | None = None, limit: int | None = None) -> list[Feedback]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT id, received_at, rating, question, answer, comment, citations, article_id, conversation_id"
                " FROM feedback WHERE %s::timestamptz IS NULL OR received_at >= %s"
                " ORDER BY received_at DESC, seq DESC LIMIT %s", (since, since, limit)).fetchall()
        return [Feedback(id=r[0], received_at=_utc(r[1]), rating=r[2], question=r[3], answer=r[4], comment=r[5],
                         citations=r[6], article_id=r[7], conversation_id=r[8]) for r in rows]


def _migrate(db: psycopg.Connection, where: str) -> None:
    """Bring the schema up to date; the advisory lock makes servers starting together take turns."""
    try:
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            db.execute("CREATE EXTENSION IF NOT EXISTS vector")
            _check_pgvector(db, where)
            db.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                       " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            version = db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"the database at {where} has schema version {version}, newer than this nutgraf"
                    f" understands ({len(MIGRATIONS)}); upgrade nutgraf")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                db.execute(script)
                db.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
    except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile) as error:
        raise StoreError(f"pgvector is not available on the PostgreSQL server at {where}: "
                         f"{_first_line(error)}") from error
    except psycopg.errors.InsufficientPrivilege as error:
        raise StoreError(f"cannot set up the schema at {where} ({_first_line(error)}); an administrator"
                         " must run CREATE EXTENSION vector, or grant CREATE on the database") from error


def _check_pgvector(db: psycopg.Connection, where: str) -> None:
    version = db.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
    if tuple(int(part) for part in version.split(".")[:2]) < PGVECTOR_NEEDED:
        raise StoreError(f"the PostgreSQL server at {where} has pgvector {version}; nutgraf needs"
                         f" {'.'.join(map(str, PGVECTOR_NEEDED))} or later (ALTER EXTENSION vector UPDATE)")


def _drop(db: psycopg.Connection, article_id: str) -> bool:
    # The cache rows go by name, not only by the cascade: on Citus the cache is a reference
    # table, which cannot keep a foreign key to the distributed articles.
    db.execute("DELETE FROM cache WHERE article_id = %s", (article_id,))
    return db.execute("DELETE FROM articles WHERE id = %s", (article_id,)).rowcount > 0


def dense_query(vector: np.ndarray, scope: Scope, limit: int) -> tuple[str, list[Any]]:
    """The nearest sentences by cosine: exact within a few articles, through HNSW elsewhere."""
    dimensions = int(vector.shape[0])
    if scope.article_ids is not None and len(scope.article_ids) <= EXACT_SCOPE_ARTICLES:
        # Every sentence of a few articles is compared: an exact ranking, no index in the way.
        distance = "s.embedding <=> %s"
    else:
        # The shape of the partial expression index of this dimension, so HNSW serves it.
        distance = f"s.embedding::vector({dimensions}) <=> %s::vector({dimensions})"
    where, params = _sentence_scope_sql(scope)
    sql = (f"SELECT s.article_id, s.idx, 1 - ({distance}) AS score FROM sentences s"
           f" WHERE vector_dims(s.embedding) = {dimensions} AND {where}"
           f" ORDER BY {distance} LIMIT %s")
    return sql, [vector, *params, vector, limit]


def _vector(vector: np.ndarray | None) -> np.ndarray | None:
    return None if vector is None else np.ascontiguousarray(vector, dtype=np.float32)


def _scope_sql(scope: Scope | None, alias: str) -> tuple[str, list[Any]]:
    """A WHERE clause (over the articles table as ``alias``) for ``scope``."""
    if scope is None:
        return "TRUE", []
    clauses, params = [], []
    if scope.article_ids is not None:
        clauses.append(f"{alias}.id = ANY(%s)")
        params.append(list(scope.article_ids))
    if scope.source:
        clauses.append(f"{alias}.source = %s")
        params.append(scope.source)
    if scope.published_from:
        clauses.append(f"left({alias}.published, 10) >= %s")
        params.append(scope.published_from)
    if scope.published_to:
        clauses.append(f"left({alias}.published, 10) <= %s")
        params.append(scope.published_to)
    return " AND ".join(clauses) or "TRUE", params


def _sentence_scope_sql(scope: Scope) -> tuple[str, list[Any]]:
    """A WHERE clause over sentences as ``s``; article ids filter directly, no join needed."""
    clauses, params = [], []
    if scope.article_ids is not None:
        clauses.append("s.article_id = ANY(%s)")
        params.append(list(scope.article_ids))
    filters = Scope(source=scope.source, published_from=scope.published_from,
                    published_to=scope.published_to)
    if filters != Scope():
        where, filter_params = _scope_sql(filters, "a")
        clauses.append(f"s.article_id IN (SELECT a.id FROM articles a WHERE {where})")
        params += filter_params
    return " AND ".join(clauses) or "TRUE", params
