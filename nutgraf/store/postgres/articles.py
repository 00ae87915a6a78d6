"""The PostgreSQL store's articles: their rows, search, vectors and their HNSW indexes, values
kept beside them."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import psycopg

from ...analysis.fingerprint import bands
from ...errors import InputError, StoreError
from ...records import Article, ArticleSummary, Hit, Scope, Sentence
from ...settings import Settings
from ..base import PutResult, PutStatus
from ..query import query_terms
from ..rows import ARTICLE_COLUMNS, article_from_rows, article_queries, article_values, mentions_json
from .database import Database, first_line
from .search import BM25_SQL, dense_query, scope_sql, sentence_scope_sql

VECTOR_INDEX_LOCK = 7_242_002  # advisory lock key (any constant, unique within this database's users)
HNSW_MAX_DIMENSIONS = 2000  # pgvector cannot index wider ``vector`` columns with HNSW
PUT_ATTEMPTS = 5
EXACT_COUNT_BELOW = 100_000  # sentences; a larger archive's count comes from estimates
COUNT_SECONDS = 60
ARTICLE_QUERIES = article_queries("%s", written="position")


class PostgresArticles(Database):
    def __init__(self, url: str, settings: Settings):
        """``settings`` size the pool and give ``hnsw.ef_search``."""
        super().__init__(url, settings)
        self._indexed_dimensions: set[int] = set()
        self._counted: tuple[float, float] | None = None  # (sentences, when they were counted)
        self._ef_search = settings.pg_ef_search

    def put_article(self, article: Article) -> PutResult:
        try:
            with self._transaction() as db:
                status = self._put(db, article)
        except psycopg.DataError as error:
            raise InputError(f"article {article.id} cannot be stored: {first_line(error)}") from error
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
            f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (id) DO NOTHING RETURNING id", article_values(a)).fetchone()
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
                [(a.id, n, e.name, e.label, mentions_json(e))
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
        article, *parts = ARTICLE_QUERIES
        with self._transaction(snapshot=True) as db, db.cursor(binary=True) as cursor:
            row = cursor.execute(article, (article_id,)).fetchone()
            if row is None:
                return None
            rows = [cursor.execute(query, (article_id,)).fetchall() for query in parts]
        return article_from_rows(row, *rows, vector=lambda stored: stored.to_numpy())

    def list_articles(self, scope: Scope | None = None, limit: int | None = None,
                      offset: int = 0) -> list[ArticleSummary]:
        where, params = scope_sql(scope, "a")
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
        where, params = scope_sql(scope, "a")
        with self._connection() as db:
            return db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]

    def article_ids(self, scope: Scope | None = None) -> list[str]:
        where, params = scope_sql(scope, "a")
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
        where, params = sentence_scope_sql(scope)
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


def _drop(db: psycopg.Connection, article_id: str) -> bool:
    # The cache rows go by name, not only by the cascade: on Citus the cache is a reference
    # table, which cannot keep a foreign key to the distributed articles.
    db.execute("DELETE FROM cache WHERE article_id = %s", (article_id,))
    return db.execute("DELETE FROM articles WHERE id = %s", (article_id,)).rowcount > 0


def _vector(vector: np.ndarray | None) -> np.ndarray | None:
    return None if vector is None else np.ascontiguousarray(vector, dtype=np.float32)
