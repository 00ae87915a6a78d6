"""Ingest throughput and peak memory on the 1,000 CNN stories, entity recognition on.

    .venv/bin/python benchmarks/ingest.py [--limit N] [--no-embed]

Each story goes through the whole pipeline (sentences, entities, quotes, dates, MinHash,
sentence vectors) into a fresh SQLite file, one transaction per article.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.eval.datasets import detokenize_ptb  # noqa: E402
from nutgraf.records import Document  # noqa: E402

STORIES = ROOT.parent / "shared" / "eval" / "newsqa" / "forget_set_1000.json"


def cnn_documents(limit: int | None) -> list[Document]:
    lines = [line for line in STORIES.read_text().splitlines() if line.strip()][:limit]
    return [Document(text=detokenize_ptb(json.loads(line)["answer"]), source="CNN", origin=f"cnn#{n}")
            for n, line in enumerate(lines, start=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int)
    parser.add_argument("--no-embed", action="store_true")
    args = parser.parse_args()
    if not STORIES.exists():
        print(f"skipped: {STORIES} is absent")
        return
    documents = cnn_documents(args.limit)
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(Path(folder) / "cnn.db", embed=not args.no_embed, model="none")
        nutgraf.ingest_documents(documents[:1])  # load the models before the clock starts
        started = time.perf_counter()
        outcomes = nutgraf.ingest_documents(documents[1:])
        seconds = time.perf_counter() - started
        sentences = sum(a.sentences for a in nutgraf.articles())
        size = (Path(folder) / "cnn.db").stat().st_size
    failed = sum(o.failed for o in outcomes)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"articles": len(outcomes), "failed": failed, "seconds": round(seconds, 1),
              "articles_per_second": round(len(outcomes) / seconds, 2), "sentences": sentences,
              "peak_rss_mb": round(peak_mb), "db_mb": round(size / 1e6, 1), "embed": not args.no_embed}
    (ROOT / "benchmarks" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "out" / "ingest.json").write_text(json.dumps(result, indent=2))
    print("| articles | failed | seconds | articles/s | sentences | peak RSS | db size |\n|---|---|---|---|---|---|---|")
    print(f"| {result['articles']} | {failed} | {result['seconds']} | {result['articles_per_second']} | "
          f"{sentences} | {result['peak_rss_mb']} MB | {result['db_mb']} MB |")


if __name__ == "__main__":
    main()
