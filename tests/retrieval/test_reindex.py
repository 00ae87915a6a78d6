import numpy as np

from nutgraf.api import Nutgraf
from nutgraf.retrieval.embedder import MODEL_ID, get_embedder
from nutgraf.retrieval.reindex import reindex

from .articles import fixture_documents


def test_model_change_is_detected_and_rebuilt(tmp_path):
    api = Nutgraf(str(tmp_path / "news.db"))
    api.ingest_documents(fixture_documents()[:3])
    store, embedder = api.store, get_embedder()
    assert store.articles_missing_embeddings(MODEL_ID) == []

    old_id = store.article_ids()[0]
    count = len(store.sentences(old_id))
    rng = np.random.default_rng(0)
    other = rng.normal(size=(count, 384)).astype(np.float32)
    store.set_embeddings(old_id, "some-older-model", other / np.linalg.norm(other, axis=1, keepdims=True))
    assert store.articles_missing_embeddings(MODEL_ID) == [old_id]

    seen = []
    assert reindex(store, embedder, progress=seen.append) == 1
    assert seen == [old_id]
    assert store.articles_missing_embeddings(MODEL_ID) == []
    article = store.get_article(old_id)
    expected = embedder.embed([s.text for s in article.sentences])
    np.testing.assert_allclose(article.embeddings, expected, atol=1e-5)
    assert article.embedding_model == MODEL_ID
    assert reindex(store, embedder) == 0
    api.close()


def test_articles_ingested_without_vectors_get_them(tmp_path):
    api = Nutgraf(str(tmp_path / "news.db"), embed=False)
    api.ingest_documents(fixture_documents()[:2])
    assert len(api.store.articles_missing_embeddings(MODEL_ID)) == 2
    assert reindex(api.store, get_embedder()) == 2
    assert api.store.articles_missing_embeddings(MODEL_ID) == []
    assert reindex(api.store, get_embedder(), force=True) == 2
    api.close()
