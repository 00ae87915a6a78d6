"""Scoring: SQuAD 2.0 exact match and F1, RGB and MultiHop-RAG correctness, calibration.

The SQuAD functions follow the official v2.0 evaluation script, so figures are comparable
with published ones: an abstention scores 0 on an answerable question, and a question with
no gold answer scores 1 only for an abstention.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)
YES_NO = ("yes", "no")
VERDICT_FORM = re.compile(r"^\s*(yes|no)\s*:", re.IGNORECASE)


def normalize_answer(text: str) -> str:
    """Lowercase, drop punctuation and the articles a/an/the, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


def squad_scores(prediction: str | None, golds: Sequence[str]) -> tuple[float, float]:
    """(exact match, F1), each the max over ``golds``; ``None`` is an abstention.

    Gold answers that normalise to nothing are dropped, and no gold answer at all means
    the question is unanswerable, as in the official script. An unanswerable question
    scores 1 only for an abstention: an answer that happens to normalise to nothing
    ("The") is still an answer.
    """
    golds = [g for g in golds if normalize_answer(g)]
    if not golds:
        abstained = float(prediction is None)
        return abstained, abstained
    if prediction is None:
        return 0.0, 0.0
    return (
        max(exact_match(prediction, g) for g in golds),
        max(token_f1(prediction, g) for g in golds),
    )


def answer_parts(raw: Any) -> list[list[str]]:
    """RGB's ``answer`` field as parts, each a list of acceptable alternatives.

    The field is a string, a list of strings (every one required) or a list whose items
    are lists of alternatives (one of each required).
    """
    items = raw if isinstance(raw, list) else [raw]
    return [[str(a) for a in item] if isinstance(item, list) else [str(item)] for item in items]


def contains_answer(prediction: str | None, parts: Sequence[Sequence[str]]) -> bool:
    """RGB's check: case-insensitive substring, every part matched by one of its alternatives."""
    if not prediction or not parts:
        return False
    text = prediction.lower()
    return all(any(alt.lower() in text for alt in alternatives) for alternatives in parts)


def multihop_correct(prediction: str | None, gold: str) -> bool:
    """A Yes/No gold needs exactly that answer; any other gold must appear in the answer.

    Both sides are normalised as SQuAD does, and containment respects word boundaries, so
    "no" is not found inside "not" nor "Google" inside "Googled".
    """
    if not prediction:
        return False
    predicted, expected = normalize_answer(prediction), normalize_answer(gold)
    if expected in YES_NO:
        # nutgraf's yes/no answers are "Yes: <the deciding sentence>": the verdict is the answer.
        verdict = VERDICT_FORM.match(prediction)
        return predicted == expected or (verdict is not None and verdict.group(1).lower() == expected)
    return bool(expected) and f" {expected} " in f" {predicted} "


def verdict_of(prediction: str | None) -> str | None:
    """"yes" or "no" when an answer starts with that verdict ("No: the Kremlin warned ..."), else None."""
    if not prediction:
        return None
    first = normalize_answer(prediction).split(" ", 1)[0]
    return first if first in YES_NO else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile by linear interpolation (numpy's default), or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def reliability_table(confidences: Sequence[float], correct: Sequence[float], bins: int = 10) -> list[dict]:
    """Equal-width confidence bins: count, mean confidence and accuracy in each.

    A confidence of exactly 1.0 falls in the last bin; empty bins report None.
    """
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            (c, ok) for c, ok in zip(confidences, correct)
            if low <= c < high or (b == bins - 1 and c == high)
        ]
        rows.append({
            "bin": [round(low, 3), round(high, 3)],
            "count": len(members),
            "mean_confidence": _mean([c for c, _ in members]),
            "accuracy": _mean([ok for _, ok in members]),
        })
    return rows


def expected_calibration_error(table: Sequence[dict]) -> float | None:
    """The count-weighted mean gap between confidence and accuracy over the bins."""
    total = sum(row["count"] for row in table)
    if not total:
        return None
    return sum(
        row["count"] * abs(row["mean_confidence"] - row["accuracy"]) for row in table if row["count"]
    ) / total


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
