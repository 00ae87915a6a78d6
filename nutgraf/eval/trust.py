"""What a reader can trust, measured: how much is answered, how much of what is shown is wrong,
and how that trade moves with the threshold (the risk-coverage curve).

- **coverage**: the share of answerable questions given an answer;
- **error among shown**: the share of shown answers that are wrong (an answer to a question
  the articles do not answer is always wrong), per kind of answer and overall;
- **middle band**: how often the sentence offered as "the article comes closest here" holds
  the answer;
- **risk-coverage curve**: for each threshold on the shown answers' confidence, the coverage
  and error that threshold would give. A run with ``--min-confidence 0`` shows every draft and
  so traces the whole curve; a run at the default setting traces it from the shipped
  thresholds up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import metrics
from .datasets import EvalItem

CURVE_POINTS = 50


def answer_is_right(item: EvalItem, answer: str | None) -> bool:
    """Whether a shown answer is right: its verdict (BoolQ), holding the gold answer (RGB), the
    gold answer in substance (SQuAD, NewsQA: token F1 of at least 0.5, or holding it whole),
    or MultiHop-RAG's own check. Any answer to an unanswerable question is wrong."""
    if not item.answerable or not answer:
        return False
    if item.scoring == "boolq":
        return metrics.verdict_of(answer) == item.answers[0]
    if item.scoring == "rgb":
        return metrics.contains_answer(answer, item.parts)
    if item.scoring == "multihop":
        return metrics.multihop_correct(answer, item.answers[0])
    normal = metrics.normalize_answer(answer)
    return metrics.squad_scores(answer, item.answers)[1] >= 0.5 or \
        any(metrics.normalize_answer(gold) in normal for gold in item.answers if metrics.normalize_answer(gold))


def figures(pairs: list[tuple[EvalItem, dict]]) -> dict[str, Any]:
    """Coverage, error among shown and the middle band's hit rate, overall and per answer kind."""
    by_kind: dict[str, list] = {}
    for item, record in pairs:
        by_kind.setdefault(record.get("kind") or "none", []).append((item, record))
    return {"overall": _figures(pairs), "by_answer_kind": {kind: _figures(group) for kind, group in by_kind.items()},
            "curve": curve(pairs)}


def _figures(pairs: list[tuple[EvalItem, dict]]) -> dict[str, Any]:
    answerable = [r for item, r in pairs if item.answerable]
    shown = [r for _, r in pairs if not r["abstained"]]
    closest = [r["closest_holds_answer"] for _, r in pairs if "closest_holds_answer" in r]
    return {
        "questions": len(pairs),
        "shown": len(shown),
        "coverage": _share(not r["abstained"] for r in answerable),
        "error_among_shown": _share(not r["right"] for r in shown),
        "wrong_shown": sum(not r["right"] for r in shown),
        "closest": sum(r.get("grade") == "closest" for _, r in pairs),
        "closest_holds_answer": _share(closest),
    }


def curve(pairs: list[tuple[EvalItem, dict]]) -> list[dict[str, float]]:
    """(threshold, coverage, error among shown) for thresholds over the shown answers' confidences."""
    answerable = sum(1 for item, _ in pairs if item.answerable)
    shown = sorted(((r["confidence"], r["right"], item.answerable) for item, r in pairs
                    if not r["abstained"] and r["confidence"] is not None), reverse=True)
    if not shown or not answerable:
        return []
    step = max(1, len(shown) // CURVE_POINTS)
    points = []
    for end in list(range(step, len(shown), step)) + [len(shown)]:
        kept = shown[:end]
        points.append({"threshold": round(kept[-1][0], 4),
                       "coverage": round(sum(1 for _, _, a in kept if a) / answerable, 4),
                       "error_among_shown": round(sum(1 for _, ok, _ in kept if not ok) / len(kept), 4),
                       "shown": len(kept)})
    return points


def write_curve(points: list[dict[str, float]], path: Path, title: str) -> None:
    """The risk-coverage curve as JSON beside a PNG picture (``path`` names the picture)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        raise InputError("drawing the curve needs matplotlib: pip install 'nutgraf[eval]'") from None
    path.with_suffix(".json").write_text(json.dumps(points, indent=1) + "\n")
    figure, axes = pyplot.subplots(figsize=(5.5, 4), dpi=120)
    axes.plot([p["coverage"] for p in points], [p["error_among_shown"] for p in points], marker=".", color="#1f5fa8")
    axes.axhline(0.05, color="#a1261b", linestyle="--", linewidth=1, label="5% error")
    axes.set(xlabel="coverage (answerable questions answered)", ylabel="error among shown answers",
             title=title, xlim=(0, 1), ylim=(0, max(0.3, max((p["error_among_shown"] for p in points), default=0))))
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def _share(flags: Iterable[bool]) -> float | None:
    values = [float(flag) for flag in flags]
    return sum(values) / len(values) if values else None
