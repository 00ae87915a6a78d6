"""One calibrated confidence from several independent signals, and the decision to abstain.

A single prompt cannot make a small model both answer when it should and abstain when it
should; a logistic model over scores can. Its weights and threshold are fitted on the tune
splits only (``benchmarks/calibrate.py``) and shipped in ``calibration.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np


@dataclass
class Calibration:
    features: list[str]
    weights: list[float]
    bias: float
    threshold: float  # answer when confidence >= threshold
    # Below the threshold, show the cited sentence as where the article comes closest when
    # the confidence is at least this (None: never).
    closest: float | None = None

    def confidence(self, values: dict[str, float]) -> float:
        z = self.bias + sum(w * values[name] for name, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict:
        data = {"features": self.features, "weights": self.weights, "bias": self.bias,
                "threshold": self.threshold}
        if self.closest is not None:
            data["closest"] = self.closest
        return data


# What each calibration predicts, fitted on the tune splits by benchmarks/calibrate.py:
# "phrase": the model's short answer is right; "sentence": the sentence the model chose holds
# the answer (for explanations and lists, and the "closest" band); "evidence": the sentence
# retrieval ranks first holds it (for yes/no verdicts); "extractive": the same, without a model.
MODES = ("phrase", "sentence", "evidence", "extractive")


def load(mode: str) -> Calibration:
    """The shipped calibration for ``mode`` (one of ``MODES``)."""
    data = json.loads(resources.files(__package__).joinpath("calibration.json").read_text())
    return Calibration(**data[mode])


def fit(rows: list[dict[str, float]], labels: list[int], features: list[str],
        l2: float = 1.0, iterations: int = 50) -> tuple[list[float], float]:
    """Logistic regression by Newton's method (features standardised, L2 on the weights)."""
    x = np.array([[row[f] for f in features] for row in rows], dtype=float)
    y = np.array(labels, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        w -= np.linalg.solve(hessian, gradient)
    weights = w[1:] / scale
    bias = w[0] - float(np.sum(w[1:] * mean / scale))
    return [round(float(v), 5) for v in weights], round(float(bias), 5)
