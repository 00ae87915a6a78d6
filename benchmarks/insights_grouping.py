"""The threshold at which reader questions are grouped, chosen on NewsQA's tune questions.

    python -m benchmarks.insights_grouping

NewsQA has several questions per story, written by different people. Two questions of one
story whose answer spans overlap in the story ask the same thing (paraphrases); questions
about other spans ask something else. Each story's questions are grouped as the question
log groups an article's (nutgraf.insights.grouping: by form, then by similarity, in the
order asked: here, several shuffled orders), and scored by pairs of questions of one story: precision is the share of
pairs put together that are paraphrases, recall the share of paraphrase pairs put together.
The threshold with the best F1 on the tune file is then scored on the report file.
The data is read from the shared evaluation folder at run time; none of it is kept.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np

from nutgraf.eval.datasets import load_newsqa
from nutgraf.insights.grouping import SAME_QUESTION, group_labels
from nutgraf.retrieval.embedder import get_embedder
from nutgraf.settings import current

from . import harness

THRESHOLDS = [round(t, 2) for t in np.arange(0.50, 0.96, 0.01)]
ORDERS = 10  # shuffles of each story's questions: online grouping depends a little on order


def stories(split: str, folder: Path, limit: int | None) -> list[tuple[list[str], list[int]]]:
    """Per story with two questions or more: its questions, and the paraphrase set of each
    (questions whose answer spans overlap, joined transitively)."""
    by_story: dict[str, list[tuple[str, str]]] = {}
    for item in load_newsqa(split, folder).items:
        by_story.setdefault(item.documents[0].text, []).append((item.question, item.answers[0]))
    found = []
    for text, asked in by_story.items():
        if len(asked) < 2:
            continue
        spans = [_span(text, answer) for _, answer in asked]
        labels = list(range(len(asked)))
        for i, j in itertools.combinations(range(len(asked)), 2):
            if _overlap(spans[i], spans[j]):
                old, new = labels[j], labels[i]
                labels = [new if label == old else label for label in labels]
        found.append(([question for question, _ in asked], labels))
    return found[:limit]


def _span(text: str, answer: str) -> tuple[int, int] | None:
    start = text.find(answer)
    return None if start < 0 else (start, start + len(answer))


def _overlap(a, b) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def pair_counts(gold: list[int], predicted: list[int]) -> tuple[int, int, int]:
    """(together and paraphrases, together but not, paraphrases kept apart)."""
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(gold)), 2):
        same, together = gold[i] == gold[j], predicted[i] == predicted[j]
        tp += same and together
        fp += together and not same
        fn += same and not together
    return tp, fp, fn


def score(split_stories, vectors, threshold: float, seed: int = 0) -> dict:
    rng = random.Random(seed)
    tp = fp = fn = 0
    for (questions, gold), story_vectors in zip(split_stories, vectors):
        for _ in range(ORDERS):
            order = list(range(len(questions)))
            rng.shuffle(order)
            labels = group_labels([questions[i] for i in order], story_vectors[order], threshold)
            predicted = [0] * len(order)
            for position, index in enumerate(order):
                predicted[index] = labels[position]
            counts = pair_counts(gold, predicted)
            tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "precision": round(precision, 3), "recall": round(recall, 3),
            "f1": round(f1, 3)}


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"stories": 5})
    parser.add_argument("--stories", type=int, help="only the first N stories of each split (default: all)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    folder = harness.eval_path(current())
    embedder = get_embedder()
    data, vectors = {}, {}
    for split in ("tune", "report"):
        data[split] = stories(split, folder, args.stories)
        vectors[split] = [embedder.embed(questions) for questions, _ in data[split]]
        pairs = sum(len(q) * (len(q) - 1) // 2 for q, _ in data[split])
        paraphrases = sum(pair_counts(gold, gold)[0] for _, gold in data[split])
        print(f"{split}: {len(data[split])} stories with 2+ questions, {pairs} pairs, {paraphrases} paraphrase pairs")
    tuned = [score(data["tune"], vectors["tune"], t) for t in THRESHOLDS]
    best = max(tuned, key=lambda row: (row["f1"], row["threshold"]))
    print("\nthreshold  tune P / R / F1")
    for row in tuned:
        mark = "  <- best" if row is best else ""
        print(f"  {row['threshold']:.2f}     {row['precision']:.3f} / {row['recall']:.3f} / {row['f1']:.3f}{mark}")
    report = score(data["report"], vectors["report"], best["threshold"])
    shipped = score(data["report"], vectors["report"], SAME_QUESTION)
    print(f"\nchosen on tune: {best['threshold']:.2f}; report: P {report['precision']:.3f}, "
          f"R {report['recall']:.3f}, F1 {report['f1']:.3f}")
    print(f"SAME_QUESTION in nutgraf ({SAME_QUESTION}): report P {shipped['precision']:.3f}, "
          f"R {shipped['recall']:.3f}, F1 {shipped['f1']:.3f}")
    harness.write_json(harness.out_dir(args) / "insights_grouping.json",
                       {"tune": tuned, "chosen": best, "report": report, "shipped": shipped})


if __name__ == "__main__":
    harness.run(main)
