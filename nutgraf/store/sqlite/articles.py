"""The SQLite store's articles: their rows, search (FTS5 BM25, and cosine over vectors
kept as BLOBs, through the vector index once the archive is large), values kept beside them."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ...analysis.fingerprint import bands
from ...errors import StoreError
from ...records import Article, ArticleSummary, Hit, Scope, Sentence
from ..base import PutResult
from ..query import fts_match_expression
from ..rows import ARTICLE_COLUMNS, article_from_rows, article_queries, article_values, mentions_json, now_text
from .database import Database
from .vector_index import VectorIndex

EMBEDDING_DTYPE = np.float32
EXACT_SCOPE_ARTICLES = 50  # up to this many named articles, dense search reads their vectors
# From this many stored sentences on, archive-wide dense search goes through the vector
# index (vector_index.py). Below it the vectors fit the CPU cache and a product over all of
# them is faster: 0.55 ms against the index's 1.0 ms at 11k sentences, 8.0 against 2.8 ms
# at 27k (BENCHMARKS.md).
INDEX_FROM_SENTENCES = 20_000
# A filtered scope of up to this many articles reads its vectors and ranks them exactly.
EXACT_FILTERED_ARTICLES = 500
# The index returns this many times the hits asked for, re-scored exactly from the stored
# vectors: int8 distances choose the candidates, never the order.
CANDIDATES_PER_HIT = 2
ARTICLE_QUERIES = article_queries("?", written="rowid")


def _vector_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=EMBEDDING_DTYPE).tobytes()


class SQLiteArticles(Database):
    def __init__(self, path: str | Path):
        super().__init__(path)
        self._vectors_lock = threading.Lock()
        self._vectors: tuple[str, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._vector_index = VectorIndex(self.path)
        self._indexed = False  # once the archive is large enough, it stays searched by the index

    # -- articles

    def put_article(self, article: Article) -> PutResult:
        with self._transaction() as db:
            old = db.execute("SELECT content_hash FROM articles WHERE id = ?", (article.id,)).fetchone()
            if old and old["content_hash"] == article.content_hash:
                return PutResult(article.id, "unchanged")
            if old:
                db.execute("DELETE FROM articles WHERE id = ?", (article.id,))
            self._insert(db, article)
            self._bump_generation(db)
        return PutResult(article.id, "updated" if old else "added")

    def _insert(self, db: sqlite3.Connection, a: Article) -> None:
        db.execute(f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", article_values(a))
        vectors = a.embeddings if a.embeddings is not None else [None] * len(a.sentences)
        db.executemany(
            'INSERT INTO sentences (article_id, idx, start, "end", paragraph, text, embedding)'
            " VALUES (?,?,?,?,?,?,?)",
            [(a.id, s.index, s.start, s.end, s.paragraph, s.text,
              None if v is None else _vector_blob(v)) for s, v in zip(a.sentences, vectors)],
        )
        if a.signature is not None:
            db.executemany("INSERT INTO signature_bands (band, key, article_id) VALUES (?,?,?)",
                           [(n, key, a.id) for n, key in enumerate(bands(a.signature))])
        db.executemany("INSERT INTO entities (article_id, name, label, mentions) VALUES (?,?,?,?)",
                       [(a.id, e.name, e.label, mentions_json(e)) for e in a.entities])
        db.executemany(
            'INSERT INTO quotes (article_id, text, start, "end", sentence_index, speaker, form, closed, verb)'
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [(a.id, q.text, q.start, q.end, q.sentence_index, q.speaker, q.form, q.closed, q.verb)
             for q in a.quotes],
        )
        db.executemany(
            'INSERT INTO times (article_id, text, start, "end", sentence_index, resolved) VALUES (?,?,?,?,?,?)',
            [(a.id, t.text, t.start, t.end, t.sentence_index, t.resolved) for t in a.times],
        )

    def content_hash(self, article_id: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row["content_hash"] if row else None

    def get_article(self, article_id: str) -> Article | None:
        article, *parts = ARTICLE_QUERIES
        db = self._db
        db.execute("BEGIN")  # one snapshot for the article and its rows
        try:
            row = db.execute(article, (article_id,)).fetchone()
            if row is None:
                return None
            rows = [db.execute(query, (article_id,)).fetchall() for query in parts]
        finally:
            db.execute("COMMIT")
        return article_from_rows(row, *rows, vector=lambda blob: np.frombuffer(blob, EMBEDDING_DTYPE))

    def list_articles(self, scope: Scope | None = None, limit: int | None = None,
                      offset: int = 0) -> list[ArticleSummary]:
        where, params = _scope_sql(scope, "a")
        rows = self._db.execute(
            "SELECT a.id, a.title, a.url, a.published, a.source, a.ingested_at,"
            " (SELECT COUNT(*) FROM sentences s WHERE s.article_id = a.id) AS n"
            f" FROM articles a WHERE {where} ORDER BY a.published DESC, a.ingested_at DESC, a.id"
            " LIMIT ? OFFSET ?", [*params, -1 if limit is None else limit, offset],
        ).fetchall()
        return [ArticleSummary(r["id"], r["title"], r["url"], r["published"], r["source"], r["n"],
                               r["ingested_at"]) for r in rows]

    def count_articles(self, scope: Scope | None = None) -> int:
        where, params = _scope_sql(scope, "a")
        return self._db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]

    def article_ids(self, scope: Scope | None = None) -> list[str]:
        where, params = _scope_sql(scope, "a")
        return [r[0] for r in self._db.execute(f"SELECT a.id FROM articles a WHERE {where}", params)]

    def delete_article(self, article_id: str) -> bool:
        with self._transaction() as db:
            deleted = db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount
            if deleted:
                self._bump_generation(db)
        return bool(deleted)

    def sentences(self, article_id: str) -> list[Sentence]:
        rows = self._db.execute(
            'SELECT idx, start, "end", paragraph, text FROM sentences WHERE article_id = ? ORDER BY idx',
            (article_id,)).fetchall()
        return [Sentence(*r) for r in rows]

    def near_duplicate_candidates(self, signature: np.ndarray) -> list[tuple[str, np.ndarray]]:
        keys = list(enumerate(bands(signature)))
        rows = self._db.execute(
            "SELECT id, signature FROM articles WHERE id IN (SELECT article_id FROM signature_bands"
            f" WHERE {' OR '.join(['(band = ? AND key = ?)'] * len(keys))})",
            [value for key in keys for value in key]).fetchall()
        return [(r[0], np.frombuffer(r[1], np.uint64)) for r in rows]

    # -- search

    def lexical_search(self, query: str, scope: Scope, limit: int) -> list[Hit]:
        expression = fts_match_expression(query)
        if not expression:
            return []
        where, params = _scope_sql(scope, "a")
        rows = self._db.execute(
            "SELECT s.article_id, s.idx, -bm25(sentences_fts) AS score FROM sentences_fts"
            " JOIN sentences s ON s.id = sentences_fts.rowid JOIN articles a ON a.id = s.article_id"
            f" WHERE sentences_fts MATCH ? AND {where} ORDER BY bm25(sentences_fts) LIMIT ?",
            [expression, *params, limit],
        ).fetchall()
        return [Hit(r[0], r[1], float(r[2])) for r in rows]

    def dense_search(self, vector: np.ndarray, scope: Scope, limit: int) -> list[Hit]:
        vector = np.asarray(vector, dtype=EMBEDDING_DTYPE)
        few = scope.article_ids is not None and len(scope.article_ids) <= EXACT_SCOPE_ARTICLES
        if few and not _has_filters(scope):
            return _exact(*self._load_vectors(scope), vector, limit)
        if self._use_index():
            return self._indexed_search(vector, scope, limit)
        article_ids, indexes, matrix = self._archive_vectors()
        if scope != Scope():
            keep = np.isin(article_ids, self.article_ids(scope))
            article_ids, indexes, matrix = article_ids[keep], indexes[keep], matrix[keep]
        return _exact(article_ids, indexes, matrix, vector, limit)

    def _use_index(self) -> bool:
        if not self._indexed:
            # Row ids are never below the row count, so this bounds the archive's size cheaply.
            newest = self._db.execute("SELECT max(id) FROM sentences").fetchone()[0] or 0
            self._indexed = newest >= INDEX_FROM_SENTENCES
            if self._indexed:
                self._vectors = None  # the index takes over; the copy in memory goes
        return self._indexed

    def _indexed_search(self, vector: np.ndarray, scope: Scope, limit: int) -> list[Hit]:
        wanted, keep = CANDIDATES_PER_HIT * limit, None
        if scope != Scope():
            keep = set(self.article_ids(scope))
            if len(keep) <= EXACT_FILTERED_ARTICLES:
                return _exact(*self._load_vectors(Scope(article_ids=sorted(keep))), vector, limit)
            # Ask for enough candidates that about ``wanted`` of them fall inside the scope.
            wanted = int(wanted * len(self.article_ids()) / len(keep)) + 1
        candidates = self._vector_index.candidates(self._db, vector, wanted)
        hits = self._rescored(candidates, vector, keep)[:limit]
        if keep is not None and len(hits) < limit:
            return _exact(*self._load_vectors(scope), vector, limit)
        return hits

    def _rescored(self, sentence_ids: list[int], vector: np.ndarray, keep: set[str] | None) -> list[Hit]:
        """The candidates that still exist (and lie in ``keep``), by exact cosine, best first."""
        rows = self._db.execute(
            "SELECT article_id, idx, embedding FROM sentences WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sentence_ids),)).fetchall()
        width = vector.shape[0] * np.dtype(EMBEDDING_DTYPE).itemsize
        rows = [r for r in rows if r[2] is not None and len(r[2]) == width and (keep is None or r[0] in keep)]
        if not rows:
            return []
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=EMBEDDING_DTYPE).reshape(len(rows), -1)
        scores = matrix @ vector
        return [Hit(rows[i][0], rows[i][1], float(scores[i])) for i in np.argsort(-scores, kind="stable")]

    def _archive_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All vectors, kept in memory until any process changes the archive."""
        generation = self.get_meta("generation") or "0"
        with self._vectors_lock:
            if self._vectors is None or self._vectors[0] != generation:
                self._vectors = (generation, *self._load_vectors(Scope()))
            return self._vectors[1:]

    def _load_vectors(self, scope: Scope) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        where, params = _scope_sql(scope, "a")
        rows = self._db.execute(
            "SELECT s.article_id, s.idx, s.embedding FROM sentences s JOIN articles a ON a.id = s.article_id"
            f" WHERE s.embedding IS NOT NULL AND {where}", params).fetchall()
        if not rows:
            return np.array([], dtype=object), np.array([], dtype=np.int64), np.zeros((0, 0), EMBEDDING_DTYPE)
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=EMBEDDING_DTYPE).reshape(len(rows), -1)
        return (np.array([r[0] for r in rows], dtype=object),
                np.array([r[1] for r in rows], dtype=np.int64), matrix)

    def set_embeddings(self, article_id: str, model: str, embeddings: np.ndarray) -> None:
        with self._transaction() as db:
            rows = db.execute("SELECT id FROM sentences WHERE article_id = ? ORDER BY idx", (article_id,)).fetchall()
            if len(rows) != len(embeddings):
                raise StoreError(f"article {article_id} has {len(rows)} sentences, got {len(embeddings)} vectors")
            db.executemany("UPDATE sentences SET embedding = ? WHERE id = ?",
                           [(_vector_blob(v), r[0]) for v, r in zip(embeddings, rows)])
            db.execute("UPDATE articles SET embedding_model = ? WHERE id = ?", (model, article_id))
            self._bump_generation(db)

    def articles_missing_embeddings(self, model: str) -> list[str]:
        rows = self._db.execute(
            "SELECT id FROM articles WHERE embedding_model IS NULL OR embedding_model != ?", (model,))
        return [r[0] for r in rows]

    # -- meta and cache

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                       " SET value = excluded.value", (key, value))

    def cache_get(self, namespace: str, key: str) -> Any | None:
        row = self._db.execute("SELECT value FROM cache WHERE namespace = ? AND key = ?",
                               (namespace, key)).fetchone()
        return json.loads(row[0]) if row else None

    def cache_put(self, namespace: str, key: str, value: Any, article_id: str | None = None) -> None:
        """Keep ``value``; with ``article_id`` it is dropped when that article changes."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO cache (namespace, key, article_id, value, created_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value,"
                " article_id = excluded.article_id, created_at = excluded.created_at",
                (namespace, key, article_id, json.dumps(value), now_text()))


def _exact(article_ids: np.ndarray, indexes: np.ndarray, matrix: np.ndarray, vector: np.ndarray,
           limit: int) -> list[Hit]:
    """The ``limit`` rows of ``matrix`` nearest ``vector`` by cosine, best first."""
    if len(indexes) == 0:
        return []
    scores = matrix @ vector
    top = np.argpartition(-scores, min(limit, len(scores)) - 1)[:limit]
    top = top[np.argsort(-scores[top])]
    return [Hit(str(article_ids[i]), int(indexes[i]), float(scores[i])) for i in top]


def _has_filters(scope: Scope) -> bool:
    return bool(scope.source or scope.published_from or scope.published_to)


def _scope_sql(scope: Scope | None, alias: str) -> tuple[str, list[Any]]:
    """A WHERE clause (over the articles table as ``alias``) for ``scope``."""
    if scope is None:
        return "1", []
    clauses, params = [], []
    if scope.article_ids is not None:
        clauses.append(f"{alias}.id IN ({','.join('?' * len(scope.article_ids)) or 'NULL'})")
        params += scope.article_ids
    if scope.source:
        clauses.append(f"{alias}.source = ?")
        params.append(scope.source)
    if scope.published_from:
        clauses.append(f"substr({alias}.published, 1, 10) >= ?")
        params.append(scope.published_from)
    if scope.published_to:
        clauses.append(f"substr({alias}.published, 1, 10) <= ?")
        params.append(scope.published_to)
    return " AND ".join(clauses) or "1", params
