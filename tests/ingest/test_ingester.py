"""The Ingester's chunks: outcomes in input order, articles as if analysed alone, failures alone."""

import numpy as np
import pytest

from nutgraf.analysis.analyzer import analyse
from nutgraf.errors import ModelError
from nutgraf.ingest import pipeline
from nutgraf.ingest.pipeline import Ingester, IngestOutcome
from nutgraf.records import Document
from nutgraf.store.sqlite import SQLiteStore
from tests.conftest import FIXTURES

STORIES = [
    "The ferry stayed in port on Monday. Captain Ada Moss said the storm was the worst in years.",
    "Harwick council met on Friday. The mayor, Tom Reyes, promised a new library by spring.",
    "Lake Torrin fell another metre. Farmers in Calloway asked the state for help on Tuesday.",
]


@pytest.fixture
def store(tmp_path):
    opened = SQLiteStore(tmp_path / "chunks.db")
    yield opened
    opened.close()


def documents() -> list:
    bridge = (FIXTURES / "riverside-bridge.md").read_text()
    return [
        Document(text=STORIES[0], origin="one", published="2024-03-15"),
        Document(text="   ", origin="blank"),
        IngestOutcome("unreadable.html", "failed", error="unreadable.html: not an article"),
        Document(text=STORIES[1], origin="two"),
        Document(text=bridge, origin="bridge"),
        Document(text=STORIES[2], origin="three"),
        Document(text=STORIES[0], origin="one again", published="2024-03-15"),
    ]


def test_outcomes_keep_input_order_across_chunks(store, monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK", 2)
    ingester = Ingester(store, lambda texts: np.ones((len(texts), 4), np.float32), "ones")
    outcomes = list(ingester.ingest_all(documents()))
    assert [(o.origin, o.status) for o in outcomes] == [
        ("one", "added"), ("blank", "failed"), ("unreadable.html", "failed"), ("two", "added"),
        ("bridge", "added"), ("three", "added"), ("one again", "unchanged"),
    ]
    for outcome, document in zip(outcomes, documents()):
        if outcome.status != "added":
            continue
        stored, alone = store.get_article(outcome.article_id), analyse(document.text, document.published)
        assert stored.sentences == alone.sentences and stored.entities == alone.entities
        assert stored.quotes == alone.quotes and stored.times == alone.times
        assert stored.embeddings.shape == (len(alone.sentences), 4)


def test_a_failed_embedding_fails_its_articles_and_stores_nothing(store):
    def broken(texts):
        raise ModelError("embedding model missing")

    outcomes = list(Ingester(store, broken, "broken").ingest_all(
        Document(text=story, origin=f"s{n}") for n, story in enumerate(STORIES)))
    assert [o.status for o in outcomes] == ["failed"] * 3
    assert all(o.error == "embedding model missing" for o in outcomes)
    assert store.article_ids() == []


def test_near_duplicates_within_one_chunk_are_found(store):
    bridge = (FIXTURES / "riverside-bridge.md").read_text()
    first, second = Ingester(store).ingest_all([
        Document(text=bridge, url="https://news.example.org/bridge", origin="gazette"),
        Document(text=bridge, url="https://wire.example.net/bridge", origin="wire"),
    ])
    assert second.near_duplicates == [(first.article_id, 1.0)]
