"""One llama.cpp thread or two, on a server that also serves other readers.

    .venv/bin/python benchmarks/threads.py
    .venv/bin/python benchmarks/threads.py --threads 1,2 --questions 16

For each thread count, ``nutgraf serve`` (one worker, the default model) is started on the
sample articles of nutgraf/samples, which it prepares first. Then one reader asks questions
one after another, alone, and again while a second client keeps requesting the cached
explore panels and article lists (what the other readers of a news site do). Prints the
ask latency p50/p95 in both cases and the second client's latency and rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import QUESTIONS, ingest_samples, start_server, stop_server, wait_for_related  # noqa: E402

from nutgraf.settings import DEFAULT_MODEL  # noqa: E402


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


def measure(threads: int, db: Path, ids: list[str], args, out: Path) -> dict:
    os.environ["NUTGRAF_LLM_THREADS"] = str(threads)
    process, base = start_server(db, 1, args.model, out / f"serve-{threads}.log")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--questions", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nutgraf-threads-") as tmp:
        out = Path(tmp)
        db = out / "nutgraf.db"
        ids = ingest_samples(db)
        rows = [measure(int(t), db, ids, args, out) for t in args.threads.split(",")]
    print("| threads | ask alone p50 / p95 | ask beside a second client p50 / p95 | "
          "second client p50 / p95 | second client requests/s |")
    print("|---|---|---|---|---|")
    for row in rows:
        def pair(values, scale=1.0, unit="s"):
            return f"{statistics.median(values) * scale:.2f} / {percentile(values, 0.95) * scale:.2f} {unit}"
        print(f"| {row['threads']} | {pair(row['alone'])} | {pair(row['shared'])} | "
              f"{pair(row['others'], 1000, 'ms')} | {row['others_per_second']:.1f} |")


if __name__ == "__main__":
    main()
