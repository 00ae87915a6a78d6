"""The prefix cache: evaluated prompt prefixes kept for later, so that an article is read
once and answered from many times.

Reading the prompt is nearly all of an answer's cost on a CPU, and every question about one
article starts with the same prompt: the article. A local model saves its state after
reading that prefix (a "state", in llama.cpp's word), and any later prompt that starts with it (in this process, another
process or a server worker sharing the cache directory) restores the state instead of
reading the article again.

States are kept in memory (the most recent few) and in files under the user cache
directory, keyed by the model file's identity and the exact prefix tokens, so a changed
article, prompt or model never finds a stale state. The files are capped in total size,
least recently used first out. A file that is truncated, corrupt or not what its name
says is deleted and the prefix read again: a state is never trusted unchecked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from ..settings import Settings

log = logging.getLogger(__name__)

MAGIC = b"NUTGRAF-STATE-1\n"
HEADER_LENGTH = struct.Struct("<I")
SUFFIX = ".state"
DEFAULT_CAPACITY = 4 << 30  # a few hundred articles' states for the 1.5B model (the default setting)
DEFAULT_MEMORY = 512 << 20  # the most recent articles, for answers that alternate between them


@dataclass
class Usage:
    files: int
    bytes: int
    capacity: int
    directory: Path | None


class PrefixCache:
    def __init__(self, directory: str | Path | None = None, capacity_bytes: int = DEFAULT_CAPACITY,
                 memory_bytes: int = DEFAULT_MEMORY):
        """``directory`` None keeps states in memory only."""
        self.directory = Path(directory) if directory is not None else None
        self.capacity = capacity_bytes
        self.memory_capacity = memory_bytes
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> PrefixCache:
        """The cache local models share, from the ``state_dir`` setting (default: ``states``
        in the user cache directory) and ``state_cache_mb`` (0 keeps states in memory only)."""
        megabytes = settings.state_cache_mb
        directory = settings.state_dir or Path(platformdirs.user_cache_dir("nutgraf")) / "states"
        return cls(directory if megabytes else None, megabytes << 20)

    @staticmethod
    def key(model_id: str, tokens: np.ndarray) -> str:
        digest = hashlib.sha256(model_id.encode())
        digest.update(np.asarray(tokens, dtype=np.int32).tobytes())
        return digest.hexdigest()

    def load(self, key: str, tokens: np.ndarray) -> bytes | None:
        """The state saved for exactly these prefix tokens, checked, or None."""
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        if self.directory is None:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        state = _decode(data, key, np.asarray(tokens, dtype=np.int32))
        if state is None:
            log.warning("discarding unusable saved state %s", path.name)
            path.unlink(missing_ok=True)
            return None
        _touch(path)  # recently used: evicted last
        self._remember(key, state)
        return state

    def save(self, key: str, tokens: np.ndarray, state: bytes) -> None:
        self._remember(key, state)
        if self.directory is None or len(state) > self.capacity:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = _encode(key, np.asarray(tokens, dtype=np.int32), state)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            handle.write(payload)
        os.replace(handle.name, path)  # readers see the whole file or none
        _touch(path)
        self._evict()

    def kept(self) -> list[tuple[str, np.ndarray]]:
        """The key and prefix tokens of every state file, as their headers give them."""
        entries = []
        for path, _, _ in self._files():
            try:
                with path.open("rb") as handle:
                    head = handle.read(len(MAGIC) + HEADER_LENGTH.size)
                    (length,) = HEADER_LENGTH.unpack_from(head, len(MAGIC))
                    header = json.loads(handle.read(length))
                    tokens = np.frombuffer(handle.read(4 * header["tokens"]), dtype=np.int32)
            except (OSError, ValueError, KeyError, struct.error):
                continue  # a damaged file: load() discards it when asked for it
            entries.append((header["key"], tokens))
        return entries

    def usage(self) -> Usage:
        files = self._files()
        return Usage(len(files), sum(size for _, size, _ in files), self.capacity, self.directory)

    def clear(self) -> int:
        """Delete every saved state; how many files went."""
        with self._lock:
            self._memory.clear()
        files = self._files()
        for path, _, _ in files:
            path.unlink(missing_ok=True)
        return len(files)

    def _remember(self, key: str, state: bytes) -> None:
        if len(state) > self.memory_capacity:
            return
        with self._lock:
            self._memory[key] = state
            self._memory.move_to_end(key)
            while sum(map(len, self._memory.values())) > self.memory_capacity:
                self._memory.popitem(last=False)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}{SUFFIX}"

    def _files(self) -> list[tuple[Path, int, float]]:
        if self.directory is None or not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"*/*{SUFFIX}"):
            try:
                status = path.stat()
            except OSError:
                continue  # removed meanwhile by another process
            found.append((path, status.st_size, status.st_mtime))
        return found

    def _evict(self) -> None:
        files = sorted(self._files(), key=lambda entry: entry[2])  # least recently used first
        total = sum(size for _, size, _ in files)
        for path, size, _ in files:
            if total <= self.capacity:
                break
            path.unlink(missing_ok=True)
            total -= size


def _touch(path: Path) -> None:
    """Mark a file used now, to the nanosecond (the file system's own clock is coarser)."""
    now = time.time_ns()
    try:
        os.utime(path, ns=(now, now))
    except OSError:
        pass  # removed meanwhile by another process


def _encode(key: str, tokens: np.ndarray, state: bytes) -> bytes:
    header = json.dumps({"key": key, "tokens": len(tokens), "state": len(state),
                         "crc32": zlib.crc32(state)}).encode()
    return MAGIC + HEADER_LENGTH.pack(len(header)) + header + tokens.tobytes() + state


def _decode(data: bytes, key: str, tokens: np.ndarray) -> bytes | None:
    """The state in a file's bytes, or None when anything about it is off."""
    start = len(MAGIC) + HEADER_LENGTH.size
    if not data.startswith(MAGIC) or len(data) < start:
        return None
    (length,) = HEADER_LENGTH.unpack_from(data, len(MAGIC))
    try:
        header = json.loads(data[start:start + length])
    except ValueError:
        return None
    body = start + length
    token_bytes = 4 * len(tokens)
    state = data[body + token_bytes:]
    if (header.get("key") != key or header.get("tokens") != len(tokens)
            or data[body:body + token_bytes] != tokens.tobytes()
            or header.get("state") != len(state) or header.get("crc32") != zlib.crc32(state)):
        return None
    return state
