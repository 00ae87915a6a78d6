"""The SQLite store's approximate-nearest-neighbour index: usearch HNSW in a file beside the
database, for archive-wide dense search.

The SQLite file stays the only truth. Triggers log every sentence whose vector appears,
changes or goes (``vector_changes``), inside the article's own transaction. The index file
says which database it belongs to and the last change it holds; before every search the
index applies the changes logged since, so it is never behind a committed article, in this
process or another. A process that dies between a commit and an index save loses nothing:
the next one applies the same log. The log is pruned only up to a saved index.

The file is written whole under a new name, then a small JSON sidecar is replaced
atomically to point at it (with its size and CRC-32): a crash mid-save leaves the previous
file in use. A missing, truncated or corrupt file, one from another database or another
vector dimension, or one older than the pruned log, is rebuilt from the stored vectors.

The index holds int8 vectors (a quarter of float32's memory; recall measured in
BENCHMARKS.md); every candidate is re-scored with the exact cosine of its stored vector,
so scores are exact and a deleted or changed sentence is never returned as it was.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CONNECTIVITY = 16  # HNSW links per node
EXPANSION_ADD = 128  # candidates considered when linking a new vector
# Candidates kept while searching. At a million vectors, 512 brought 95.2% of the exact top 10
# into the re-scored hits and 1,024 brought 97.7%, in about 4 ms (BENCHMARKS.md).
EXPANSION_SEARCH = 1024
# Changes applied in memory before the file is saved again: a save writes the whole index
# (about 0.5 GB at a million vectors), so it waits for a good share of new work.
SAVE_AFTER_CHANGES = 20_000
SAVE_AFTER_SHARE = 0.05
FORMAT = 1
BACKLOG = 1_000  # vectors to add at once
BUILD_BATCH = 50_000  # stored vectors read at a time when building (75 MB at 384 dimensions)


@dataclass
class Header:
    """The sidecar's account of the saved index file."""

    database: str
    seq: int
    dimensions: int
    count: int
    file: str
    bytes: int
    crc32: int
    format: int = FORMAT


