import pytest

from nutgraf.api import Nutgraf
from nutgraf.retrieval.embedder import get_embedder
from nutgraf.retrieval.search import Retriever

from .articles import fixture_documents


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Nutgraf:
    """A real SQLite archive holding the fixture articles, with vectors."""
    api = Nutgraf(str(tmp_path_factory.mktemp("archive") / "news.db"))
    outcomes = api.ingest_documents(fixture_documents())
    assert [o.status for o in outcomes] == ["added"] * len(outcomes)
    yield api
    api.close()


@pytest.fixture(scope="module")
def ids(archive) -> dict[str, str]:
    """Article ids by title."""
    return {a.title: a.id for a in archive.articles()}


@pytest.fixture(scope="module")
def retriever(archive) -> Retriever:
    return Retriever(archive.store, get_embedder())
