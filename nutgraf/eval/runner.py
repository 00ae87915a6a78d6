"""Run evaluation questions through an answer function and score what comes back.

The answer function is any callable ``(question, article_ids) -> Answer``; the default is
:meth:`nutgraf.api.Nutgraf.ask`, and a baseline or an experiment passes its own. Each
prediction is written to a JSONL file as soon as it exists, so an interrupted run keeps
what it measured.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_cache_dir
from tqdm import tqdm

from ..errors import NutgrafError
from ..ingest.pipeline import article_id
from ..records import Answer, Article, Citation, Document
from . import metrics, trust
from .datasets import EvalItem, EvalSet

if TYPE_CHECKING:
    from ..api import Nutgraf

AnswerFn = Callable[[str, "list[str] | None"], Answer]
ArticleLookup = Callable[[str], "Article | None"]
NO_ARTICLES = "none of the question's articles could be ingested"


def cache_db(name: str) -> Path:
    """The SQLite file that keeps an evaluation set's ingested articles between runs."""
    return Path(user_cache_dir("nutgraf")) / "eval" / f"{name}.db"


# -- ingestion


def ingest_corpus(nutgraf: Nutgraf, evalset: EvalSet, *, progress: bool = True) -> tuple[list[EvalItem], list[str]]:
    """Make sure every article of ``evalset`` is in ``nutgraf``'s store; bind items to their ids.

    A corpus ingested completely once is recorded in the store, so later runs skip
    ingestion (and loading the analysis models) altogether. Returns the items with
    ``article_ids`` set and one line per document that failed to ingest.
    """
    corpus = evalset.corpus
    marker = "eval-corpus:" + _fingerprint(corpus)
    recorded = nutgraf.store.get_meta(marker)
    if recorded is None:
        failures = _ingest(nutgraf, corpus, progress)
        nutgraf.store.set_meta(marker, json.dumps(failures))
    else:
        failures = json.loads(recorded)
    failed = {failure["article_id"] for failure in failures}
    items = evalset.items
    if evalset.archive is None:
        items = [replace(item, article_ids=_ingested_ids(item.documents, failed)) for item in items]
    return items, [f"{failure['origin']}: {failure['error']}" for failure in failures]


def _ingest(nutgraf: Nutgraf, corpus: list[Document], progress: bool) -> list[dict[str, str]]:
    failures = []
    with tqdm(corpus, desc="ingest", unit="article", disable=not progress, file=sys.stderr) as bar:
        for document in bar:
            identifier = _article_id(document)
            (outcome,) = nutgraf.ingest_documents([document])
            if outcome.failed:
                failures.append({"article_id": identifier, "origin": document.origin, "error": outcome.error})
    return failures


def _ingested_ids(documents: list[Document], failed: set[str]) -> list[str]:
    return [i for i in dict.fromkeys(map(_article_id, documents)) if i not in failed]


def _article_id(document: Document) -> str:
    # Ingestion strips the text before deriving the id from it.
    return article_id(replace(document, text=document.text.strip()))


def _fingerprint(corpus: Iterable[Document]) -> str:
    digest = hashlib.sha256()
    for key in sorted(
        json.dumps([d.url, d.title, d.published, d.source, d.authors, d.text], ensure_ascii=False)
        for d in corpus
    ):
        digest.update(key.encode("utf-8"))
    return digest.hexdigest()[:16]


# -- asking and scoring


