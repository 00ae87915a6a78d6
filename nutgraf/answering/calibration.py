"""One calibrated probability that an answer is right, from several independent signals, and
the thresholds the publisher's risk sets on it.

A single prompt cannot make a small model both answer when it should and abstain when it
should; a logistic model over scores can. Its weights are fitted on the tune splits only
(``nutgraf eval calibrate``) and shipped in ``calibration.json``, together with a risk curve:
for each candidate threshold, the share of wrong answers among the tune answers it would
show, each rated by a fit that did not see it (out of fold), and how many those are. The
threshold for a risk is the lowest one from which every higher threshold also keeps that
share within the risk, so a setting never shows an answer that a stricter threshold would
have had to withhold to stay within it. Thresholds that would show too few tune answers to
tell anything (``MIN_SUPPORT``) are neither taken nor allowed to stop the search.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

# A threshold no probability reaches: where no threshold keeps the error within the risk,
# nothing rated by that calibration is shown.
NEVER = 1.01
# Fewer shown tune answers than this say too little about a threshold to take it: one wrong
# answer of 20 already is the whole of a 5% risk.
MIN_SUPPORT = 30


@dataclass
class Calibration:
    features: list[str]
    weights: list[float]
    bias: float
    # (threshold, share of wrong answers among the tune answers at or above it, how many those
    # are), highest threshold first.
    risk_curve: list[tuple[float, float, int]] = field(default_factory=list)
    # The same for the sentence offered as where the article comes closest: how often such a
    # sentence does not hold the answer.
    closest_curve: list[tuple[float, float, int]] = field(default_factory=list)
    name: str = ""  # the mode it was loaded for (see MODES)

    def confidence(self, values: dict[str, float]) -> float:
        z = self.bias + sum(w * values[name] for name, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def threshold_for(self, risk: float) -> float:
        """The lowest threshold whose answers, and every stricter threshold's, stay within ``risk``."""
        return _lowest_within(self.risk_curve, risk)

    def closest_for(self, risk: float) -> float:
        return _lowest_within(self.closest_curve, risk)

    def to_dict(self) -> dict:
        return {"features": self.features, "weights": self.weights, "bias": self.bias,
                "risk_curve": [list(row) for row in self.risk_curve],
                "closest_curve": [list(row) for row in self.closest_curve]}


def _lowest_within(curve: list[tuple[float, float, int]], risk: float) -> float:
    lowest = NEVER
    for threshold, error, shown in curve:  # from the highest threshold down
        if shown < MIN_SUPPORT:
            continue
        if error > risk:
            break
        lowest = threshold
    return lowest


# What each calibration predicts, fitted on the tune splits by ``nutgraf eval calibrate``:
# "phrase": the model's short answer is right; "sentence": the sentence the model chose holds
# the answer (for explanations and lists, and the "closest" band); "evidence": the sentence
# retrieval ranks first holds it (the "closest" band of answers without a sentence of the
# model's choosing); "verdict": a yes/no verdict shown is right (fitted with yes/no questions
# asked of their own passage and of passages that do not answer them); "extractive": the best
# sentence holds the answer, without a model.
MODES = ("phrase", "sentence", "evidence", "verdict", "extractive")


def load(mode: str) -> Calibration:
    """The shipped calibration for ``mode`` (one of ``MODES``)."""
    data = json.loads(resources.files(__package__).joinpath("calibration.json").read_text())
    entry = data[mode]
    return Calibration(entry["features"], entry["weights"], entry["bias"],
                       [tuple(row) for row in entry.get("risk_curve", [])],
                       [tuple(row) for row in entry.get("closest_curve", [])], name=mode)


def risk_curve(confidences: list[float], right: list[float], step: float = 0.01) -> list[tuple[float, float, int]]:
    """For thresholds from 0.99 down to 0.01: the share of wrong answers among the rows at or
    above, and how many they are."""
    pairs = sorted(zip(confidences, right), reverse=True)
    curve = []
    for hundredth in range(99, 0, -1):
        threshold = round(hundredth * step, 2)
        shown = [ok for confidence, ok in pairs if confidence >= threshold]
        wrong = sum(1 for ok in shown if not ok)
        curve.append((threshold, round(wrong / len(shown), 4) if shown else 1.0, len(shown)))
    return curve


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
