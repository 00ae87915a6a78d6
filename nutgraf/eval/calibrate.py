"""Fit the calibrations behind every answer's confidence, on the tune splits only, and the risk
curves from which the publisher's risk setting picks each threshold.

    nutgraf eval calibrate --squad 160 --newsqa 120 --rgb 60 --boolq 300
    nutgraf eval calibrate --refit        # again, on the rows the last run kept
    nutgraf eval calibrate --mode extractive --squad 300 --newsqa 80 --rgb 50

Each sampled tune question goes through the answering stages as a reader's would (open,
resolve, gather, classify, read, check), and its row records every signal the decide stage
reads, for the sentence the reading settled on and for the sentence retrieval ranks first,
with what was right: the answer (token F1 >= 0.5 against a gold answer, or holding one; for
RGB, holding the gold answer; for a verdict, the gold verdict), the chosen sentence holding a
gold answer, the top sentence holding one. An answer to a question its article does not
answer is never right. Yes-or-no questions come from BoolQ, asked of their own passage, of
the passage closest in meaning to the question among other pages' (on-topic, but not its
answer), and of a random other page's.

Each judge is a logistic model over named signals, its L2 penalty chosen by 5-fold
cross-validation. Its risk curve is computed from out-of-fold confidences (each row rated by
the fit that did not see it), for the rows the judge rates and the decide stage would show:
for each threshold, the share of wrong answers at or above it and how many answers those are.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from platformdirs import user_cache_dir
from tqdm import tqdm

from ..answering import calibration
from ..answering.asked_type import of_asked_type
from ..answering.calibration import Calibration
from ..answering.decide import PHRASE_KINDS, SIGNAL_DEFAULTS
from ..answering.drafts import Draft
from ..errors import InputError
from ..records import Kind, Scope
from . import datasets, metrics
from .datasets import EvalItem, EvalSet
from .runner import cache_db, ingest_corpus

if TYPE_CHECKING:
    from ..api import Nutgraf
    from ..settings import Settings

PER_STORY = 3  # questions taken from each sampled story: its article is then read once
FOLDS = 5
L2_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # penalties on standardised weights, chosen by held_out_loss
SETS = ("squad2", "newsqa", "rgb", "boolq")
VERDICT_SETS = {"boolq"}  # whose gold answers are verdicts
# The signals each judge reads. Every name must be a key of Decider.signals for the drafts the
# judge rates (a test holds them to that).
FEATURES = {
    "phrase": ["answer_logodds", "choice_logodds", "phrase_logprob", "alignment", "term_coverage", "name_coverage",
               "answer_echo", "retrieval_rr", "dense_similarity", "span_fraction", "sentence_answers", "answer_confirmed"],
    "sentence": ["answer_logodds", "term_coverage", "name_coverage", "number_coverage", "retrieval_rr",
                 "dense_similarity", "sentence_answers", "answer_confirmed"],
    "evidence": ["term_coverage", "name_coverage", "number_coverage", "retrieval_rr", "dense_similarity"],
    "verdict": ["verdict_logodds", "verdict_margin", "verdict_agreement", "sentence_yes", "sentence_no",
                "sentence_unknown", "term_coverage", "name_coverage", "dense_similarity"],
    "extractive": ["term_coverage", "name_coverage", "typed_span", "retrieval_rr", "dense_similarity"],
}
# A judge's curve is read off the rows of the kinds it shows; with fewer than this many, off
# every row it rates (the label is the same: the sentence holds the answer).
MIN_CURVE_ROWS = 40


def rows_dir() -> Path:
    return Path(user_cache_dir("nutgraf")) / "calibration"


def calibration_file() -> Path:
    return Path(str(resources.files("nutgraf.answering").joinpath("calibration.json")))


# -- the questions


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


def newsqa_questions(count: int, folder: Path | None = None) -> EvalSet:
    """NewsQA tune questions: every one asking why, how or what happened (explanations, lists,
    times, verdicts: the kinds that are few), then phrase questions to make up ``count``."""
    from ..answering.kinds import classify

    items = datasets.load("newsqa", "tune", folder).items
    rare = [item for item in items if classify(item.question, []).kind != Kind.PHRASE]
    common = [item for item in items if item not in rare]
    chosen = rare[:count] + common[:: max(1, len(common) // max(1, count - len(rare)))][: max(0, count - len(rare))]
    return EvalSet(f"newsqa-calibration-{count}", chosen)


def boolq_questions(count: int, nutgraf: Nutgraf) -> EvalSet:
    """BoolQ tune questions: half asked of their own passage, a third of the rest of the
    passage closest to the question among other pages' (it speaks of the same things without
    answering), the others of a random other page's."""
    items = datasets.load("boolq", "tune", nutgraf.settings.eval_dir).items[:count]
    embedder = nutgraf.retriever.embedder
    passages = embedder.embed([item.documents[0].text[:1000] for item in items])
    questions = embedder.embed([item.question for item in items])
    shuffle = random.Random(7)
    chosen = []
    for number, item in enumerate(items):
        if number % 2 == 0:
            chosen.append(item)
            continue
        others = [i for i, other in enumerate(items) if other.documents[0].title != item.documents[0].title]
        if number % 6 == 1:
            stranger = max(others, key=lambda i: float(questions[number] @ passages[i]))
            kind = "on-topic"
        else:
            stranger, kind = shuffle.choice(others), "stranger"
        chosen.append(replace(item, id=f"{item.id}-{kind}", documents=items[stranger].documents,
                              answerable=False, answers=[], kind=kind))
    return EvalSet(f"boolq-calibration-{count}", chosen)


