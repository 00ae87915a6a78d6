"""One SQLite file: a connection per thread, transactions, the schema brought up to date."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ...errors import StoreError
from .schema import MIGRATIONS, statements


class Database:
    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self.url = str(self.path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._transaction() as db:
                _migrate(db, self.path)
        except (sqlite3.DatabaseError, OSError) as error:
            raise StoreError(f"cannot open database {self.path}: {error}") from error

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection: SQLite connections are not shared across threads."""
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
    def _connection(self) -> Iterator[sqlite3.Connection]:
        yield self._db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: one writer at a time, in every process; readers go on (WAL)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _bump_generation(self, db: sqlite3.Connection) -> None:
        """Count a change to the archive, which every process sees (see ``_archive_vectors``)."""
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema of the database at ``path`` up to date, inside a transaction of ``db``."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path} has schema version {version}, newer than this nutgraf "
            f"understands ({len(MIGRATIONS)}); upgrade nutgraf"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in statements(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
