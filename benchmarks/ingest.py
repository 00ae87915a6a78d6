"""Ingest throughput on the 1,000 CNN stories, where the time goes, and ingest time as the
archive grows.

    python -m benchmarks.ingest [--limit N] [--no-embed]
    python -m benchmarks.ingest --growth [--sizes 1000,20000] [--measured 100]

Throughput: each story goes through the whole pipeline (sentences, entities, quotes, dates,
MinHash, near-duplicate lookup, sentence vectors) into a fresh SQLite file, one transaction
per article, through ``Nutgraf.ingest_documents`` as ``nutgraf ingest`` does. The split per
stage is the time each stage took; embedding runs in a background thread beside the analysis
of the next articles, so its own time overlaps the others and ``embed_wait`` is the part that
was not hidden.

Growth (--growth): the last ``--measured`` stories are held out; the archive is filled with
the other stories and then with perturbed copies of them (every eighth word replaced, which
makes each copy a different text for MinHash, then written straight into the store with the
original's analysis and vectors) up to each size, and the held-out stories are ingested into
it through the whole pipeline. Ingest time per article should not grow with the archive.
A smoke run does both, on a few stories.

Writes benchmarks/out/ingest.json (or ingest-growth.json).
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from nutgraf import Nutgraf
from nutgraf.analysis import fingerprint
from nutgraf.eval.datasets import detokenize_ptb
from nutgraf.records import Article, Document
from nutgraf.settings import Settings, current

from . import harness

MINILM_MS_PER_SENTENCE = 4.4  # the model alone, 2 cores (BENCHMARKS.md): the floor of this pipeline


def cnn_stories(settings: Settings) -> Path:
    """The 1,000 CNN stories of NewsQA; skips when they are absent."""
    return harness.eval_path(settings, "newsqa", "forget_set_1000.json")


def cnn_documents(stories: Path, limit: int | None = None) -> list[Document]:
    lines = [line for line in stories.read_text().splitlines() if line.strip()][:limit]
    return [Document(text=detokenize_ptb(json.loads(line)["answer"]), source="CNN", origin=f"cnn#{n}")
            for n, line in enumerate(lines, start=1)]


def throughput(documents: list[Document], embed: bool, settings: Settings) -> dict:
    load_before = harness.load_average()
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(Path(folder) / "cnn.db", embed=embed, settings=settings.with_values(model="none"))
        nutgraf.ingest_documents(documents[:1])  # load the models before the clock starts
        nutgraf.ingester.stage_seconds.clear()
        with harness.Stopwatch() as clock:
            outcomes = nutgraf.ingest_documents(documents[1:])
        seconds = clock.seconds
        stages = dict(nutgraf.ingester.stage_seconds)
        sentences = sum(len(nutgraf.store.sentences(o.article_id)) for o in outcomes if not o.failed)
        size = (Path(folder) / "cnn.db").stat().st_size
    stored = sum(o.status in ("added", "updated") for o in outcomes)
    per_article = {name: round(value / len(outcomes) * 1000, 1) for name, value in sorted(stages.items())}
    return {
        "articles": len(outcomes), "stored": stored, "failed": sum(o.failed for o in outcomes),
        "seconds": round(seconds, 1), "articles_per_second": round(len(outcomes) / seconds, 2),
        "sentences": sentences, "sentences_per_article": round(sentences / len(outcomes), 1),
        "stage_ms_per_article": per_article,
        "embed_ms_per_sentence": round(stages.get("embed", 0) / max(sentences, 1) * 1000, 2),
        "minilm_floor_articles_per_second": round(1000 / (MINILM_MS_PER_SENTENCE * sentences / len(outcomes)), 2),
        "peak_rss_mb": harness.peak_rss_mb(),
        "db_mb": round(size / 1e6, 1), "embed": embed,
        "load_average_before": load_before, "load_average_after": harness.load_average(),
    }


def perturbed(article: Article, number: int, rng: random.Random) -> Article:
    """A copy of ``article`` whose text differs in every eighth word (a different story for
    MinHash) under a new id; sentences, entities and vectors are the original's."""
    words = re.findall(r"\w+", article.text)
    vocabulary = words or ["word"]
    text = " ".join(rng.choice(vocabulary) if n % 8 == 0 else w for n, w in enumerate(words))
    identifier = f"copy{number:06d}"
    return replace(article, id=identifier, text=text, content_hash=identifier, origin=f"copy#{number}",
                   signature=fingerprint.signature(text))


