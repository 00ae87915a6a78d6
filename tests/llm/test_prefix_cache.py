"""The prefix cache: evaluated prefixes kept in files that any process can restore, and never
trusted unchecked."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nutgraf.llm.prefix_cache import PrefixCache

TOKENS = np.arange(100, 400, dtype=np.int32)


def saved(cache: PrefixCache, tokens=TOKENS, state: bytes = b"state " * 1000, model: str = "m") -> str:
    key = PrefixCache.key(model, tokens)
    cache.save(key, tokens, state)
    return key


def state_file(directory: Path) -> Path:
    (path,) = directory.glob("*/*.state")
    return path


def test_a_state_saved_by_one_process_is_loaded_by_another(tmp_path):
    key = saved(PrefixCache(tmp_path))
    program = textwrap.dedent(f"""
        import numpy as np
        from nutgraf.llm.prefix_cache import PrefixCache
        state = PrefixCache({str(tmp_path)!r}).load({key!r}, np.arange(100, 400, dtype=np.int32))
        print(len(state) if state else "missing")
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(len(b"state " * 1000))


def test_the_key_names_model_and_tokens():
    assert PrefixCache.key("m", TOKENS) == PrefixCache.key("m", TOKENS.copy())
    assert PrefixCache.key("m", TOKENS) != PrefixCache.key("other model", TOKENS)
    assert PrefixCache.key("m", TOKENS) != PrefixCache.key("m", TOKENS[:-1])


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # truncated
    lambda data: data[:-10] + b"x" * 10,  # corrupt state
    lambda data: b"not a state file at all",
])
def test_a_damaged_file_is_not_trusted_and_goes(tmp_path, damage):
    key = saved(PrefixCache(tmp_path))
    path = state_file(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    assert PrefixCache(tmp_path).load(key, TOKENS) is None
    assert not path.exists()


def test_a_file_for_other_tokens_is_not_used(tmp_path):
    key = saved(PrefixCache(tmp_path))
    other = TOKENS.copy()
    other[5] = 7
    assert PrefixCache(tmp_path).load(key, other) is None


def test_the_least_recently_used_states_go_first_beyond_the_cap(tmp_path):
    cache = PrefixCache(tmp_path, capacity_bytes=25_000, memory_bytes=0)
    first = saved(cache, TOKENS[:10], b"a" * 10_000)
    second = saved(cache, TOKENS[:20], b"b" * 10_000)
    assert cache.load(first, TOKENS[:10])  # used: now the most recent
    saved(cache, TOKENS[:30], b"c" * 10_000)
    assert cache.usage().files == 2 and cache.usage().bytes <= 25_000
    assert cache.load(second, TOKENS[:20]) is None
    assert cache.load(first, TOKENS[:10]) == b"a" * 10_000
    assert cache.clear() == 2 and cache.usage().files == 0


def test_without_a_directory_states_stay_in_memory(tmp_path):
    cache = PrefixCache(None, memory_bytes=1_000_000)
    key = saved(cache)
    assert cache.load(key, TOKENS) == b"state " * 1000
    assert cache.usage().files == 0


def test_kept_states_are_listed_with_their_tokens(tmp_path):
    cache = PrefixCache(tmp_path)
    key = saved(cache)
    [(listed, tokens)] = cache.kept()
    assert listed == key and (tokens == TOKENS).all()
