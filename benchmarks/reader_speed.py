"""Readers' questions through ``nutgraf serve`` and its streaming API: every kind's time to
the first thing shown and to the finished answer, one reader alone; then many readers at once.

    python -m benchmarks.reader_speed                       # 40 questions; 8 and 16 readers x 10
    python -m benchmarks.reader_speed --readers 8 --each 10 --model qwen2.5-coder-0.5b

The 40 questions of benchmarks/speed/questions.json, on the sample article and 8 CNN stories,
are asked by one reader in a row, each through ``POST /v1/ask?stream=1`` as the widget asks
it, timed to the evidence event (the sentence being read, highlighted at once), to the first
answer text (the ``delta``) and to the finished answer; per kind of answer given. The articles
are read ahead first into the server's state folder, as preparing does (their explore panels
are not made, so answers carry no follow-ups). Two questions in other languages are each asked
twice: the first translates the question, the second finds its English kept (``--languages
0`` leaves them out). Then each ``--readers`` count asks at once,
each reader ``--each`` questions in a row (reader r starts at question 10r), bounded by
``--seconds``: answers a second, p50/p95 to the finished answer, failures (a broken stream,
an error, no answer within the time), refusals (429, after which the reader waits Retry-After
and asks again), and how many answers are the ones the reader alone got. The server runs in
its default configuration. Results go to benchmarks/out/reader-speed.json.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

from nutgraf import Nutgraf
from nutgraf.settings import current

from nutgraf.answering.decide import STRUCTURE

from . import harness, speed
from .load import start_server, stop_server
from .speed import sse

# Questions on the sample article in the readers' own languages, written for this benchmark.
OTHER_LANGUAGES = ["Où aura lieu le sommet ?", "¿Por qué son importantes los misiles Tomahawk?"]



def alone(base: str, ids: dict, asked: list[speed.Question], limit: float) -> list[dict]:
    rows = []
    with httpx.Client(base_url=base, timeout=limit) as client:
        for question in asked:
            result = sse.ask(client, question.question, ids[question.story])
            answer = result.answer or {}
            rows.append({"story": question.story, "written_as": question.kind, "question": question.question,
                         "kind": answer.get("kind"), "grade": answer.get("grade"), "judge": answer.get("judge"),
                         "status": result.status,
                         "first_event_s": result.first_event_s, "first_text_s": result.first_text_s,
                         "answer_s": result.answer_s, "error": result.error, "answer": result.answer})
    return rows


def in_other_languages(base: str, sample_id: str, limit: float) -> list[dict]:
    """Each question in another language asked twice: the first translates it into English,
    the second finds its English kept; the time of that stage (resolve) and of the answer."""
    rows = []
    with httpx.Client(base_url=base, timeout=limit) as client:
        for question in OTHER_LANGUAGES:
            for attempt in ("first", "again"):
                result = sse.ask(client, question, sample_id)
                answer = result.answer or {}
                rows.append({"question": question, "attempt": attempt, "answer_s": result.answer_s,
                             "resolve_ms": answer.get("timings_ms", {}).get("resolve"),
                             "translate_ms": answer.get("timings_ms", {}).get("translate"),
                             "grade": answer.get("grade"), "error": result.error})
    return rows


def by_kind(rows: list[dict]) -> list[list]:
    kinds = defaultdict(list)
    for row in rows:
        kinds[row["kind"] or "failed"].append(row)
    structure = [r for r in rows if r["judge"] == STRUCTURE]
    groups = sorted(kinds.items()) + [("read off the article", structure),
                                      ("read by the model", [r for r in rows if r not in structure]), ("all", rows)]
    table = []
    for kind, mine in groups:
        finished = [r["answer_s"] for r in mine if r["answer_s"] is not None]
        shown = [r["first_text_s"] for r in mine if r["first_text_s"] is not None]
        events = [r["first_event_s"] for r in mine if r["first_event_s"] is not None]
        table.append([kind, len(mine), _cuts(events, 3), _cuts(shown, 2), _cuts(finished, 2),
                      sum(r["grade"] == "answer" for r in mine)])
    return table


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _cuts(values: list[float], digits: int) -> str:
    if not values:
        return "—"
    cut = harness.percentiles(values, digits)
    return f"{cut['p50']} / {cut['p95']}"


def together(base: str, ids: dict, asked: list[speed.Question], readers: int, each: int, limit: float,
             reference: dict[str, dict]) -> dict:
    """``readers`` readers at once, each asking ``each`` questions in a row."""
    results: list[tuple[speed.Question, sse.Asked]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + limit

    def reader(number: int) -> None:
        with httpx.Client(base_url=base, timeout=limit) as client:
            for step in range(each):
                if time.monotonic() > deadline:
                    return
                question = asked[(number * 10 + step) % len(asked)]
                result = sse.ask(client, question.question, ids[question.story], retry=True)
                with lock:
                    results.append((question, result))

    started = time.perf_counter()
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    answered = [(q, r) for q, r in results if r.answer is not None]
    cuts = harness.percentiles([r.answer_s for _, r in answered] or [0.0])
    structure = harness.percentiles([r.answer_s for _, r in answered if r.answer.get("judge") == STRUCTURE] or [0.0])
    same = sum(sse.same_answer(r.answer, reference[q.question]) for q, r in answered if q.question in reference)
    waits = [w for _, r in results for w in r.retry_after]
    return {"readers": readers, "asked": readers * each, "answered": len(answered),
            "failed": len(results) - len(answered) + readers * each - len(results),
            "refused_429": sum(r.refused for _, r in results), "retry_after_s": sorted(set(waits)),
            "seconds": round(seconds, 1), "answers_per_s": round(len(answered) / seconds, 2),
            "answer_p50_s": cuts["p50"], "answer_p95_s": cuts["p95"], "same_as_alone": same,
            "structure_p50_s": structure["p50"], "structure_p95_s": structure["p95"],
            "errors": sorted({r.error for _, r in results if r.answer is None and r.error})[:5]}


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": harness.SMOKE_MODEL, "stories": 0, "questions": 4,
                                               "readers": "2", "each": 2, "languages": 0})
    parser.add_model_option()
    parser.add_argument("--stories", type=int, default=8, help="CNN stories besides the sample article")
    parser.add_argument("--questions", type=int, default=40, help="the first N questions on those articles")
    parser.add_argument("--readers", default="8,16", help="reader counts asking at once (none: '')")
    parser.add_argument("--each", type=int, default=10, help="questions each of those readers asks")
    parser.add_argument("--seconds", type=float, default=1800, help="time limit of each run with many readers")
    parser.add_argument("--languages", type=int, default=1, help="1: also the questions in other languages")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    load_before = harness.load_average()
    with tempfile.TemporaryDirectory(prefix="nutgraf-readers-") as folder:
        out = Path(folder)
        settings = settings.with_values(state_dir=out / "states", prepare_worker=False)
        asked = speed.questions(args.questions, args.stories)
        ids = speed.ingest(out / "readers.db", asked, settings)
        reading = Nutgraf(str(out / "readers.db"), settings=settings)
        for article_id in ids.values():
            reading.read_ahead(article_id)  # the server restores these states
        reading.close()
        environment = {**os.environ, **settings.to_env()}
        process, base = start_server(out / "readers.db", 1, settings.model, out / "serve.log", environment)
        try:
            single = alone(base, ids, asked, args.seconds)
            reference = {r["question"]: r["answer"] for r in single if r["answer"]}
            languages = in_other_languages(base, ids[speed.SAMPLE], args.seconds) if args.languages else []
            crowds = [together(base, ids, asked, int(n), args.each, args.seconds, reference)
                      for n in args.readers.split(",") if n]
        finally:
            stop_server(process)
    result = {"model": settings.model, "load_before": load_before, "load_after": harness.load_average(),
              "alone": single, "other_languages": languages, "together": crowds}
    harness.write_json(harness.out_dir(args) / "reader-speed.json", result)
    print(f"{settings.model}; {len(asked)} questions; load {load_before} -> {result['load_after']}")
    print(harness.table(["kind", "questions", "first event p50 / p95 s", "first text p50 / p95 s",
                         "finished p50 / p95 s", "answers shown"], by_kind(single)))
    if languages:
        print()
        print(harness.table(["question", "asked", "resolve (translating the question) ms", "translating the answer ms",
                             "finished s", "grade"],
                            [[r["question"], r["attempt"], r["resolve_ms"], r["translate_ms"], _seconds(r["answer_s"]),
                              r["grade"]] for r in languages]))
    if crowds:
        print()
        print(harness.table(["readers", "asked", "answered", "failed", "429s", "Retry-After s", "answers/s",
                             "finished p50 / p95 s", "read off the article p50 / p95 s", "same as alone"],
                            [[c["readers"], c["asked"], c["answered"], c["failed"], c["refused_429"],
                              ", ".join(map(str, c["retry_after_s"])) or "—", c["answers_per_s"],
                              f"{c['answer_p50_s']} / {c['answer_p95_s']}",
                              f"{c['structure_p50_s']} / {c['structure_p95_s']}", c["same_as_alone"]] for c in crowds]))


if __name__ == "__main__":
    harness.run(main)
