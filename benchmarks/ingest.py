"""Ingest throughput on the 1,000 CNN stories, where the time goes, and ingest time as the
archive grows.

    .venv/bin/python benchmarks/ingest.py [--limit N] [--no-embed]
    .venv/bin/python benchmarks/ingest.py --growth [--sizes 1000,20000] [--measured 100]

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

Writes benchmarks/out/ingest.json (or ingest-growth.json).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.analysis import fingerprint  # noqa: E402
from nutgraf.eval.datasets import detokenize_ptb  # noqa: E402
from nutgraf.records import Article, Document  # noqa: E402

STORIES = ROOT.parent / "shared" / "eval" / "newsqa" / "forget_set_1000.json"
OUT = ROOT / "benchmarks" / "out"
MINILM_MS_PER_SENTENCE = 4.4  # the model alone, 2 cores (BENCHMARKS.md): the floor of this pipeline


def cnn_documents(limit: int | None = None) -> list[Document]:
    lines = [line for line in STORIES.read_text().splitlines() if line.strip()][:limit]
    return [Document(text=detokenize_ptb(json.loads(line)["answer"]), source="CNN", origin=f"cnn#{n}")
            for n, line in enumerate(lines, start=1)]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def throughput(limit: int | None, embed: bool) -> dict:
    documents = cnn_documents(limit)
    load_before = load_average()
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(Path(folder) / "cnn.db", embed=embed, model="none")
        nutgraf.ingest_documents(documents[:1])  # load the models before the clock starts
        nutgraf.ingester.stage_seconds.clear()
        started = time.perf_counter()
        outcomes = nutgraf.ingest_documents(documents[1:])
        seconds = time.perf_counter() - started
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
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "db_mb": round(size / 1e6, 1), "embed": embed,
        "load_average_before": load_before, "load_average_after": load_average(),
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


def growth(sizes: list[int], measured_count: int) -> dict:
    documents = list({d.text: d for d in reversed(cnn_documents())}.values())[::-1]  # 991 distinct stories
    measured, fill = documents[-measured_count:], documents[:-measured_count]
    rng = random.Random(7)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(Path(folder) / "growth.db", model="none")
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
            load_before = load_average()
            per_article = []
            for document in measured:
                started = time.perf_counter()
                [outcome] = nutgraf.ingest_documents([document])
                per_article.append((time.perf_counter() - started) * 1000)
                assert outcome.status == "added", outcome
            lookups, scans = [], []
            for document in measured:
                signature = fingerprint.signature(document.text)
                started = time.perf_counter()
                fingerprint.similar(signature, store.near_duplicate_candidates(signature))
                lookups.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                fingerprint.similar(signature, every_signature(store))
                scans.append((time.perf_counter() - started) * 1000)
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
                "load_average_before": load_before, "load_average_after": load_average(),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int)
    parser.add_argument("--no-embed", action="store_true")
    parser.add_argument("--growth", action="store_true", help="ingest time per article as the archive grows")
    parser.add_argument("--sizes", default="1000,20000", help="archive sizes for --growth")
    parser.add_argument("--measured", type=int, default=100, help="stories ingested at each size")
    args = parser.parse_args()
    if not STORIES.exists():
        print(f"skipped: {STORIES} is absent")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if args.growth:
        result = growth([int(size) for size in args.sizes.split(",")], args.measured)
        (OUT / "ingest-growth.json").write_text(json.dumps(result, indent=2))
        print("| stored articles | ingest ms/article p50 (mean) | store ms/article | near-duplicate lookup"
              " p50 (max) | reading every signature p50 | load average |")
        print("|---|---|---|---|---|---|")
        for row in result["sizes"]:
            ingest, lookup = row["ingest_ms_per_article"], row["near_duplicate_lookup_ms"]
            print(f"| {row['stored_articles']:,} | {ingest['p50']} ({ingest['mean']}) |"
                  f" {row['stage_ms_per_article']['store']} | {lookup['p50']} ({lookup['max']}) ms |"
                  f" {row['every_signature_ms']['p50']} ms | {row['load_average_before']} |")
        return
    result = throughput(args.limit, not args.no_embed)
    (OUT / "ingest.json").write_text(json.dumps(result, indent=2))
    print("| articles | failed | seconds | articles/s | sentences | peak RSS | db size | load average |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {result['articles']} | {result['failed']} | {result['seconds']} | {result['articles_per_second']} |"
          f" {result['sentences']} | {result['peak_rss_mb']} MB | {result['db_mb']} MB |"
          f" {result['load_average_before']} -> {result['load_average_after']} |")
    print("\n| stage | ms per article |\n|---|---|")
    for name, value in result["stage_ms_per_article"].items():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
