"""Answer latency for readers of prepared articles: the first question in a fresh process,
later questions in a warm one, the first streamed event, and what preparing cost.

    NUTGRAF_LLM_THREADS=2 python -m benchmarks.answer_latency --stories 8
    python -m benchmarks.answer_latency --model qwen2.5-coder-0.5b

The sample article and some CNN stories are ingested and read ahead once (what preparing
does at ingest; its time is reported). Then each article gets its first question in a
process of its own, as a command-line `nutgraf ask` or a newly started server worker would:
the model is loaded (timed apart), and the question is asked through ``Nutgraf.ask_stream``
as the server's streaming endpoint does; "first event" is the evidence event, "total" the
final answer. Last, one process asks the sample article the warm questions in a row. Rows
go to benchmarks/out/answer-latency-<model>.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.records import Document
from nutgraf.settings import current

from . import harness
from .ingest import cnn_documents, cnn_stories

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
# One process per first question, as `nutgraf ask` is: it prints what it measured. It reads
# the environment's settings, as `nutgraf ask` does; the model is the one given here.
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
    return {**harness.percentiles(values, digits=3), "n": len(values)}


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": harness.SMOKE_MODEL, "stories": 0, "warm": 2})
    parser.add_model_option()
    parser.add_argument("--stories", type=int, default=8, help="CNN stories besides the sample article")
    parser.add_argument("--warm", type=int, default=len(WARM_QUESTIONS), help="questions asked in the warm process")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    sample_article = harness.sample_article()
    stories = cnn_documents(cnn_stories(settings), args.stories) if args.stories else []
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "latency.db")
        nutgraf = Nutgraf(db, settings=settings)
        [sample] = nutgraf.ingest_documents([Document(text=sample_article.read_text(encoding="utf-8"),
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
            result = subprocess.run([sys.executable, "-c", FRESH_PROCESS, db, settings.model, article_id,
                                     FIRST_QUESTION], capture_output=True, text=True, check=True, cwd=harness.ROOT)
            fresh.append(json.loads(result.stdout.strip().splitlines()[-1]))
        warm_nutgraf = Nutgraf(db, settings=settings)
        warm_nutgraf.answerer.llm
        warm = [timed(warm_nutgraf, question, sample.article_id) for question in WARM_QUESTIONS[:args.warm]]
    result = {
        "model": settings.model,
        "read_ahead_s": percentiles(reading),
        "fresh_process": {key: percentiles([r[key] for r in fresh])
                          for key in ("import_and_load_s", "first_event_s", "total_s", "process_s")},
        "warm": {key: percentiles([r[key] for r in warm]) for key in ("first_event_s", "total_s")},
        "peak_rss_mb": harness.peak_rss_mb(),
        "rows": {"read_ahead_s": reading, "fresh": fresh, "warm": warm},
    }
    harness.write_json(harness.out_dir(args) / f"answer-latency-{settings.model}.json", result)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    harness.run(main)
