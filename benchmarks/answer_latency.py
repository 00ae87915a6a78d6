"""Answer latency for readers of prepared articles: the first question in a fresh process,
later questions in a warm one, the first streamed event, and what preparing cost.

    NUTGRAF_LLM_THREADS=2 .venv/bin/python benchmarks/answer_latency.py --stories 8
    .venv/bin/python benchmarks/answer_latency.py --model qwen2.5-coder-0.5b

The sample article and some CNN stories are ingested and read ahead once (what preparing
does at ingest; its time is reported). Then each article gets its first question in a
process of its own, as a command-line `nutgraf ask` or a newly started server worker would:
the model is loaded (timed apart), and the question is asked through ``Nutgraf.ask_stream``
as the server's streaming endpoint does; "first event" is the evidence event, "total" the
final answer. Last, one process asks the sample article the warm questions in a row. Rows
go to benchmarks/out/answer-latency-<model>.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
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
    "How did the Kremlin react to the idea of sending Tomahawks?",
    "Who is preparing for the summit in Budapest?",
    "Is the Budapest summit confirmed?",
    "What issues remain unresolved?",
    "What did Zelensky say about Hamas?",
    "How many Russian soldiers have died?",
    "Where did Trump post about the call?",
    "Why does Ukraine want Tomahawk missiles?",
]
FIRST_QUESTION = "Who is involved, and what happened?"
# One process per first question, as `nutgraf ask` is: it prints what it measured.
FRESH_PROCESS = """
import json, sys, time
started = time.perf_counter()
from nutgraf import Nutgraf
nutgraf = Nutgraf(sys.argv[1], model=sys.argv[2])
nutgraf.answerer.llm  # the model loaded, as a server worker has it before its first reader
loaded = time.perf_counter()
first = None
for event in nutgraf.ask_stream(sys.argv[4], article_id=sys.argv[3]):
    first = first or time.perf_counter()
    answer = event.get("answer")
done = time.perf_counter()
print(json.dumps({"import_and_load_s": round(loaded - started, 3), "first_event_s": round(first - loaded, 3),
                  "total_s": round(done - loaded, 3), "process_s": round(done - started, 3),
                  "answer": answer.answer, "kind": answer.kind, "grade": answer.grade}))
"""


def timed(nutgraf: Nutgraf, question: str, article_id: str) -> dict:
    started = time.perf_counter()
    first = None
    for event in nutgraf.ask_stream(question, article_id=article_id):
        first = first or time.perf_counter()
        answer = event.get("answer")
    return {"question": question, "first_event_s": round(first - started, 3),
            "total_s": round(time.perf_counter() - started, 3), "answer": answer.answer, "grade": answer.grade}


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3), "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--stories", type=int, default=8, help="CNN stories besides the sample article")
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"skipped: {SAMPLE} is absent")
        return
    stories = cnn_documents(args.stories) if STORIES.exists() and args.stories else []
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "latency.db")
        nutgraf = Nutgraf(db, model=args.model)
        [sample] = nutgraf.ingest_documents([Document(text=SAMPLE.read_text(encoding="utf-8"),
                                                      origin="budapest-summit.txt")])
        ids = [sample.article_id] + [o.article_id for o in nutgraf.ingest_documents(stories)]
        nutgraf.answerer.llm  # loaded before any clock starts
        reading = []
        for article_id in ids:
            started = time.perf_counter()
            nutgraf.read_ahead(article_id)
            reading.append(round(time.perf_counter() - started, 2))
        nutgraf.close()
        fresh = []
        for article_id in ids:
            result = subprocess.run([sys.executable, "-c", FRESH_PROCESS, db, args.model, article_id, FIRST_QUESTION],
                                    capture_output=True, text=True, check=True)
            fresh.append(json.loads(result.stdout.strip().splitlines()[-1]))
        warm_nutgraf = Nutgraf(db, model=args.model)
        warm_nutgraf.answerer.llm
        warm = [timed(warm_nutgraf, question, sample.article_id) for question in WARM_QUESTIONS]
    result = {
        "model": args.model,
        "read_ahead_s": percentiles(reading),
        "fresh_process": {key: percentiles([r[key] for r in fresh])
                          for key in ("import_and_load_s", "first_event_s", "total_s", "process_s")},
        "warm": {key: percentiles([r[key] for r in warm]) for key in ("first_event_s", "total_s")},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rows": {"read_ahead_s": reading, "fresh": fresh, "warm": warm},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"answer-latency-{args.model}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
