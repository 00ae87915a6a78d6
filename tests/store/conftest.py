import pytest
from tests.pg import postgres_server, postgres_url  # noqa: F401

from nutgraf.store import open_store
from nutgraf.store.sqlite import articles as sqlite_articles


@pytest.fixture(params=["sqlite", "sqlite-indexed", "postgres"])
def store_factory(request, tmp_path):
    """Opens stores on one database of each kind, as separate processes or servers would.

    ``sqlite-indexed`` searches the archive through the vector index file however small the
    archive is, as SQLite does from INDEX_FROM_SENTENCES sentences on.
    """
    if request.param.startswith("sqlite"):
        location = str(tmp_path / "store.db")
        if request.param == "sqlite-indexed":
            request.getfixturevalue("monkeypatch").setattr(sqlite_articles, "INDEX_FROM_SENTENCES", 0)
    else:
        location = request.getfixturevalue("postgres_url")
    opened = []

    def open_another():
        opened.append(open_store(location))
        return opened[-1]

    yield open_another
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory):
    return store_factory()
