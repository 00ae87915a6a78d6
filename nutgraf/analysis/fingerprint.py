"""Content fingerprints: an exact hash for idempotency, MinHash for near-duplicates.

The same wire story reaches an archive from two feeds with a different headline, a trimmed
paragraph or a changed byline; word shingles survive that, exact hashes do not.
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


def content_hash(text: str, **metadata: object) -> str:
    payload = json.dumps({"text": text, **metadata}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def signature(text: str) -> np.ndarray:
    words = re.findall(r"\w+", text.lower())
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    minhash = MinHash(num_perm=PERMUTATIONS, seed=7)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return minhash.hashvalues.astype(np.uint64)


def similar(candidate: np.ndarray, ids: list[str], signatures: np.ndarray,
            threshold: float = NEAR_DUPLICATE) -> list[tuple[str, float]]:
    """(id, estimated Jaccard) of stored signatures at least ``threshold`` alike, best first."""
    if not ids or signatures.shape[1] != candidate.shape[0]:
        return []
    scores = (signatures == candidate).mean(axis=1)
    order = np.argsort(-scores)
    return [(ids[i], round(float(scores[i]), 3)) for i in order if scores[i] >= threshold]