def run(
    items: list[EvalItem],
    answer_fn: AnswerFn,
    predictions_path: str | Path,
    *,
    lookup: ArticleLookup | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Ask every question, write one JSON line per prediction, return the metrics summary.

    ``lookup`` gives the stored article for an id, to check that citations point at
    sentences that exist; without it citations are not checked.
    """
    article = lru_cache(maxsize=256)(lookup) if lookup else None
    records = []
    with open(predictions_path, "w", encoding="utf-8") as out, \
            tqdm(items, desc="questions", unit="q", disable=not progress, file=sys.stderr) as bar:
        for item in bar:
            record = predict(item, answer_fn, article)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            records.append(record)
    return summarize(items, records)


def predict(item: EvalItem, answer_fn: AnswerFn, article: ArticleLookup | None = None) -> dict[str, Any]:
    """One prediction line: what the answer function said, how long it took, how it scores."""
    record: dict[str, Any] = {"id": item.id}
    if item.article_ids == [] and item.documents:
        answer, record["error"] = None, NO_ARTICLES
    else:
        started = time.perf_counter()
        try:
            answer = answer_fn(item.question, item.article_ids)
        except NutgrafError as error:
            answer, record["error"] = None, str(error)
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    if answer is None:
        record.update(answer=None, answerable=False, confidence=None, citations=[], abstained=True)
    else:
        record.update(
            answer=answer.answer, answerable=answer.answerable, confidence=answer.confidence,
            citations=[c.to_dict() for c in answer.citations], note=answer.note,
            mode=answer.mode, timings_ms=answer.timings_ms, kind=answer.kind, grade=answer.grade, judge=answer.judge,
            abstained=not (answer.answerable and answer.answer),
        )
        if answer.grade == "closest" and item.answerable and item.scoring in ("squad", "rgb"):
            record["closest_holds_answer"] = holds_answer(item, answer.citations[0].text)
        if article is not None:
            record["citations_valid"] = sum(citation_is_valid(c, article) for c in answer.citations)
    record.update(score(item, None if record["abstained"] else record["answer"]))
    record["right"] = trust.answer_is_right(item, None if record["abstained"] else record["answer"])
    return record


def holds_answer(item: EvalItem, text: str) -> bool:
    """Whether ``text`` holds one of the item's gold answers (all parts of one, for RGB)."""
    if item.scoring == "rgb":
        return metrics.contains_answer(text, item.parts)
    normal = metrics.normalize_answer(text)
    return any(metrics.normalize_answer(gold) in normal for gold in item.answers if gold)


def citation_is_valid(citation: Citation, article: ArticleLookup) -> bool:
    """The cited article and sentence exist, the span lies in that sentence, and its text is the article's."""
    found = article(citation.article_id)
    if found is None or not 0 <= citation.sentence_index < len(found.sentences):
        return False
    sentence = found.sentences[citation.sentence_index]
    return (
        sentence.start <= citation.start < citation.end <= sentence.end
        and found.text[citation.start:citation.end] == citation.text
    )


def score(item: EvalItem, prediction: str | None) -> dict[str, Any]:
    """How ``prediction`` (None: an abstention) scores against the item's gold answers."""
    if item.scoring == "squad":
        exact, f1 = metrics.squad_scores(prediction, item.answers)
        return {"correct": exact == 1.0, "exact": exact, "f1": f1}
    if not item.answerable:
        return {"correct": prediction is None}
    if item.scoring == "rgb":
        return {"correct": metrics.contains_answer(prediction, item.parts)}
    if item.scoring == "boolq":
        return {"correct": metrics.verdict_of(prediction) == item.answers[0]}
    return {"correct": metrics.multihop_correct(prediction, item.answers[0])}


# -- the summary


def summarize(items: list[EvalItem], records: list[dict[str, Any]]) -> dict[str, Any]:
    pairs = list(zip(items, records))
    answered = [r for r in records if not r["abstained"]]
    cited = [r for r in records if "citations_valid" in r]
    citations = sum(len(r["citations"]) for r in cited)
    latencies = [r["latency_ms"] / 1000 for r in records if "latency_ms" in r]
    # Confidence is the chance that the answer given is right, so calibration is read on
    # the questions answered; an abstention carries no answer to be right or wrong.
    scored = [(r["confidence"], float(r["correct"])) for r in answered if r["confidence"] is not None]
    table = metrics.reliability_table([c for c, _ in scored], [ok for _, ok in scored])
    return {
        "questions": len(records),
        "metrics": headline(pairs),
        "accuracy": _share(r["correct"] for r in records),
        "abstention_rate": _share(r["abstained"] for r in records),
        "errors": sum("error" in r for r in records),
        "by_kind": {kind: _group([p for p in pairs if p[0].kind == kind]) for kind in _kinds(items)},
        "latency_s": {
            "p50": metrics.percentile(latencies, 50), "p95": metrics.percentile(latencies, 95),
            "mean": sum(latencies) / len(latencies) if latencies else None,
        },
        "citations": {
            "count": citations,
            "valid": sum(r["citations_valid"] for r in cited),
            "valid_share": sum(r["citations_valid"] for r in cited) / citations if citations else None,
            "answers_without_citations": sum(1 for r in answered if not r["citations"]),
        },
        "reliability": table,
        "expected_calibration_error": metrics.expected_calibration_error(table),
        "trust": trust.figures(pairs),
        "by_risk": by_risk(pairs),
    }


RISKS = (0.02, 0.05, 0.1, 0.2, 0.3)


def by_risk(pairs: list[tuple[EvalItem, dict]], risks: Iterable[float] = RISKS) -> dict[str, dict]:
    """What each risk setting would have shown of these answers: the answers the decide stage
    would still give at that risk's thresholds, scored again. Exact for every risk at or below
    the run's own (lower risk, higher thresholds); for higher risks only a run with
    ``--min-confidence 0``, which shows every complete draft, has the answers to regrade."""
    from ..answering.calibration import load
    from ..answering.decide import STRUCTURE

    judges = {name: load(name) for name in {r.get("judge") for _, r in pairs} if name and name != STRUCTURE}
    table = {}
    for risk in risks:
        regraded = []
        for item, record in pairs:
            judge = record.get("judge")
            threshold = 1 - risk if judge == STRUCTURE else judges[judge].threshold_for(risk) if judge else 2.0
            kept = not record["abstained"] and record["confidence"] is not None and record["confidence"] >= threshold
            answer = record["answer"] if kept else None
            regraded.append((item, {**record, "abstained": not kept, **score(item, answer),
                                    "right": trust.answer_is_right(item, answer)}))
        table[f"{risk:g}"] = {"metrics": headline(regraded), **trust.figures(regraded)["overall"]}
    return table


def headline(pairs: list[tuple[EvalItem, dict]]) -> dict[str, float | None]:
    """The figures each data set is known by (SQuAD's EM/F1, RGB's rejection rate, ...)."""
    squad = [(i, r) for i, r in pairs if i.scoring == "squad"]
    rgb = [(i, r) for i, r in pairs if i.scoring == "rgb"]
    multihop = [(i, r) for i, r in pairs if i.scoring == "multihop"]
    boolq = [(i, r) for i, r in pairs if i.scoring == "boolq"]
    figures: dict[str, float | None] = {}
    if boolq:
        figures.update(accuracy=_share(r["correct"] for _, r in boolq),
                       majority_baseline=max(_share(i.answers[0] == "yes" for i, _ in boolq),
                                             _share(i.answers[0] == "no" for i, _ in boolq)))
    if squad:
        has, no = [p for p in squad if p[0].answerable], [p for p in squad if not p[0].answerable]
        figures.update(
            exact=_mean(r["exact"] for _, r in squad), f1=_mean(r["f1"] for _, r in squad),
            has_ans_exact=_mean(r["exact"] for _, r in has), has_ans_f1=_mean(r["f1"] for _, r in has),
            no_ans_accuracy=_mean(r["exact"] for _, r in no),
        )
    if rgb:
        figures.update(
            rejection_rate=_share(r["correct"] for i, r in rgb if not i.answerable),
            accuracy=_share(r["correct"] for i, r in rgb if i.answerable),
        )
    if multihop:
        figures.update(
            accuracy=_share(r["correct"] for _, r in multihop),
            null_accuracy=_share(r["correct"] for i, r in multihop if not i.answerable),
            answerable_accuracy=_share(r["correct"] for i, r in multihop if i.answerable),
        )
    return figures


def _group(pairs: list[tuple[EvalItem, dict]]) -> dict[str, Any]:
    records = [r for _, r in pairs]
    group = {
        "count": len(records),
        "accuracy": _share(r["correct"] for r in records),
        "abstention_rate": _share(r["abstained"] for r in records),
    }
    if "f1" in records[0]:
        group.update(exact=_mean(r["exact"] for r in records), f1=_mean(r["f1"] for r in records))
    return group


def _kinds(items: list[EvalItem]) -> list[str]:
    return list(dict.fromkeys(item.kind for item in items if item.kind))


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _share(flags: Iterable[bool]) -> float | None:
    return _mean(float(flag) for flag in flags)
