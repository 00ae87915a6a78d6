import pytest

from nutgraf.store.sqlite import SQLiteStore


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(tmp_path / "store.db")
    yield store
    store.close()