def growth(stories: list[Document], sizes: list[int], measured_count: int, settings: Settings) -> dict:
    documents = list({d.text: d for d in reversed(stories)}.values())[::-1]  # of 1,000: 991 distinct stories
    measured, fill = documents[-measured_count:], documents[:-measured_count]
    rng = random.Random(7)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(Path(folder) / "growth.db", settings=settings.with_values(model="none"))
        store = nutgraf.store
        nutgraf.ingest_documents(fill)
        originals = [store.get_article(i) for i in store.article_ids()]
        copies, stored = 0, len(originals)
        for size in sizes:
            while stored < size:
                store.put_article(perturbed(originals[copies % len(originals)], copies, rng))
                copies += 1
                stored += 1
            nutgraf.ingester.stage_seconds.clear()
            load_before = harness.load_average()
            per_article = []
            for document in measured:
                started = time.perf_counter()
                [outcome] = nutgraf.ingest_documents([document])
                per_article.append((time.perf_counter() - started) * 1000)
                assert outcome.status == "added", outcome
            lookups, scans = [], []
            for document in measured:
                signature = fingerprint.signature(document.text)
                lookups.append(harness.timed_ms(
                    lambda: fingerprint.similar(signature, store.near_duplicate_candidates(signature))))
                scans.append(harness.timed_ms(lambda: fingerprint.similar(signature, every_signature(store))))
            stages = {name: round(value / len(measured) * 1000, 1)
                      for name, value in sorted(nutgraf.ingester.stage_seconds.items())}
            results.append({
                "stored_articles": stored, "measured_articles": len(measured),
                "ingest_ms_per_article": {"p50": round(statistics.median(per_article), 1),
                                          "mean": round(statistics.fmean(per_article), 1)},
                "stage_ms_per_article": stages,
                "near_duplicate_lookup_ms": {"p50": round(statistics.median(lookups), 2),
                                             "max": round(max(lookups), 2)},
                "every_signature_ms": {"p50": round(statistics.median(scans), 2), "max": round(max(scans), 2)},
                "load_average_before": load_before, "load_average_after": harness.load_average(),
            })
            print(json.dumps(results[-1]), file=sys.stderr)
            for document in measured:  # the next size starts without them
                nutgraf.delete(fingerprint_id(document))
    return {"sizes": results}


def every_signature(store) -> list:
    """Every stored (id, signature), as the near-duplicate check read them before the band index."""
    rows = store._db.execute("SELECT id, signature FROM articles WHERE signature IS NOT NULL")
    return [(r[0], np.frombuffer(r[1], np.uint64)) for r in rows]


def fingerprint_id(document: Document) -> str:
    from nutgraf.ingest.pipeline import article_id

    return article_id(document)


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"limit": 4, "stories": 10, "sizes": "12", "measured": 3})
    parser.add_argument("--limit", type=int, help="stories for the throughput run (default: all)")
    parser.add_argument("--no-embed", action="store_true")
    parser.add_argument("--growth", action="store_true", help="ingest time per article as the archive grows")
    parser.add_argument("--stories", type=int, help="stories the --growth archive starts from (default: all)")
    parser.add_argument("--sizes", default="1000,20000", help="archive sizes for --growth")
    parser.add_argument("--measured", type=int, default=100, help="stories ingested at each size")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current()
    stories = cnn_stories(settings)
    out = harness.out_dir(args)
    if args.growth or args.smoke:
        result = growth(cnn_documents(stories, args.stories), [int(size) for size in args.sizes.split(",")],
                        args.measured, settings)
        harness.write_json(out / "ingest-growth.json", result)
        print(growth_table(result))
    if not args.growth:
        result = throughput(cnn_documents(stories, args.limit), not args.no_embed, settings)
        harness.write_json(out / "ingest.json", result)
        print(harness.table(
            ["articles", "failed", "seconds", "articles/s", "sentences", "peak RSS", "db size", "load average"],
            [[result["articles"], result["failed"], result["seconds"], result["articles_per_second"],
              result["sentences"], f"{result['peak_rss_mb']} MB", f"{result['db_mb']} MB",
              f"{result['load_average_before']} -> {result['load_average_after']}"]]))
        print()
        print(harness.table(["stage", "ms per article"], result["stage_ms_per_article"].items()))


def growth_table(result: dict) -> str:
    rows = []
    for row in result["sizes"]:
        ingest, lookup = row["ingest_ms_per_article"], row["near_duplicate_lookup_ms"]
        rows.append([f"{row['stored_articles']:,}", f"{ingest['p50']} ({ingest['mean']})",
                     row["stage_ms_per_article"]["store"], f"{lookup['p50']} ({lookup['max']}) ms",
                     f"{row['every_signature_ms']['p50']} ms", row["load_average_before"]])
    return harness.table(["stored articles", "ingest ms/article p50 (mean)", "store ms/article",
                          "near-duplicate lookup p50 (max)", "reading every signature p50", "load average"], rows)


if __name__ == "__main__":
    harness.run(main)