# -- the rows


def holds_gold(item: EvalItem, text: str) -> float:
    if not item.answerable or not text:
        return 0.0
    if item.scoring == "rgb":
        return float(metrics.contains_answer(text, item.parts))
    if item.scoring == "boolq":
        return 1.0  # an answerable yes/no question is decided somewhere in its passage
    normal = metrics.normalize_answer(text)
    return float(any(metrics.normalize_answer(gold) in normal for gold in item.answers if gold))


def answer_right(item: EvalItem, answer: str | None) -> float:
    """Whether an answer is right: its verdict (BoolQ), holding the gold answer (RGB), or token
    F1 of at least 0.5 against a gold answer or holding one (SQuAD, NewsQA)."""
    if not item.answerable or not answer:
        return 0.0
    if item.scoring == "boolq":
        return float(metrics.verdict_of(answer) == item.answers[0])
    if item.scoring == "rgb":
        return float(metrics.contains_answer(answer, item.parts))
    return float(metrics.squad_scores(answer, item.answers)[1] >= 0.5 or holds_gold(item, answer) == 1.0)


def collect(nutgraf: Nutgraf, name: str, evalset: EvalSet, sink) -> list[dict]:
    """Rows for one set, each written to ``sink`` as soon as it is known."""
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
               "source": draft.source, "read": draft.reading is not None, "verdict": draft.verdict,
               "features": None, "top": None, "answer": None, "right": 0.0, "typed": True,
               "sentence_ok": 0.0, "top_ok": 0.0}
        if draft.chosen is not None:
            row["features"] = answerer.decider.signals(request, draft, evidence, embedder)
            row["answer"] = draft.one_line
            row["right"] = answer_right(item, draft.one_line)
            row["sentence_ok"] = holds_gold(item, draft.chosen.sentence.text)
            if draft.points and draft.kind in PHRASE_KINDS:
                point = draft.points[0]
                row["typed"] = of_asked_type(request.resolved, point.text, request.articles.get(point.items[0].article_id),
                                             point.items[0].sentence.index)
        if evidence.top is not None:
            row["top"] = answerer.decider.signals(request, Draft(draft.kind, chosen=evidence.top), evidence, embedder)
            row["top_ok"] = holds_gold(item, evidence.top.sentence.text)
        row["seconds"] = round(time.perf_counter() - started, 3)
        rows.append(row)
        sink.write(json.dumps(row) + "\n")
        sink.flush()
    return rows


# -- fitting


