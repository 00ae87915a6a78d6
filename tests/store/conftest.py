import pytest
from tests.pg import postgres_server, postgres_url  # noqa: F401

from nutgraf.store import open_store


@pytest.fixture(params=["sqlite", "postgres"])
def store_factory(request, tmp_path):
    """Opens stores on one database of each kind, as separate processes or servers would."""
    if request.param == "sqlite":
        location = str(tmp_path / "store.db")
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
