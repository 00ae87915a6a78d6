"""The embedded default store: one SQLite file, WAL mode, FTS5 for BM25, vectors as BLOBs.

Each thread gets its own connection (SQLite connections are not shared across threads);
WAL lets readers go on while one writer commits an article in a single transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..analysis.fingerprint import bands
from ..errors import StoreError
from ..records import (
    Article, ArticleSummary, Conversation, Entity, Feedback, Hit, Mention, Quote, Scope, Sentence,
    TimeExpression, Turn,
)
from .base import PutResult, merged_ids, new_feedback_id
from .query import fts_match_expression
from .vector_index import VectorIndex

MIGRATIONS = [
    # 1: articles and their analysis
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        id TEXT PRIMARY KEY, url TEXT, title TEXT, published TEXT, source TEXT,
        authors TEXT NOT NULL, origin TEXT NOT NULL, content_hash TEXT NOT NULL,
        ingested_at TEXT NOT NULL, text TEXT NOT NULL, signature BLOB, embedding_model TEXT
    );
    CREATE INDEX articles_published ON articles (published);
    CREATE INDEX articles_source ON articles (source);
    CREATE TABLE sentences (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        paragraph INTEGER NOT NULL, text TEXT NOT NULL, embedding BLOB,
        UNIQUE (article_id, idx)
    );
    CREATE VIRTUAL TABLE sentences_fts USING fts5 (
        text, content='sentences', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER sentences_ai AFTER INSERT ON sentences BEGIN
        INSERT INTO sentences_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER sentences_ad AFTER DELETE ON sentences BEGIN
        INSERT INTO sentences_fts (sentences_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TABLE entities (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        name TEXT NOT NULL, label TEXT NOT NULL, mentions TEXT NOT NULL
    );
    CREATE INDEX entities_article ON entities (article_id);
    CREATE INDEX entities_name ON entities (name);
    CREATE TABLE quotes (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        sentence_index INTEGER NOT NULL, speaker TEXT
    );
    CREATE INDEX quotes_article ON quotes (article_id);
    CREATE TABLE times (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        sentence_index INTEGER NOT NULL, resolved TEXT
    );
    CREATE INDEX times_article ON times (article_id);
    CREATE TABLE cache (
        namespace TEXT NOT NULL, key TEXT NOT NULL,
        article_id TEXT REFERENCES articles (id) ON DELETE CASCADE,
        value TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    CREATE INDEX cache_article ON cache (article_id);
    INSERT INTO meta (key, value) VALUES ('generation', '0');
    """,
    # 2: reader data in tables of its own, out of the cache (where version 1 kept it)
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY, created_at TEXT NOT NULL, last_used_at TEXT NOT NULL,
        article_ids TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX conversations_last_used ON conversations (last_used_at);
    CREATE TABLE turns (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL, asked_at TEXT NOT NULL, question TEXT NOT NULL, answer TEXT,
        article_ids TEXT NOT NULL, people TEXT NOT NULL, resolved TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (conversation_id, position)
    );
    CREATE TABLE feedback (
        id TEXT PRIMARY KEY, received_at TEXT NOT NULL, rating TEXT NOT NULL, question TEXT NOT NULL,
        answer TEXT, comment TEXT, citations TEXT NOT NULL, article_id TEXT, conversation_id TEXT
    );
    CREATE INDEX feedback_received ON feedback (received_at);
    INSERT INTO conversations (id, created_at, last_used_at)
        SELECT key, created_at, created_at FROM cache WHERE namespace = 'conversation';
    INSERT INTO turns (conversation_id, position, asked_at, question, answer, article_ids, people)
        SELECT c.key, CAST(t.key AS INTEGER), c.created_at, coalesce(json_extract(t.value, '$.question'), ''),
               json_extract(t.value, '$.answer'), coalesce(json_extract(t.value, '$.article_ids'), '[]'),
               coalesce(json_extract(t.value, '$.people'), '[]')
        FROM cache c, json_each(c.value) t WHERE c.namespace = 'conversation';
    UPDATE conversations SET article_ids = (
        SELECT coalesce(json_group_array(id), '[]') FROM (
            SELECT DISTINCT j.value AS id FROM turns t, json_each(t.article_ids) j
            WHERE t.conversation_id = conversations.id));
    INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id,
                          conversation_id)
        SELECT key, coalesce(json_extract(value, '$.received_at'), created_at),
               coalesce(json_extract(value, '$.rating'), ''), coalesce(json_extract(value, '$.question'), ''),
               json_extract(value, '$.answer'), json_extract(value, '$.comment'),
               coalesce(json_extract(value, '$.citations'), '[]'), json_extract(value, '$.article_id'),
               json_extract(value, '$.conversation_id')
        FROM cache WHERE namespace = 'feedback';
    DELETE FROM cache WHERE namespace IN ('conversation', 'feedback');
    """,
    # 3: work to do per article (preparing it for readers), shared by every process
    """
    CREATE TABLE jobs (
        kind TEXT NOT NULL, article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        state TEXT NOT NULL, again INTEGER NOT NULL DEFAULT 0, worker TEXT,
        attempts INTEGER NOT NULL DEFAULT 0, queued_at TEXT NOT NULL, started_at TEXT,
        heartbeat_at TEXT, finished_at TEXT, error TEXT,
        PRIMARY KEY (kind, article_id)
    );
    CREATE INDEX jobs_waiting ON jobs (kind, state, queued_at);
    """,
    # 4: MinHash LSH bands (see analysis/fingerprint.py), cut from the stored signatures
    """
    CREATE TABLE signature_bands (
        band INTEGER NOT NULL, key BLOB NOT NULL,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        PRIMARY KEY (band, key, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX signature_bands_article ON signature_bands (article_id);
    WITH RECURSIVE band (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM band WHERE n < 15)
    INSERT INTO signature_bands (band, key, article_id)
    SELECT band.n, substr(a.signature, band.n * 32 + 1, 32), a.id FROM articles a, band
    WHERE length(a.signature) = 512;
    """,
    # 5: the log of changed sentence vectors that keeps the vector index file up to date
    """
    CREATE TABLE vector_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, sentence_id INTEGER NOT NULL);
    CREATE TRIGGER sentences_vector_ai AFTER INSERT ON sentences WHEN new.embedding IS NOT NULL BEGIN
        INSERT INTO vector_changes (sentence_id) VALUES (new.id);
    END;
    CREATE TRIGGER sentences_vector_ad AFTER DELETE ON sentences WHEN old.embedding IS NOT NULL BEGIN
        INSERT INTO vector_changes (sentence_id) VALUES (old.id);
    END;
    CREATE TRIGGER sentences_vector_au AFTER UPDATE OF embedding ON sentences BEGIN
        INSERT INTO vector_changes (sentence_id) VALUES (new.id);
    END;
    INSERT INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(16))));
    """,
    # 6: a quote's form (direct, or a reported statement with its verb) and whether its
    # quotation mark closes; a stored quote that ran to its paragraph's end is not closed
    """
    ALTER TABLE quotes ADD COLUMN form TEXT NOT NULL DEFAULT 'direct';
    ALTER TABLE quotes ADD COLUMN closed INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE quotes ADD COLUMN verb TEXT;
    UPDATE quotes SET closed = 0
    WHERE substr((SELECT text FROM articles WHERE id = quotes.article_id), "end" + 1, 1) NOT IN ('”', '"');
    """,
]

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


def _now() -> str:
    return _utc(datetime.now(timezone.utc))


def _utc(moment: datetime) -> str:
    """The one text form of a time here, so that comparing texts compares times."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _moment(moment: datetime | None = None) -> str:
    """A time to the millisecond, for jobs: their heartbeats are seconds apart."""
    return (moment or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _vector_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=EMBEDDING_DTYPE).tobytes()