@dataclass
class Rated:
    """The rows a judge is fitted on, and which of them its curves are read from."""

    fit_rows: list[dict]
    label: Callable[[dict], float]
    values: Callable[[dict], dict]
    shown: Callable[[dict], bool]  # rows the decide stage would show by this judge
    offered: Callable[[dict], bool] | None = None  # rows whose sentence it offers as the closest
    closest_label: Callable[[dict], float] | None = None


def judges_for(rows: list[dict], mode: str) -> dict[str, Rated]:
    """Which rows each judge learns from, and what it predicts."""
    has = [r for r in rows if r["features"]]
    if mode == "extractive":
        searched = [r for r in has if r["source"] == "search"]  # not the article's structures, which it does not rate
        return {"extractive": Rated(searched, lambda r: r["sentence_ok"], lambda r: r["features"],
                                    shown=lambda r: r["answer"] is not None, offered=lambda r: True,
                                    closest_label=lambda r: r["sentence_ok"])}
    read = [r for r in has if r["read"]]
    short = [r for r in read if r["kind"] in PHRASE_KINDS]
    longer = [r for r in read if r["kind"] not in PHRASE_KINDS and r["kind"] != Kind.YES_NO]
    # A verdict is right or wrong where the gold answer is a verdict (BoolQ), or where there is
    # none to give; a verdict against another set's answer span says nothing either way.
    decided = [r for r in has if r["kind"] == Kind.YES_NO and r["verdict"]
               and (r["set"] in VERDICT_SETS or not r["answerable"])]
    shows_long = (lambda r: r["kind"] not in PHRASE_KINDS and r["answer"] is not None) \
        if sum(1 for r in longer if r["answer"]) >= MIN_CURVE_ROWS else (lambda r: r["answer"] is not None)
    return {
        "phrase": Rated(short, lambda r: r["right"], lambda r: r["features"],
                        shown=lambda r: r["answer"] is not None and r["typed"]),
        "sentence": Rated([r for r in read if r["kind"] != Kind.YES_NO], lambda r: r["sentence_ok"],
                          lambda r: r["features"], shown=shows_long, offered=lambda r: True,
                          closest_label=lambda r: r["sentence_ok"]),
        "evidence": Rated([r for r in rows if r["top"]], lambda r: r["top_ok"], lambda r: r["top"],
                          shown=lambda r: False, offered=lambda r: True, closest_label=lambda r: r["top_ok"]),
        "verdict": Rated(decided, lambda r: r["right"], lambda r: r["features"], shown=lambda r: True),
    }


def fit_judge(name: str, rated: Rated) -> tuple[Calibration, dict[str, Any]]:
    features = FEATURES[name]
    rows = rated.fit_rows
    values = [{**SIGNAL_DEFAULTS, **rated.values(r)} for r in rows]
    labels = [int(rated.label(r) >= 0.5) for r in rows]
    l2 = min(L2_GRID, key=lambda penalty: held_out_loss(values, labels, features, penalty))
    weights, bias = calibration.fit(values, labels, features, l2=l2)
    held_out = out_of_fold(values, labels, features, l2)
    shown = [(c, labels[i]) for i, c in enumerate(held_out) if rated.shown(rows[i])]
    judge = Calibration(features, weights, bias, calibration.risk_curve([c for c, _ in shown], [y for _, y in shown]),
                        name=name)
    if rated.offered is not None:
        offered = [(c, rated.closest_label(rows[i])) for i, c in enumerate(held_out) if rated.offered(rows[i])]
        judge.closest_curve = calibration.risk_curve([c for c, _ in offered], [y for _, y in offered])
    return judge, {"rows": len(rows), "l2": l2, "shown_rows": len(shown), "held_out": list(zip(held_out, labels)),
                   "shown": shown}


def held_out_loss(values: list[dict], labels: list[int], features: list[str], l2: float) -> float:
    """Mean log-loss on each fold of rows when fitted on the others: how well a penalty
    carries to questions the fit did not see (the held-out questions the figures are for)."""
    loss = 0.0
    for p, label in zip(out_of_fold(values, labels, features, l2), labels):
        p = min(max(p, 1e-6), 1 - 1e-6)
        loss -= math.log(p if label else 1 - p)
    return loss / max(1, len(values))


