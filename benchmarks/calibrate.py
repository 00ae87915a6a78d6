"""Fit the calibrations behind every answer's confidence on the tune splits only, and write
nutgraf/answering/calibration.json.

    .venv/bin/python benchmarks/calibrate.py --mode llm --squad 160 --newsqa 50 --rgb 60
    .venv/bin/python benchmarks/calibrate.py --mode extractive --squad 300 --newsqa 80 --rgb 50
    .venv/bin/python benchmarks/calibrate.py --mode llm --refit   # again, on the rows kept

Each sampled tune question goes through the answering stages as a reader's would (open,
resolve, gather, classify, read, check) and its row records the signals of the sentence
the reading settled on and of the sentence retrieval ranks first, with what was right:
the answer (SQuAD/NewsQA: token F1 >= 0.5; RGB: it contains the gold answer), the chosen
sentence holding a gold answer, the top sentence holding one. Unanswerable questions are
never right. Then:
- "phrase" (short answers read by the model) is fitted on the rows of those kinds;
- "sentence" (the chosen sentence holds the answer) on every row the model read;
- "evidence" (the top sentence holds it) on every row;
- "extractive" (no model) on the rows of an extractive run.
The phrase and verdict thresholds maximise the mean per-set score (abstaining on an
unanswerable question scores 1, answering scores the answer's F1 or its verdict); answers
of other kinds are given when their sentence more likely holds the answer than not (a
clause or a list scores little F1 against a short gold span even when right), and the
evidence threshold maximises balanced accuracy. A "closest" band is the lowest confidence from which
the sentences shown are right more often than wrong, bin by bin. Rows go to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.answering import calibration  # noqa: E402
from nutgraf.answering.decide import PHRASE_KINDS, Decider  # noqa: E402
from nutgraf.answering.kinds import YES_NO  # noqa: E402
from nutgraf.answering.read import Draft  # noqa: E402
from nutgraf.eval import datasets, metrics  # noqa: E402
from nutgraf.eval.datasets import EvalSet  # noqa: E402
from nutgraf.eval.runner import cache_db, ingest_corpus  # noqa: E402
from nutgraf.records import Scope  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
CALIBRATION_FILE = ROOT / "nutgraf" / "answering" / "calibration.json"
PER_STORY = 3  # questions taken from each sampled story: its article is then read once
MIN_SET_ROWS = 20  # see mean_per_set
FOLDS = 5
L2_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # penalties on standardised weights, chosen by held_out_loss
MORE_LIKELY_THAN_NOT = 0.5


def sample(evalset: EvalSet, count: int, name: str) -> EvalSet:
    """``count`` items spread over the set's articles, a few per article (not its first ones only)."""
    by_article: dict[str, list] = {}
    for item in evalset.items:
        key = "|".join(d.origin for d in item.documents) or item.id
        by_article.setdefault(key, []).append(item)
    groups = list(by_article.values())
    step = max(1, len(groups) // max(1, -(-count // PER_STORY)))
    items: list = []
    for offset in range(step):  # every step-th article first; others fill up when those run short
        for group in groups[offset::step]:
            # Spread over the article's questions too: SQuAD lists the unanswerable ones last.
            spread = group[::max(1, len(group) // PER_STORY)][:PER_STORY]
            items += spread[: count - len(items)]
        if len(items) >= count:
            break
    return EvalSet(f"{name}-calibration-{count}", items, evalset.archive)


def boolq_with_strangers(count: int) -> EvalSet:
    """BoolQ tune questions, half asked of their own passage and half of another page's: a
    yes/no question the article does not answer, for the verdict's answer-or-abstain fit."""
    items = datasets.load("boolq", "tune").items
    chosen = items[:: max(1, len(items) // count)][:count]
    mixed = []
    for number, item in enumerate(chosen):
        if number % 2:
            stranger = next(other for other in items[number * 7 % len(items):] + items
                            if other.documents[0].title != item.documents[0].title)
            item = replace(item, id=item.id + "-stranger", documents=stranger.documents, answerable=False,
                           answers=[], kind="stranger")
        mixed.append(item)
    return EvalSet(f"boolq-calibration-{count}", mixed)


def holds_gold(item, text: str) -> float:
    if not item.answerable or not text:
        return 0.0
    if item.scoring == "rgb":
        return float(metrics.contains_answer(text, item.parts))
    if item.scoring == "boolq":
        return 1.0  # an answerable yes/no question is decided somewhere in its passage
    normalized = metrics.normalize_answer(text)
    return float(any(metrics.normalize_answer(gold) in normalized for gold in item.answers))


def answer_score(item, answer: str | None) -> float:
    """How right an answer is: F1 for SQuAD-style sets, containment for RGB, the verdict for BoolQ."""
    if not item.answerable or not answer:
        return 0.0
    if item.scoring == "boolq":
        return float(metrics.verdict_of(answer) == item.answers[0])
    if item.scoring == "rgb":
        return float(metrics.contains_answer(answer, item.parts))
    return metrics.squad_scores(answer, item.answers)[1]


def collect(model: str, name: str, evalset: EvalSet, sink) -> list[dict]:
    """Rows for one set, each written to ``sink`` as soon as it is known."""
    nutgraf = Nutgraf(cache_db(evalset.name), model=model)
    items, _ = ingest_corpus(nutgraf, evalset)
    answerer = nutgraf.answerer
    embedder = answerer.retriever.embedder
    rows = []
    for item in tqdm(items, desc=name, unit="question", file=sys.stderr):
        started = time.perf_counter()
        request = answerer.resolve(answerer.open(item.question, Scope(article_ids=item.article_ids)))
        evidence = answerer.gather(request)
        asked = answerer.classify(request, evidence)
        draft = answerer.check(answerer.read(request, asked, evidence))
        row = {"set": name, "id": item.id, "answerable": item.answerable, "kind": draft.kind,
               "source": draft.source, "read": draft.reading is not None, "features": None, "top": None,
               "answer": None, "score": 0.0, "sentence_ok": 0.0, "top_ok": 0.0}
        if draft.chosen is not None:
            row["features"] = answerer.decider.signals(request, draft, evidence, embedder)
            row["answer"] = draft.one_line
            row["score"] = answer_score(item, draft.one_line)
            row["sentence_ok"] = holds_gold(item, draft.chosen.sentence.text)
        if evidence.top is not None:
            top = Draft(draft.kind, chosen=evidence.top)
            row["top"] = answerer.decider.signals(request, top, evidence, embedder)
            row["top_ok"] = holds_gold(item, evidence.top.sentence.text)
        row["seconds"] = round(time.perf_counter() - started, 3)
        rows.append(row)
        sink.write(json.dumps(row) + "\n")
        sink.flush()
    return rows


# -- fitting


def fitted(name: str, rows: list[dict], features_of, label) -> calibration.Calibration:
    current = calibration.load(name)
    usable = [r for r in rows if features_of(r) is not None]
    values, labels = [features_of(r) for r in usable], [label(r) for r in usable]
    l2 = min(L2_GRID, key=lambda penalty: held_out_loss(values, labels, current.features, penalty))
    weights, bias = calibration.fit(values, labels, current.features, l2=l2)
    print(f"{name}: L2 {l2} by {FOLDS}-fold cross-validation on {len(usable)} rows", file=sys.stderr)
    return calibration.Calibration(current.features, weights, bias, current.threshold, current.closest)


def held_out_loss(values: list[dict], labels: list[int], features: list[str], l2: float) -> float:
    """Mean log-loss on each fold of rows when fitted on the others: how well a penalty
    carries to questions the fit did not see (the held-out questions the figures are for)."""
    loss = 0.0
    for fold in range(FOLDS):
        train = [i for i in range(len(values)) if i % FOLDS != fold]
        weights, bias = calibration.fit([values[i] for i in train], [labels[i] for i in train], features, l2=l2)
        judge = calibration.Calibration(features, weights, bias, 0.5, None)
        for i in range(fold, len(values), FOLDS):
            p = min(max(judge.confidence(values[i]), 1e-6), 1 - 1e-6)
            loss -= math.log(p if labels[i] else 1 - p)
    return loss / len(values)


def mean_per_set(rows: list[dict], answers: list[bool]) -> float:
    """The mean of the sets' mean scores, so that no set outweighs the others by its size. The
    sets with fewer than MIN_SET_ROWS rows count as one set together, and not at all while
    that is still too few: two yes/no questions in SQuAD would otherwise weigh as much as a
    hundred in BoolQ."""
    sizes = Counter(r["set"] for r in rows)
    group = {name: name if size >= MIN_SET_ROWS else "small sets" for name, size in sizes.items()}
    groups = Counter(group[r["set"]] for r in rows)
    per_set = []
    for name in sorted(g for g, size in groups.items() if size >= MIN_SET_ROWS or len(groups) == 1):
        scores = [(r["score"] if answered else 0.0) if r["answerable"] else float(not answered)
                  for r, answered in zip(rows, answers) if group[r["set"]] == name]
        per_set.append(sum(scores) / len(scores))
    return sum(per_set) / len(per_set)


def answer_thresholds(rows: list[dict], judges: list[calibration.Calibration], which) -> tuple[list[float], float]:
    """Thresholds for the judges (rows choose their judge by ``which``), by coordinate ascent
    on the mean per-set score."""
    grid = [step / 100 for step in range(5, 96)]
    confidence = [judges[which(r)].confidence(r["features"]) if r["features"] else 0.0 for r in rows]
    thresholds = [0.5] * len(judges)

    def score(candidate: list[float]) -> float:
        answered = [r["features"] is not None and c >= candidate[which(r)] for r, c in zip(rows, confidence)]
        return mean_per_set(rows, answered)

    for _ in range(3):
        for index in range(len(judges)):
            scores = [score(thresholds[:index] + [t] + thresholds[index + 1:]) for t in grid]
            thresholds[index] = middle_of_best(grid, scores)
    return thresholds, score(thresholds)


def middle_of_best(grid: list[float], scores: list[float]) -> float:
    """The middle of the widest run of thresholds scoring the best: where the tune questions
    cannot tell thresholds apart, the one furthest from either edge of the run is the least
    fitted to them."""
    best = max(scores)
    runs, start = [], None
    for index, value in enumerate(scores + [None]):
        if value == best and start is None:
            start = index
        elif value != best and start is not None:
            runs.append((start, index - 1))
            start = None
    first, last = max(runs, key=lambda run: run[1] - run[0])
    return grid[(first + last) // 2]


def balanced_threshold(confidences: list[float], labels: list[float]) -> float:
    def accuracy(t: float) -> float:
        right = [c >= t for c, y in zip(confidences, labels) if y]
        wrong = [c < t for c, y in zip(confidences, labels) if not y]
        return (sum(right) / max(1, len(right)) + sum(wrong) / max(1, len(wrong))) / 2
    return max((step / 100 for step in range(5, 96)), key=accuracy)


def closest_band(confidences: list[float], labels: list[float], below: float, width: float = 0.1) -> float | None:
    """The lowest confidence under ``below`` from which, in every bin of ``width`` up to
    ``below``, the sentences shown are right more often than wrong: below it, the sentence
    that comes closest is more likely not to hold the answer, and is not offered as such."""
    band = None
    edge = below
    while edge > 0:
        start = max(0.0, edge - width)
        inside = [y for c, y in zip(confidences, labels) if start <= c < edge]
        if inside and sum(inside) / len(inside) <= 0.5:
            break
        band = round(start, 3) if inside else band
        edge = start
    return band


def fit_llm(rows: list[dict]) -> dict[str, calibration.Calibration]:
    read = [r for r in rows if r["read"]]
    phrase_rows = [r for r in read if r["kind"] in PHRASE_KINDS]
    phrase = fitted("phrase", phrase_rows, lambda r: r["features"], lambda r: int(r["score"] >= 0.5))
    sentence = fitted("sentence", read, lambda r: r["features"], lambda r: int(r["sentence_ok"]))
    evidence = fitted("evidence", rows, lambda r: r["top"], lambda r: int(r["top_ok"]))
    # A short answer is judged by what it scores; an answer of another kind (a clause, a list)
    # scores little F1 against a short gold span even when it is right, so it is given when
    # its sentence more likely holds the answer than not, as the calibrated confidence says.
    (phrase.threshold,), _ = answer_thresholds(phrase_rows, [phrase], lambda r: 0)
    sentence.threshold = MORE_LIKELY_THAN_NOT
    rated = [r for r in read if r["features"]]
    # Without a band of its own below the threshold, a sentence is still offered as the
    # closest when it more likely holds the answer than not and the short answer read from
    # it was too unsure to give.
    sentence.closest = closest_band([sentence.confidence(r["features"]) for r in rated],
                                    [r["sentence_ok"] for r in rated], sentence.threshold) or sentence.threshold
    with_top = [r for r in rows if r["top"]]
    evidence_confidence = [evidence.confidence(r["top"]) for r in with_top]
    evidence.threshold = balanced_threshold(evidence_confidence, [r["top_ok"] for r in with_top])
    evidence.closest = closest_band(evidence_confidence, [r["top_ok"] for r in with_top], evidence.threshold)
    judges = {"phrase": phrase, "sentence": sentence, "evidence": evidence}
    decided = [r for r in rows if r["kind"] == "yes-no" and r["features"] and "verdict_logodds" in r["features"]]
    if decided:
        # Whether the verdict is right is learnt where there is one to get right: on the
        # questions the passage answers. Whether the passage speaks to the question at all
        # is the evidence calibration's part (see Decider.confidence), which also saw
        # on-topic passages without the answer, not only strangers'.
        verdict = fitted("verdict", [r for r in decided if r["answerable"]], lambda r: r["features"],
                         lambda r: int(r["score"] >= 0.5))
        both = Decider(with_model=True)
        both.evidence, both.verdict = evidence, verdict
        (verdict.threshold,), _ = answer_thresholds(decided, [YesNo(both)], lambda r: 0)
        judges["verdict"] = verdict
    return judges


class YesNo:
    """A yes/no draft's confidence as the decide stage computes it, for choosing its threshold."""

    def __init__(self, decider: Decider):
        self.decider = decider

    def confidence(self, features: dict[str, float]) -> float:
        return self.decider.confidence(Draft(YES_NO), features)


def fit_extractive(rows: list[dict]) -> dict[str, calibration.Calibration]:
    extractive = fitted("extractive", rows, lambda r: r["features"], lambda r: int(r["sentence_ok"]))
    (extractive.threshold,), _ = answer_thresholds([r for r in rows if r["features"]], [extractive], lambda r: 0)
    confidence = [extractive.confidence(r["features"]) for r in rows if r["features"]]
    extractive.closest = closest_band(confidence, [r["sentence_ok"] for r in rows if r["features"]],
                                      extractive.threshold)
    return {"extractive": extractive}


def report(name: str, judge: calibration.Calibration, rows: list[dict], features_of, label) -> None:
    usable = [r for r in rows if features_of(r)]
    table = metrics.reliability_table([judge.confidence(features_of(r)) for r in usable], [label(r) for r in usable])
    print(f"\n{name}: threshold {judge.threshold}, closest {judge.closest}, {len(usable)} rows")
    print("| confidence | questions | mean confidence | share right |\n|---|---|---|---|")
    for row in table:
        mean, accuracy = row["mean_confidence"], row["accuracy"]
        print(f"| {row['bin'][0]:.1f}-{row['bin'][1]:.1f} | {row['count']} | "
              f"{'-' if mean is None else f'{mean:.2f}'} | {'-' if accuracy is None else f'{accuracy:.2f}'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["llm", "extractive"], default="llm")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--squad", type=int, default=160)
    parser.add_argument("--newsqa", type=int, default=50)
    parser.add_argument("--rgb", type=int, default=60)
    parser.add_argument("--boolq", type=int, default=0, help="yes/no questions, half of them on a stranger's passage")
    parser.add_argument("--refit", action="store_true",
                        help="fit again on the rows kept from the last run (sets given 0 keep their rows too)")
    args = parser.parse_args()
    model = "none" if args.mode == "extractive" else args.model
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, count in (("squad2", args.squad), ("newsqa", args.newsqa), ("rgb", args.rgb), ("boolq", args.boolq)):
        rows_file = OUT / f"calibration-rows-{args.mode}-{name}.jsonl"
        if args.refit or not count:
            if rows_file.exists():
                rows += [json.loads(line) for line in rows_file.read_text().splitlines()]
            continue
        questions = boolq_with_strangers(count) if name == "boolq" else \
            sample(datasets.load(name, "tune"), count, name)
        with rows_file.open("w") as sink:
            rows += collect(model, name, questions, sink)

    judges = fit_llm(rows) if args.mode == "llm" else fit_extractive(rows)
    data = json.loads(CALIBRATION_FILE.read_text())
    data.update({name: judge.to_dict() for name, judge in judges.items()})
    CALIBRATION_FILE.write_text(json.dumps(data, indent=2) + "\n")
    print(f"{len(rows)} tune questions")
    read = [r for r in rows if r["read"]]
    fitted_on = {"phrase": ([r for r in read if r["kind"] in PHRASE_KINDS], lambda r: float(r["score"] >= 0.5)),
                 "verdict": ([r for r in rows if r["kind"] == "yes-no" and r["features"] and r["answerable"]
                              and "verdict_logodds" in r["features"]], lambda r: float(r["score"] >= 0.5)),
                 "sentence": (read, lambda r: r["sentence_ok"]), "evidence": (rows, lambda r: r["top_ok"]),
                 "extractive": (rows, lambda r: r["sentence_ok"])}
    for name, judge in judges.items():
        subset, label = fitted_on[name]
        report(name, judge, subset, (lambda r: r["top"]) if name == "evidence" else (lambda r: r["features"]), label)


if __name__ == "__main__":
    main()