class VectorIndex:
    """HNSW over the sentence vectors of one dimension, caught up with the change log."""

    def __init__(self, database_path: Path):
        self.sidecar = database_path.with_name(database_path.name + ".vectors.json")
        self._lock = threading.Lock()
        self._index = None
        self._database: str | None = None
        self._dimensions = 0
        self._seq = 0  # the last logged change the index holds
        self._unsaved = 0  # changes held in memory only
        self._built = False  # built here from the stored vectors, not yet saved

    def __len__(self) -> int:
        return 0 if self._index is None else len(self._index)

    def candidates(self, db: sqlite3.Connection, vector: np.ndarray, count: int) -> list[int]:
        """Sentence row ids of about the ``count`` nearest stored vectors, nearest first."""
        with self._lock:
            self._catch_up(db, int(vector.shape[0]))
            if not len(self):
                return []
            self._index.expansion_search = max(EXPANSION_SEARCH, count)
            return [int(key) for key in self._index.search(vector, count, threads=1).keys]

    # -- keeping up with the database

    def _catch_up(self, db: sqlite3.Connection, dimensions: int) -> None:
        db.execute("BEGIN")  # one snapshot for the log position and the vectors read
        try:
            database, latest, pruned = _log_position(db)
            if (self._index is None or self._database != database or self._dimensions != dimensions
                    or self._seq < pruned or self._seq > latest):
                self._open(db, database, dimensions, latest, pruned)
            if latest > self._seq:
                self._apply(db, latest)
        finally:
            db.execute("COMMIT")
        if self._built or self._unsaved >= max(SAVE_AFTER_CHANGES, SAVE_AFTER_SHARE * len(self)):
            self._save(db)

    def _open(self, db: sqlite3.Connection, database: str, dimensions: int, latest: int, pruned: int) -> None:
        self._database, self._dimensions = database, dimensions
        header = self._read_header()
        problem = self._unusable(header, database, dimensions, latest, pruned)
        if problem is None:
            try:
                self._index = _restore(self.sidecar.with_name(header.file), header)
                self._seq, self._unsaved = header.seq, 0
                return
            except (OSError, ValueError, RuntimeError) as error:
                problem = f"it cannot be read ({error})"
        if header is not None:
            log.warning("rebuilding the vector index %s: %s", self.sidecar, problem)
        self._build(db, latest)

    def _unusable(self, header: Header | None, database: str, dimensions: int, latest: int,
                  pruned: int) -> str | None:
        """Why the saved index cannot serve this database now, or None when it can."""
        if header is None:
            return "there is none"
        if header.database != database:
            return "it belongs to another database"
        if header.dimensions != dimensions:
            return f"it holds {header.dimensions}-dimension vectors, not {dimensions}"
        if header.seq < pruned:
            return "it is older than the kept change log"
        if header.seq > latest:
            return "it is newer than the database (restored from a backup?)"
        return None

    def _build(self, db: sqlite3.Connection, latest: int) -> None:
        log.info("building the vector index %s from the stored vectors", self.sidecar)
        self._index = _new_index(self._dimensions)
        rows = db.execute("SELECT id, embedding FROM sentences WHERE embedding IS NOT NULL")
        while batch := rows.fetchmany(BUILD_BATCH):  # a batch at a time keeps memory to the index
            ids, vectors = _rows(batch, self._dimensions)
            if len(ids):
                self._index.add(ids, vectors, threads=os.cpu_count() or 1)
        self._seq, self._unsaved, self._built = latest, 0, True

    def _apply(self, db: sqlite3.Connection, latest: int) -> None:
        touched = db.execute(
            "SELECT DISTINCT c.sentence_id, s.embedding FROM vector_changes c"
            " LEFT JOIN sentences s ON s.id = c.sentence_id WHERE c.seq > ? AND c.seq <= ?",
            (self._seq, latest)).fetchall()
        keys = np.array([row[0] for row in touched], dtype=np.uint64)
        present = keys[np.asarray(self._index.contains(keys), dtype=bool)] if len(keys) else keys
        if len(present):
            self._index.remove(present)
        ids, vectors = _rows((row for row in touched if row[1] is not None), self._dimensions)
        if len(ids):
            # A search waits for this; a large backlog (a batch ingest) uses every core.
            self._index.add(ids, vectors, threads=1 if len(ids) < BACKLOG else os.cpu_count() or 1)
        self._seq = latest
        self._unsaved += len(touched)

    # -- the file

    def _read_header(self) -> Header | None:
        try:
            header = Header(**json.loads(self.sidecar.read_text()))
        except (OSError, ValueError, TypeError):
            return None
        return header if header.format == FORMAT else None

    def _save(self, db: sqlite3.Connection) -> None:
        with open(self.sidecar.with_name(self.sidecar.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one saver at a time, across processes
            saved = self._read_header()
            # A rebuilt index replaces the file it was rebuilt for; otherwise only a newer one does.
            if self._built or saved is None or saved.database != self._database or saved.seq < self._seq:
                self._write()
            self._unsaved, self._built = 0, False
        # The log up to a saved index is no longer needed; the mark makes any process whose
        # index is older load the saved file instead.
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM vector_changes WHERE seq <= ?", (self._seq,))
            db.execute("INSERT INTO meta (key, value) VALUES ('vector_changes_pruned', ?) ON CONFLICT (key) DO UPDATE"
                       " SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                       (str(self._seq),))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _write(self) -> None:
        name = f"{self.sidecar.name.removesuffix('.json')}-{self._seq}-{uuid.uuid4().hex[:8]}.usearch"
        path = self.sidecar.with_name(name)
        partial = path.with_name(name + ".partial")
        self._index.save(str(partial))
        _fsync(partial)
        partial.replace(path)
        header = Header(self._database, self._seq, self._dimensions, len(self._index), name,
                        path.stat().st_size, _crc32(path))
        staged = self.sidecar.with_name(self.sidecar.name + ".partial")
        staged.write_text(json.dumps(header.__dict__))
        _fsync(staged)
        staged.replace(self.sidecar)  # the moment the new file takes over
        for old in self.sidecar.parent.glob(self.sidecar.name.removesuffix(".json") + "-*.usearch*"):
            if old.name != name:
                old.unlink(missing_ok=True)


def _log_position(db: sqlite3.Connection) -> tuple[str, int, int]:
    """(database id, last change ever logged, last change pruned from the log)."""
    meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('database_id', 'vector_changes_pruned')"))
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'").fetchone()
    return meta["database_id"], row[0] if row else 0, int(meta.get("vector_changes_pruned", 0))


def _rows(rows, dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, matrix) of the (id, vector BLOB) rows of ``dimensions``; others are left out."""
    width = dimensions * 4
    kept = [(row[0], row[1]) for row in rows if len(row[1]) == width]
    ids = np.array([row[0] for row in kept], dtype=np.uint64)
    matrix = np.frombuffer(b"".join(row[1] for row in kept), dtype=np.float32).reshape(len(kept), dimensions)
    return ids, matrix


def _new_index(dimensions: int):
    from usearch.index import Index

    return Index(ndim=dimensions, metric="cos", dtype="i8", connectivity=CONNECTIVITY,
                 expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)


def _restore(path: Path, header: Header):
    if path.stat().st_size != header.bytes or _crc32(path) != header.crc32:
        raise ValueError("its size or checksum does not match its header")
    index = _new_index(header.dimensions)
    index.load(str(path))
    if len(index) != header.count or index.ndim != header.dimensions:
        raise ValueError("its contents do not match its header")
    return index


def _crc32(path: Path) -> int:
    checksum = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            checksum = zlib.crc32(block, checksum)
    return checksum


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())
