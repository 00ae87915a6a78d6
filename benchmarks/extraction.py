"""Article extraction quality: nutgraf's HTML ingestion next to plain trafilatura.

(a) Body text on the scrapinghub article-extraction-benchmark pages, scored as that
    benchmark scores it: ``\\w+`` tokens, 4-token shingles counted as a multiset, true and
    false positives and negatives normalised per page, precision and recall averaged over
    pages, F1 from the two averages, 95% intervals by bootstrap over pages.
(b) Title, date and author accuracy, and the must-have / must-not-have snippet scores, on
    trafilatura's English evaluation pages.

    python -m benchmarks.extraction [--limit N]

Reads extraction/ of the evaluation data and skips when it is absent.
Writes benchmarks/out/extraction.json.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

from nutgraf.errors import InputError
from nutgraf.ingest.decode import decode
from nutgraf.ingest.html import extract_article
from nutgraf.settings import current

from . import harness

Extracted = dict[str, Any]  # text, title, date, authors


def nutgraf_extract(html: bytes) -> Extracted:
    """The path a file or fetched page takes through ingestion."""
    try:
        document = extract_article(decode(html))
    except InputError:
        return {"text": "", "title": None, "date": None, "authors": []}
    return {
        "text": document.text,
        "title": document.title,
        "date": document.published,
        "authors": document.authors,
    }


def trafilatura_extract(html: bytes) -> Extracted:
    """trafilatura with its default options, as a user of the library alone would call it."""
    metadata = trafilatura.bare_extraction(html, with_metadata=True)
    return {
        "text": trafilatura.extract(html) or "",
        "title": metadata.title if metadata else None,
        "date": metadata.date if metadata else None,
        "authors": (metadata.author or "").split(";") if metadata else [],
    }


EXTRACTORS: dict[str, Callable[[bytes], Extracted]] = {
    "nutgraf": nutgraf_extract,
    "trafilatura (defaults)": trafilatura_extract,
}

# --- (a) body text, scrapinghub ---------------------------------------------------------

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text or "")
    # A text shorter than one shingle still counts as one (shorter) shingle.
    count = max(1, len(tokens) - size + 1)
    return Counter(tuple(tokens[i : i + size]) for i in range(count) if tokens[i : i + size])


def page_counts(gold: str, predicted: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) so that a long page weighs as much as a short one."""
    want, got = shingles(gold), shingles(predicted)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def body_scores(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    precisions = [_ratio(tp, fp, fn, fp) for tp, fp, fn in counts if tp + fp > 0]
    recalls = [_ratio(tp, fp, fn, fn) for tp, fp, fn in counts if tp + fn > 0]
    precision, recall = statistics.mean(precisions), statistics.mean(recalls)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def _ratio(tp: float, fp: float, fn: float, miss: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + miss) if tp + miss else 0.0


def with_intervals(counts: list[tuple[float, float, float]], rounds: int = 1000) -> dict:
    scores = body_scores(counts)
    rng = random.Random(0)
    samples: dict[str, list[float]] = {key: [] for key in scores}
    for _ in range(rounds):
        drawn = [counts[rng.randrange(len(counts))] for _ in counts]
        for key, value in body_scores(drawn).items():
            samples[key].append(value)
    return {**scores, **{f"{k}_ci95": 1.96 * statistics.stdev(v) for k, v in samples.items()}}


# The extraction options were chosen on the first pages (ids sorted); the rest were not
# looked at, so their figure is the one free of tuning.
TUNING_PAGES = 90


def run_body(folder: Path, limit: int | None) -> dict[str, Any]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit]
    results: dict[str, Any] = {}
    for name, extract in EXTRACTORS.items():
        started = time.perf_counter()
        counts = []
        for page_id in ids:
            html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
            counts.append(page_counts(truth[page_id]["articleBody"], extract(html)["text"]))
        results[name] = with_intervals(counts)
        results[name]["seconds_per_page"] = (time.perf_counter() - started) / len(ids)
        if len(counts) > TUNING_PAGES:
            results[name]["held_out"] = body_scores(counts[TUNING_PAGES:])
    return {"pages": len(ids), "tuning_pages": TUNING_PAGES, "results": results}


# --- (b) metadata and snippets, trafilatura-en -----------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split())


def _same(a: str | None, b: str | None) -> bool:
    return _norm(a or "").casefold() == _norm(b or "").casefold()


