"""Storage backends. ``open_store`` picks one from a path or URL."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from ..errors import StoreError
from ..settings import Settings, defaults
from .base import ArticleStore, JobQueue, PutResult, QuestionLog, ReaderData, Store


def default_db(settings: Settings | None = None) -> str:
    """The ``db`` setting, else ``nutgraf.db`` in the user data directory."""
    return (settings or defaults()).db or str(Path(user_data_dir("nutgraf")) / "nutgraf.db")


def open_store(location: str | os.PathLike | None = None, settings: Settings | None = None) -> Store:
    """A store for ``location`` (default: :func:`default_db`): a ``postgresql://`` URL, or a
    SQLite file path. ``settings`` size a PostgreSQL pool (default: :func:`~nutgraf.settings.defaults`)."""
    settings = settings or defaults()
    location = str(location or default_db(settings))
    if location.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresStore  # psycopg is an optional dependency
        except ImportError as error:
            raise StoreError(f"PostgreSQL support needs {error.name}: pip install 'nutgraf[postgres]'") from error
        return PostgresStore(location, settings)
    from .sqlite import SQLiteStore

    return SQLiteStore(location.removeprefix("sqlite:///"))


__all__ = ["ArticleStore", "JobQueue", "PutResult", "QuestionLog", "ReaderData", "Store", "default_db", "open_store"]
