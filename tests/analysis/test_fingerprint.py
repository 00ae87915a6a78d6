import numpy as np

from nutgraf.analysis.fingerprint import (
    BAND_BYTES, BANDS, NEAR_DUPLICATE, PERMUTATIONS, bands, signature, similar,
)
from tests.conftest import FIXTURES

STORY = ("The council approved the footbridge by seven votes to two on Thursday evening after a "
         "debate that lasted four hours. Work starts in May and should end before the winter.")


def test_a_near_duplicate_always_shares_a_band():
    # At NEAR_DUPLICATE, this many of the 64 values may differ; the worst spread puts each
    # difference in a band of its own, and a whole band must still be left equal.
    may_differ = PERMUTATIONS - int(np.ceil(NEAR_DUPLICATE * PERMUTATIONS))
    assert may_differ < BANDS
    original = signature(STORY)
    changed = original.copy()
    rows = PERMUTATIONS // BANDS
    changed[[band * rows for band in range(may_differ)]] += 1
    assert similar(changed, [("a", original)]) == [("a", round(1 - may_differ / PERMUTATIONS, 3))]
    assert set(bands(changed)) & set(bands(original))


def test_bands_are_slices_of_the_stored_signature():
    value = signature(STORY)
    raw = value.astype(np.uint64).tobytes()
    assert b"".join(bands(value)) == raw and all(len(band) == BAND_BYTES for band in bands(value))


def test_similar_keeps_alike_signatures_best_first():
    story = (FIXTURES / "riverside-bridge.md").read_text()
    original = signature(story)
    reworded = signature(story.replace("footbridge", "bridge", 1))
    other = signature(STORY)
    found = similar(original, [("other", other), ("reworded", reworded), ("same", original)])
    assert [name for name, _ in found] == ["same", "reworded"]
    assert found[0] == ("same", 1.0) and NEAR_DUPLICATE <= found[1][1] < 1.0
