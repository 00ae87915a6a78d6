"""Fit the answer/abstain calibration on the tune splits only, and write calibration.json.

    .venv/bin/python benchmarks/calibrate.py --mode llm --squad 300 --newsqa 80 --rgb 50
    .venv/bin/python benchmarks/calibrate.py --mode extractive --squad 300 --newsqa 80 --rgb 50

For each sampled tune question the pipeline reads the evidence as usual, and the signals
behind its confidence are recorded with whether its answer was right (SQuAD/NewsQA: token
F1 >= 0.5; RGB: contains the gold answer; unanswerable: never right). A logistic model is
fitted on those rows; the threshold maximises the mean per-set score, where abstaining on
an unanswerable question scores 1 and answering an answerable one scores its F1.
Rows are kept in benchmarks/out/ so that a refit (``--refit``) needs no model run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.answering import calibration  # noqa: E402
from nutgraf.eval import datasets, metrics  # noqa: E402
from nutgraf.eval.datasets import EvalSet  # noqa: E402
from nutgraf.eval.runner import cache_db, ingest_corpus  # noqa: E402
from nutgraf.records import Scope  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
CALIBRATION_FILE = ROOT / "nutgraf" / "answering" / "calibration.json"


def sample(evalset: EvalSet, count: int, name: str) -> EvalSet:
    """``count`` items spread evenly over the set (not its first articles only)."""
    step = max(1, len(evalset.items) // count)
    items = evalset.items[::step][:count]
    return EvalSet(f"{name}-calibration-{count}", items, evalset.archive)


def correct(item, phrase: str, sentence: str, mode: str) -> float:
    """How right an answer is. Extractive answers are often the whole sentence, so there it
    counts whether the cited sentence holds a gold answer."""
    if not item.answerable:
        return 0.0
    if item.scoring == "rgb":
        return float(metrics.contains_answer(sentence if mode == "extractive" else phrase, item.parts))
    if mode == "extractive":
        normalized = metrics.normalize_answer(sentence)
        return float(any(metrics.normalize_answer(gold) in normalized for gold in item.answers))
    return metrics.squad_scores(phrase, item.answers)[1]


def collect(model: str, mode: str, name: str, evalset: EvalSet, sink) -> list[dict]:
    """Rows for one set; each is written to ``sink`` as soon as it is known, so that an
    interrupted run still leaves rows to fit on."""
    nutgraf = Nutgraf(cache_db(evalset.name), model=model)
    items, _ = ingest_corpus(nutgraf, evalset)
    answerer = nutgraf.answerer
    rows = []
    for item in tqdm(items, desc=name, unit="question", file=sys.stderr):
        started = time.perf_counter()
        turn = answerer._prepare(item.question, Scope(article_ids=item.article_ids), None)
        candidate = answerer._candidate(turn)
        row = {"set": name, "id": item.id, "answerable": item.answerable, "features": None,
               "phrase": None, "score": 0.0, "seconds": 0.0}
        if candidate is not None:
            phrase = answerer.phrase(item.question, candidate)
            sentence = candidate.item.sentence.text
            row.update(features=answerer.features(item.question, candidate, turn.evidence), phrase=phrase,
                       score=correct(item, phrase, sentence, mode))
        row["seconds"] = round(time.perf_counter() - started, 3)
        rows.append(row)
        sink.write(json.dumps(row) + "\n")
        sink.flush()
    return rows


def outcome(row: dict, confidence: float, threshold: float) -> float:
    """The row's score when answering at ``confidence`` against ``threshold``."""
    answers = row["features"] is not None and confidence >= threshold
    if not row["answerable"]:
        return 0.0 if answers else 1.0
    return row["score"] if answers else 0.0


def balanced_accuracy(rows: list[dict], confidences: list[float], threshold: float) -> float:
    """Mean of the share of right answers given and the share of wrong ones withheld."""
    right = [c >= threshold for r, c in zip(rows, confidences) if r["score"] >= 0.5]
    wrong = [c < threshold for r, c in zip(rows, confidences) if r["score"] < 0.5]
    return (sum(right) / max(1, len(right)) + sum(wrong) / max(1, len(wrong))) / 2


def best_threshold(rows: list[dict], confidences: list[float], mode: str) -> tuple[float, float]:
    """The threshold with the best mean per-set score (llm), or the best balanced accuracy
    (extractive, whose whole-sentence answers score little F1 even when right)."""
    sets = sorted({r["set"] for r in rows})
    best = (0.5, -1.0)
    for step in range(5, 96):
        threshold = step / 100
        if mode == "extractive":
            value = balanced_accuracy(rows, confidences, threshold)
            best = max(best, (threshold, value), key=lambda pair: pair[1])
            continue
        per_set = []
        for name in sets:
            scores = [outcome(r, c, threshold) for r, c in zip(rows, confidences) if r["set"] == name]
            per_set.append(sum(scores) / len(scores))
        mean = sum(per_set) / len(per_set)
        if mean > best[1]:
            best = (threshold, mean)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["llm", "extractive"], default="llm")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--squad", type=int, default=300)
    parser.add_argument("--newsqa", type=int, default=80)
    parser.add_argument("--rgb", type=int, default=50)
    parser.add_argument("--refit", action="store_true", help="fit again on the rows kept from the last run")
    args = parser.parse_args()
    model = "none" if args.mode == "extractive" else args.model
    rows_file = OUT / f"calibration-rows-{args.mode}.jsonl"
    OUT.mkdir(parents=True, exist_ok=True)
    if args.refit:
        rows = [json.loads(line) for line in rows_file.read_text().splitlines()]
    else:
        rows = []
        with rows_file.open("w") as sink:
            for name, count in (("squad2", args.squad), ("newsqa", args.newsqa), ("rgb", args.rgb)):
                if count:
                    rows += collect(model, args.mode, name, sample(datasets.load(name, "tune"), count, name), sink)

    current = calibration.load(args.mode)
    fitted = [r for r in rows if r["features"] is not None]
    weights, bias = calibration.fit([r["features"] for r in fitted],
                                    [int(r["score"] >= 0.5) for r in fitted], current.features)
    model_fit = calibration.Calibration(current.features, weights, bias, 0.5)
    confidences = [model_fit.confidence(r["features"]) if r["features"] else 0.0 for r in rows]
    threshold, score = best_threshold(rows, confidences, args.mode)
    model_fit.threshold = threshold
    data = json.loads(CALIBRATION_FILE.read_text())
    data[args.mode] = model_fit.to_dict()
    CALIBRATION_FILE.write_text(json.dumps(data, indent=2) + "\n")

    table = metrics.reliability_table([c for c, r in zip(confidences, rows) if r["features"]],
                                      [float(r["score"] >= 0.5) for r in rows if r["features"]])
    objective = "balanced accuracy" if args.mode == "extractive" else "mean per-set score"
    print(f"{len(rows)} tune questions, {objective} {score:.3f} at threshold {threshold}")
    print(json.dumps(model_fit.to_dict(), indent=2))
    print("| confidence | questions | mean confidence | share correct |\n|---|---|---|---|")
    for row in table:
        mean, accuracy = row["mean_confidence"], row["accuracy"]
        print(f"| {row['bin'][0]:.1f}-{row['bin'][1]:.1f} | {row['count']} | "
              f"{'-' if mean is None else f'{mean:.2f}'} | {'-' if accuracy is None else f'{accuracy:.2f}'} |")


if __name__ == "__main__":
    main()
