"""One llama.cpp thread or two, on a server that also serves other readers.

    python -m benchmarks.threads
    python -m benchmarks.threads --threads 1,2 --questions 16

For each thread count, ``nutgraf serve`` (one worker, the default model) is started on the
sample articles of nutgraf/samples, which it prepares first. Then one reader asks questions
one after another, alone, and again while a second client keeps requesting the cached
explore panels and article lists (what the other readers of a news site do). Prints the
ask latency p50/p95 in both cases and the second client's latency and rate.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from nutgraf.settings import Settings, current, env_name

from . import harness
from .load import QUESTIONS, ingest_samples, start_server, stop_server, wait_for_related


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ask_in_turn(base: str, ids: list[str], count: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=300) as http:
        for i in range(count):
            body = {"question": QUESTIONS[i % len(QUESTIONS)], "article_id": ids[(i // 2) % len(ids)]}
            started = time.perf_counter()
            http.post("/v1/ask", json=body).raise_for_status()
            latencies.append(time.perf_counter() - started)
    return latencies


def browse(base: str, ids: list[str], stop: threading.Event, latencies: list[float]) -> None:
    """The other readers: explore panels (cached) and article lists, back to back."""
    with httpx.Client(base_url=base, timeout=60) as http:
        i = 0
        while not stop.is_set():
            path, params = ("/v1/related", {"article_id": ids[i % len(ids)]}) if i % 2 else \
                ("/v1/articles", {"limit": 20})
            started = time.perf_counter()
            http.get(path, params=params).raise_for_status()
            latencies.append(time.perf_counter() - started)
            i += 1


def measure(threads: int, db: Path, ids: list[str], args, settings: Settings, out: Path) -> dict:
    environment = {**os.environ, env_name("llm_threads"): str(threads)}
    process, base = start_server(db, 1, settings.model, out / f"serve-{threads}.log", environment)
    try:
        for article_id in ids:
            wait_for_related(base, article_id)
        ask_in_turn(base, ids, len(ids) * 2)  # every article read once before timing
        alone = ask_in_turn(base, ids, args.questions)
        stop, others = threading.Event(), []
        second = threading.Thread(target=browse, args=(base, ids, stop, others))
        started = time.perf_counter()
        second.start()
        shared = ask_in_turn(base, ids, args.questions)
        stop.set()
        second.join()
        seconds = time.perf_counter() - started
        return {"threads": threads, "alone": alone, "shared": shared, "others": others,
                "others_per_second": len(others) / seconds}
    finally:
        stop_server(process)


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": harness.SMOKE_MODEL, "threads": "1", "questions": 2,
                                               "articles": 1})
    parser.add_model_option()
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--questions", type=int, default=16)
    parser.add_argument("--articles", type=int, help="the first N sample articles (default: all)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    with tempfile.TemporaryDirectory(prefix="nutgraf-threads-") as tmp:
        out = Path(tmp)
        db = out / "nutgraf.db"
        ids = ingest_samples(db, settings, args.articles)
        rows = [measure(int(t), db, ids, args, settings, out) for t in args.threads.split(",")]

    def pair(values, scale=1.0, unit="s"):
        return f"{statistics.median(values) * scale:.2f} / {percentile(values, 0.95) * scale:.2f} {unit}"

    print(harness.table(["threads", "ask alone p50 / p95", "ask beside a second client p50 / p95",
                         "second client p50 / p95", "second client requests/s"],
                        [[row["threads"], pair(row["alone"]), pair(row["shared"]), pair(row["others"], 1000, "ms"),
                          f"{row['others_per_second']:.1f}"] for row in rows]))


if __name__ == "__main__":
    harness.run(main)
