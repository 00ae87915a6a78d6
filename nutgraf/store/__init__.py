"""Storage backends. ``open_store`` picks one from a path or URL."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from ..errors import StoreError
from .base import PutResult, Store

DB_ENV = "NUTGRAF_DB"


def default_db() -> str:
    return os.environ.get(DB_ENV) or str(Path(user_data_dir("nutgraf")) / "nutgraf.db")


def open_store(location: str | None = None) -> Store:
    """A store for ``location``: a ``postgresql://`` URL, or a SQLite file path (the default)."""
    location = location or default_db()
    if location.startswith(("postgresql://", "postgres://")):
        raise StoreError("this version of nutgraf stores articles in SQLite only; give a file path")
    from .sqlite import SQLiteStore

    return SQLiteStore(location.removeprefix("sqlite:///"))


__all__ = ["PutResult", "Store", "open_store", "default_db"]