def out_of_fold(values: list[dict], labels: list[int], features: list[str], l2: float) -> list[float]:
    """Each row's confidence from the fit on the other folds."""
    confidences = [0.0] * len(values)
    for fold in range(FOLDS):
        train = [i for i in range(len(values)) if i % FOLDS != fold]
        if len(set(labels[i] for i in train)) < 2:
            continue
        weights, bias = calibration.fit([values[i] for i in train], [labels[i] for i in train], features, l2=l2)
        judge = Calibration(features, weights, bias)
        for i in range(fold, len(values), FOLDS):
            confidences[i] = judge.confidence(values[i])
    return confidences


def fit_all(rows: list[dict], mode: str) -> tuple[dict[str, Calibration], dict[str, dict]]:
    judges, reports = {}, {}
    for name, rated in judges_for(rows, mode).items():
        if len({int(rated.label(r) >= 0.5) for r in rated.fit_rows}) < 2:
            print(f"{name}: not enough rows of both kinds to fit; kept as shipped", file=sys.stderr)
            continue
        judges[name], reports[name] = fit_judge(name, rated)
    return judges, reports


# -- running it


def load_rows(directory: Path, mode: str, sets: Iterable[str]) -> list[dict]:
    rows = []
    for name in sets:
        path = directory / f"rows-{mode}-{name}.jsonl"
        if path.exists():
            rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def run(counts: dict[str, int], mode: str, settings: Settings, refit: bool, directory: Path, output: Path,
        progress: Callable[[str], None]) -> dict[str, dict]:
    """Collect the rows (unless ``refit``), fit every judge, write ``output``; a report per judge."""
    from ..api import Nutgraf

    directory.mkdir(parents=True, exist_ok=True)
    folder = settings.eval_dir
    for name, count in counts.items():
        if refit or not count:
            continue
        nutgraf = Nutgraf(str(cache_db(f"calibration-{name}")), settings=settings.with_values(
            model="none" if mode == "extractive" else None, question_log=False))  # not readers' questions
        questions = {"newsqa": lambda: newsqa_questions(count, folder),
                     "boolq": lambda: boolq_questions(count, nutgraf)}.get(
            name, lambda: sample(datasets.load(name, "tune", folder), count, name))()
        with (directory / f"rows-{mode}-{name}.jsonl").open("w") as sink:
            collect(nutgraf, name, questions, sink)
        nutgraf.close()
    rows = load_rows(directory, mode, SETS)
    if not rows:
        raise InputError(f"no calibration rows under {directory}; run without --refit first")
    judges, reports = fit_all(rows, mode)
    data = json.loads(output.read_text()) if output.exists() else {}
    data.update({name: judge.to_dict() for name, judge in judges.items()})
    output.write_text(json.dumps(data, indent=2) + "\n")
    progress(f"{len(rows)} tune rows; wrote {output}")
    return reports


def reliability(report: dict) -> list[dict]:
    held_out = report["held_out"]
    return metrics.reliability_table([c for c, _ in held_out], [float(y) for _, y in held_out])


def format_report(name: str, judge: Calibration, report: dict) -> str:
    lines = [f"{name}: {report['rows']} rows (L2 {report['l2']}), {report['shown_rows']} it would show"]
    for risk in (0.02, 0.05, 0.1, 0.2):
        threshold = judge.threshold_for(risk)
        shown = [y for c, y in report["shown"] if c >= threshold]
        share = f"{len(shown) / max(1, report['shown_rows']):.0%} shown, {1 - np.mean(shown):.1%} wrong" \
            if shown else "none shown"
        lines.append(f"  risk {risk:.0%}: threshold {threshold:.2f} ({share})")
    lines.append("  confidence  rows  mean  right (out of fold)")
    for row in reliability(report):
        if row["count"]:
            lines.append(f"  {row['bin'][0]:.1f}-{row['bin'][1]:.1f}  {row['count']:5}  "
                         f"{row['mean_confidence']:.2f}  {row['accuracy']:.2f}")
    return "\n".join(lines)


def set_sizes(rows: list[dict]) -> Counter:
    return Counter(r["set"] for r in rows)
