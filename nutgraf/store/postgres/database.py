"""A PostgreSQL database: a pool of connections, transactions, the schema brought up to date."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool, PoolTimeout

from ...errors import StoreError
from ...settings import Settings, env_name
from .schema import MIGRATIONS

MIGRATION_LOCK = 7_242_001  # advisory lock key (any constant, unique within this database's users)
PGVECTOR_NEEDED = (0, 8)  # iterative index scans, for scoped dense search


def describe(url: str) -> str:
    """``host:port/database`` of a connection URL, without the credentials, for messages."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}{f':{parts.port}' if parts.port else ''}{parts.path or '/'}"


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


class Database:
    def __init__(self, url: str, settings: Settings):
        """``settings`` size the pool of connections."""
        self.url = url
        self._where = describe(url)
        min_size = settings.pg_pool_min
        max_size = max(min_size, settings.pg_pool_max)
        timeout = settings.pg_pool_timeout
        try:
            with psycopg.connect(url, autocommit=True) as db:
                _migrate(db, self._where)
        except psycopg.OperationalError as error:
            raise StoreError(f"cannot connect to PostgreSQL at {self._where}: {first_line(error)}") from error
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

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as db:
                yield db
        except PoolTimeout as error:
            raise StoreError(f"no free connection to PostgreSQL at {self._where}; raise {env_name('pg_pool_max')}") from error
        except psycopg.OperationalError as error:
            raise StoreError(f"PostgreSQL at {self._where}: {first_line(error)}") from error

    @contextmanager
    def _transaction(self, snapshot: bool = False) -> Iterator[psycopg.Connection]:
        """One transaction; ``snapshot`` makes every statement in it read the same snapshot."""
        with self._connection() as db, db.transaction():
            if snapshot:
                db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield db

    def close(self) -> None:
        self._pool.close()


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
                         f"{first_line(error)}") from error
    except psycopg.errors.InsufficientPrivilege as error:
        raise StoreError(f"cannot set up the schema at {where} ({first_line(error)}); an administrator"
                         " must run CREATE EXTENSION vector, or grant CREATE on the database") from error


def _check_pgvector(db: psycopg.Connection, where: str) -> None:
    version = db.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
    if tuple(int(part) for part in version.split(".")[:2]) < PGVECTOR_NEEDED:
        raise StoreError(f"the PostgreSQL server at {where} has pgvector {version}; nutgraf needs"
                         f" {'.'.join(map(str, PGVECTOR_NEEDED))} or later (ALTER EXTENSION vector UPDATE)")
