"""The original float all-MiniLM-L6-v2, run in plain numpy from its safetensors file.

It is the reference the int8 ONNX embedder is checked against: the same tokenizer, a BERT
forward pass written out from the published architecture, then mean pooling and L2
normalisation as sentence-transformers applies them.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np

from nutgraf.retrieval.embedder import mean_pool_normalise

HEADS = 12
LAYERS = 6
EPS = 1e-12
DTYPES = {"F32": np.float32, "I64": np.int64}


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    (header_size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_size])
    body = memoryview(raw)[8 + header_size :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=DTYPES[info["dtype"]])
        tensors[name] = array.reshape(info["shape"])
    return tensors


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7), vectorised."""
    sign, x = np.sign(x), np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU."""
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


class ReferenceMiniLM:
    def __init__(self, model_dir: Path, tokenizer):
        self.w = load_safetensors(model_dir / "model.safetensors")
        self.tokenizer = tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._embed_one(text) for text in texts])

    def _embed_one(self, text: str) -> np.ndarray:
        ids = np.array(self.tokenizer.encode(text).ids)
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for layer in range(LAYERS):
            x = self._layer(x, f"encoder.layer.{layer}")
        mask = np.ones((1, len(ids)), dtype=np.int64)
        return mean_pool_normalise(x[None], mask)[0]

    def _layer(self, x: np.ndarray, p: str) -> np.ndarray:
        w = self.w
        n, width = x.shape
        head = width // HEADS

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(n, HEADS, head).transpose(1, 0, 2)

        q = split(linear(x, w, f"{p}.attention.self.query"))
        k = split(linear(x, w, f"{p}.attention.self.key"))
        v = split(linear(x, w, f"{p}.attention.self.value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, width)
        attended = linear(context, w, f"{p}.attention.output.dense")
        x = layer_norm(
            x + attended,
            w[f"{p}.attention.output.LayerNorm.weight"],
            w[f"{p}.attention.output.LayerNorm.bias"],
        )
        hidden = gelu(linear(x, w, f"{p}.intermediate.dense"))
        out = linear(hidden, w, f"{p}.output.dense")
        return layer_norm(
            x + out, w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"]
        )
