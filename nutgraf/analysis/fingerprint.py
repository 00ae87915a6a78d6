"""Content fingerprints: an exact hash for idempotency, MinHash for near-duplicates.

The same wire story reaches an archive from two feeds with a different headline, a trimmed
paragraph or a changed byline; word shingles survive that, exact hashes do not.

Stores find candidates through LSH bands: a signature is cut into ``BANDS`` runs of
``ROWS`` values, each stored as an indexed row, so a new article is compared only with the
articles that share a whole band with it, never with every stored signature.
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
from datasketch import MinHash

PERMUTATIONS = 64
SHINGLE = 5
NEAR_DUPLICATE = 0.8  # estimated Jaccard similarity of word 5-shingles
# Two signatures at least NEAR_DUPLICATE alike differ in at most 12 of their 64 values, which
# can spoil at most 12 of 16 bands: a near-duplicate always shares a band (no misses), while
# four equal values in a row almost never happen between unrelated stories.
BANDS = 16
ROWS = PERMUTATIONS // BANDS
BAND_BYTES = ROWS * 8  # uint64 values


def content_hash(text: str, **metadata: object) -> str:
    payload = json.dumps({"text": text, **metadata}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def signature(text: str) -> np.ndarray:
    words = re.findall(r"\w+", text.lower())
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    minhash = MinHash(num_perm=PERMUTATIONS, seed=7)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return minhash.hashvalues.astype(np.uint64)


def bands(signature: np.ndarray) -> list[bytes]:
    """The signature's LSH bands, in band order; band ``n`` is bytes ``n * BAND_BYTES`` on of
    the stored signature, so a database can also cut them from the stored BLOB itself."""
    raw = signature.astype(np.uint64).tobytes()
    return [raw[n * BAND_BYTES:(n + 1) * BAND_BYTES] for n in range(BANDS)]


def similar(candidate: np.ndarray, others: list[tuple[str, np.ndarray]],
            threshold: float = NEAR_DUPLICATE) -> list[tuple[str, float]]:
    """(id, estimated Jaccard) of the (id, signature) ``others`` at least ``threshold`` alike,
    best first."""
    scores = [(other, float((values == candidate).mean())) for other, values in others
              if values.shape == candidate.shape]
    scores.sort(key=lambda item: -item[1])
    return [(other, round(score, 3)) for other, score in scores if score >= threshold]