def _author_set(value: Any) -> set[str]:
    names = value if isinstance(value, list) else str(value or "").split(";")
    return {_norm(n).casefold() for n in names if _norm(n)}


def run_metadata(folder: Path, limit: int | None) -> dict[str, Any]:
    gold = json.loads((folder / "evaldata_en.json").read_text(encoding="utf-8"))
    items = sorted(gold.items())[:limit]
    results: dict[str, Any] = {}
    for name, extract in EXTRACTORS.items():
        tally: Counter[str] = Counter()
        for _, item in items:
            got = extract((folder / "html" / item["file"]).read_bytes())
            _score_item(item, got, tally)
        results[name] = _metadata_scores(tally)
    return {"pages": len(items), "results": results}


def _score_item(item: dict[str, Any], got: Extracted, tally: Counter[str]) -> None:
    if item.get("title"):
        tally["title_n"] += 1
        tally["title_ok"] += _same(item["title"], got["title"])
    if item.get("date"):
        tally["date_n"] += 1
        tally["date_ok"] += (got["date"] or "")[:10] == item["date"][:10]
    if item.get("author"):
        tally["author_n"] += 1
        tally["author_ok"] += _author_set(item["author"]) == _author_set(got["authors"])
    text = _norm(got["text"])
    for snippet in item["with"]:
        tally["tp" if _norm(snippet) in text else "fn"] += 1
    for snippet in item["without"]:
        tally["fp" if _norm(snippet) in text else "tn"] += 1


def _metadata_scores(t: Counter[str]) -> dict[str, float | None]:
    precision = t["tp"] / (t["tp"] + t["fp"]) if t["tp"] + t["fp"] else 0.0
    recall = t["tp"] / (t["tp"] + t["fn"]) if t["tp"] + t["fn"] else 0.0
    return {
        # None where no page has that field's gold (the first pages of a short run may not).
        "title_accuracy": t["title_ok"] / t["title_n"] if t["title_n"] else None,
        "date_accuracy": t["date_ok"] / t["date_n"] if t["date_n"] else None,
        "author_accuracy": t["author_ok"] / t["author_n"] if t["author_n"] else None,
        "title_n": t["title_n"],
        "date_n": t["date_n"],
        "author_n": t["author_n"],
        "snippet_precision": precision,
        "snippet_recall": recall,
        "snippet_accuracy": (t["tp"] + t["tn"]) / (t["tp"] + t["tn"] + t["fp"] + t["fn"]),
        "snippet_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }


# --- report ------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    body, meta = report["body"], report["metadata"]
    lines = [
        f"Body text, scrapinghub ({body['pages']} pages; shingle F1 as the benchmark defines it)",
        "",
        f"| extractor | F1 | precision | recall | F1, pages {body['tuning_pages'] + 1}+ only "
        "| s/page |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in body["results"].items():
        held_out = f"{r['held_out']['f1']:.3f}" if "held_out" in r else "-"
        lines.append(
            f"| {name} | {r['f1']:.3f} ± {r['f1_ci95']:.3f} | {r['precision']:.3f} ± "
            f"{r['precision_ci95']:.3f} | {r['recall']:.3f} ± {r['recall_ci95']:.3f} "
            f"| {held_out} | {r['seconds_per_page']:.2f} |"
        )
    any_result = next(iter(meta["results"].values()))
    lines += [
        "",
        f"Metadata and snippets, trafilatura-en ({meta['pages']} pages; gold titles "
        f"{any_result['title_n']}, dates {any_result['date_n']}, authors {any_result['author_n']})",
        "",
        "| extractor | title | date | author | snippet P | snippet R | snippet acc | snippet F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in meta["results"].items():
        cells = [r[key] for key in ("title_accuracy", "date_accuracy", "author_accuracy", "snippet_precision",
                                    "snippet_recall", "snippet_accuracy", "snippet_f1")]
        lines.append(f"| {name} | " + " | ".join("-" if c is None else f"{c:.3f}" for c in cells) + " |")
    return "\n".join(lines)


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"limit": 5})
    parser.add_argument("--limit", type=int, help="only the first N pages of each set")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    data = harness.eval_path(current(), "extraction")
    report = {
        "trafilatura_version": trafilatura.__version__,
        "body": run_body(data / "scrapinghub", args.limit),
        "metadata": run_metadata(data / "trafilatura-en", args.limit),
    }
    written = harness.write_json(harness.out_dir(args) / "extraction.json", report)
    print(markdown(report))
    print(f"\nwritten: {written.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    harness.run(main)
