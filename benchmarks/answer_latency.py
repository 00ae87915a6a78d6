"""End-to-end answer latency: time to first token and total, cold and warm, and peak memory.

    .venv/bin/python benchmarks/answer_latency.py --model qwen2.5-1.5b
    .venv/bin/python benchmarks/answer_latency.py --model qwen2.5-0.5b
    .venv/bin/python benchmarks/answer_latency.py --model smollm2-135m

One process per model (so that peak memory is that model's). Questions go through
``Nutgraf.ask_stream``, as the server's streaming endpoint does, in the default
configuration. "Cold" is the first question about an article (the sample article and a few
CNN stories, each read for the first time); "warm" is every later question about the sample
article. The time to first token is the time to the first event the stream yields.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest import STORIES, cnn_documents  # noqa: E402

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.records import Document  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "budapest-summit.txt"
OUT = ROOT / "benchmarks" / "out"
WARM_QUESTIONS = [
    "Where will the next summit be held?",
    "How long did the phone call last?",
    "Who will Trump host at the White House today?",
    "What weapons does Ukraine want from the United States?",
    "What did the Kremlin say about sending Tomahawks?",
    "Who is preparing for the summit in Budapest?",
    "How did Trump describe the call with Putin?",
    "What issues remain unresolved?",
    "What did Zelensky say about Hamas?",
    "How many Russian soldiers have died?",
    "Where did Trump post about the call?",
    "What does the Washington Post report?",
]
COLD_OPENING = "What is this article about?"


def timed(nutgraf: Nutgraf, question: str, article_id: str) -> dict:
    started = time.perf_counter()
    first = None
    for event in nutgraf.ask_stream(question, article_id=article_id):
        first = first or time.perf_counter()
        if event["type"] == "answer":
            answer = event["answer"]
    total = time.perf_counter() - started
    return {"question": question, "first_token_s": round(first - started, 3), "total_s": round(total, 3),
            "answerable": answer.answerable, "answer": answer.answer}


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2), "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--cold-stories", type=int, default=4, help="CNN stories asked about once each")
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"skipped: {SAMPLE} is absent")
        return
    stories = cnn_documents(args.cold_stories) if STORIES.exists() and args.cold_stories else []
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(Path(folder) / "latency.db", model=args.model)
        [sample] = nutgraf.ingest_documents([Document(text=SAMPLE.read_text(encoding="utf-8"),
                                                      origin="budapest-summit.txt")])
        others = [o.article_id for o in nutgraf.ingest_documents(stories)]
        nutgraf.answerer.llm  # load the model before the clock starts
        cold = [timed(nutgraf, WARM_QUESTIONS[0], sample.article_id)]
        cold += [timed(nutgraf, COLD_OPENING, article_id) for article_id in others]
        warm = [timed(nutgraf, question, sample.article_id) for question in WARM_QUESTIONS[1:]]
    result = {
        "model": args.model,
        "cold": {"first_token_s": percentiles([r["first_token_s"] for r in cold]),
                 "total_s": percentiles([r["total_s"] for r in cold])},
        "warm": {"first_token_s": percentiles([r["first_token_s"] for r in warm]),
                 "total_s": percentiles([r["total_s"] for r in warm])},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rows": {"cold": cold, "warm": warm},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"answer-latency-{args.model}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