class SQLiteStore:
    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self.url = str(self.path)
        self._local = threading.local()
        self._vectors_lock = threading.Lock()
        self._vectors: tuple[str, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._vector_index = VectorIndex(self.path)
        self._indexed = False  # once the archive is large enough, it stays searched by the index
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as error:
            raise StoreError(f"cannot open database {self.path}: {error}") from error

    # -- connections and transactions

    @property
    def _db(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                         check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this nutgraf "
                    f"understands ({len(MIGRATIONS)}); upgrade nutgraf"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    def _bump_generation(self, db: sqlite3.Connection) -> None:
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

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
        db.execute(
            "INSERT INTO articles (id, url, title, published, source, authors, origin, content_hash,"
            " ingested_at, text, signature, embedding_model) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.id, a.url, a.title, a.published, a.source, json.dumps(a.authors), a.origin,
             a.content_hash, a.ingested_at or _now(), a.text,
             None if a.signature is None else a.signature.astype(np.uint64).tobytes(),
             a.embedding_model if a.embeddings is not None else None),
        )
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
        db.executemany(
            "INSERT INTO entities (article_id, name, label, mentions) VALUES (?,?,?,?)",
            [(a.id, e.name, e.label, json.dumps([m.__dict__ for m in e.mentions])) for e in a.entities],
        )
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
        db = self._db
        db.execute("BEGIN")  # one snapshot for the article and its rows
        try:
            row = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                return None
            sentence_rows = db.execute(
                'SELECT idx, start, "end", paragraph, text, embedding FROM sentences'
                " WHERE article_id = ? ORDER BY idx", (article_id,)).fetchall()
            entity_rows = db.execute(
                "SELECT name, label, mentions FROM entities WHERE article_id = ? ORDER BY rowid",
                (article_id,)).fetchall()
            quote_rows = db.execute(
                'SELECT text, start, "end", sentence_index, speaker, form, closed, verb FROM quotes'
                " WHERE article_id = ? ORDER BY start", (article_id,)).fetchall()
            time_rows = db.execute(
                'SELECT text, start, "end", sentence_index, resolved FROM times WHERE article_id = ?'
                " ORDER BY start", (article_id,)).fetchall()
        finally:
            db.execute("COMMIT")
        embedded = all(r["embedding"] is not None for r in sentence_rows) and sentence_rows
        return Article(
            id=row["id"], text=row["text"], title=row["title"], url=row["url"],
            published=row["published"], authors=json.loads(row["authors"]), source=row["source"],
            origin=row["origin"], content_hash=row["content_hash"], ingested_at=row["ingested_at"],
            sentences=[Sentence(r["idx"], r["start"], r["end"], r["paragraph"], r["text"]) for r in sentence_rows],
            entities=[Entity(r["name"], r["label"], [Mention(**m) for m in json.loads(r["mentions"])])
                      for r in entity_rows],
            quotes=[Quote(r["text"], r["start"], r["end"], r["sentence_index"], r["speaker"], r["form"],
                          bool(r["closed"]), r["verb"]) for r in quote_rows],
            times=[TimeExpression(r["text"], r["start"], r["end"], r["sentence_index"], r["resolved"])
                   for r in time_rows],
            embeddings=(np.vstack([np.frombuffer(r["embedding"], EMBEDDING_DTYPE) for r in sentence_rows])
                        if embedded else None),
            embedding_model=row["embedding_model"],
            signature=(np.frombuffer(row["signature"], np.uint64) if row["signature"] else None),
        )

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
                (namespace, key, article_id, json.dumps(value), _now()))

    # -- reader data

    def append_turn(self, conversation_id: str, turn: Turn) -> int:
        now = _now()
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

    # -- jobs

    def enqueue(self, kind: str, article_ids: list[str]) -> int:
        now = _moment()
        with self._transaction() as db:
            for article_id in article_ids:
                db.execute(
                    "INSERT INTO jobs (kind, article_id, state, queued_at) VALUES (?, ?, 'queued', ?)"
                    " ON CONFLICT (kind, article_id) DO UPDATE SET"
                    " again = (state = 'running'), attempts = CASE WHEN state = 'running' THEN attempts ELSE 0 END,"
                    " state = CASE WHEN state = 'running' THEN state ELSE 'queued' END,"
                    " queued_at = excluded.queued_at, error = NULL", (kind, article_id, now))
        return len(article_ids)

    def claim(self, kind: str, worker: str, stale_after: float, max_attempts: int) -> str | None:
        now = datetime.now(timezone.utc)
        stale = _moment(now - timedelta(seconds=stale_after))
        with self._transaction() as db:  # BEGIN IMMEDIATE: one claimer at a time, in every process
            db.execute("UPDATE jobs SET state = 'failed', error = 'stopped without finishing, too often',"
                       " finished_at = ? WHERE kind = ? AND state = 'running' AND heartbeat_at < ?"
                       " AND attempts >= ?", (_moment(now), kind, stale, max_attempts))
            row = db.execute(
                "SELECT article_id FROM jobs WHERE kind = ? AND (state = 'queued' OR"
                " (state = 'running' AND heartbeat_at < ?)) ORDER BY queued_at, article_id LIMIT 1",
                (kind, stale)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET state = 'running', worker = ?, started_at = ?, heartbeat_at = ?,"
                       " attempts = attempts + 1, again = 0 WHERE kind = ? AND article_id = ?",
                       (worker, _moment(now), _moment(now), kind, row[0]))
            return row[0]

    def heartbeat(self, kind: str, article_id: str, worker: str) -> bool:
        with self._transaction() as db:
            return db.execute("UPDATE jobs SET heartbeat_at = ? WHERE kind = ? AND article_id = ?"
                              " AND worker = ? AND state = 'running'",
                              (_moment(), kind, article_id, worker)).rowcount > 0

    def finish(self, kind: str, article_id: str, worker: str, error: str | None = None) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = CASE WHEN again THEN 'queued' WHEN ? IS NULL THEN 'done'"
                       " ELSE 'failed' END, again = 0, error = ?, finished_at = ? WHERE kind = ?"
                       " AND article_id = ? AND worker = ? AND state = 'running'",
                       (error, error, _moment(), kind, article_id, worker))

    def job_state(self, kind: str, article_id: str) -> str | None:
        row = self._db.execute("SELECT state FROM jobs WHERE kind = ? AND article_id = ?", (kind, article_id)).fetchone()
        return row[0] if row else None

    def job_counts(self, kind: str) -> dict[str, int]:
        rows = self._db.execute("SELECT state, count(*) FROM jobs WHERE kind = ? GROUP BY state", (kind,))
        return {state: count for state, count in rows}

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
            return db.execute("DELETE FROM conversations WHERE last_used_at < ?", (_utc(older_than),)).rowcount

    def add_feedback(self, feedback: Feedback) -> Feedback:
        stored = replace(feedback, id=feedback.id or new_feedback_id(), received_at=feedback.received_at or _now())
        with self._transaction() as db:
            db.execute(
                "INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id,"
                " conversation_id) VALUES (?,?,?,?,?,?,?,?,?)",
                (stored.id, stored.received_at, stored.rating, stored.question, stored.answer, stored.comment,
                 json.dumps(stored.citations), stored.article_id, stored.conversation_id))
        return stored

    def feedback(self, since: datetime | None = None, limit: int | None = None) -> list[Feedback]:
        rows = self._db.execute(
            "SELECT id, received_at, rating, question, answer, comment, citations, article_id, conversation_id"
            " FROM feedback WHERE received_at >= ? ORDER BY received_at DESC, rowid DESC LIMIT ?",
            ("" if since is None else _utc(since), -1 if limit is None else limit)).fetchall()
        return [Feedback(id=r[0], received_at=r[1], rating=r[2], question=r[3], answer=r[4], comment=r[5],
                         citations=json.loads(r[6]), article_id=r[7], conversation_id=r[8]) for r in rows]


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


def _statements(script: str) -> list[str]:
    """Split a migration script; triggers keep their inner semicolons."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        inside_trigger = re.match(r"CREATE TRIGGER", joined) and not joined.endswith("END;")
        if joined.endswith(";") and not inside_trigger:
            statements.append(joined)
            current = []
    return statements
