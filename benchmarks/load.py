"""Throughput and latency of ``nutgraf serve`` on loopback, with 1 and 2 workers.

Ingests the sample articles (nutgraf/samples) into a temporary database, starts
``nutgraf serve`` as its own process, computes each article's related questions once, then
sends from this process, with a few concurrent clients:

- ``related``: GET /v1/related for the articles in turn (answered from the cache);
- ``ask``: POST /v1/ask with questions about the articles in turn (full answering).

Each run is bounded by a request count and a time limit. Prints requests per second, p50
and p95 latency and the error count per scenario; exits 1 when any request failed.

    python -m benchmarks.load
    python -m benchmarks.load --model qwen2.5-coder-0.5b --requests 40 --json
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from nutgraf.settings import Settings, current

from . import harness

# Questions a reader of the sample articles asks, answerable or not.
QUESTIONS = [
    "Who proposed the plan?",
    "How much will the new ferry cost?",
    "How many people does the lake supply?",
    "When will the council decide on the pipeline?",
    "How much does the bell weigh?",
    "Who rang the bell at the ceremony?",
    "How old is Ines Varga?",
    "What is her salary?",
]


@dataclass
class Result:
    workers: int
    scenario: str
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ingest_samples(db: Path, settings: Settings, count: int | None = None) -> list[str]:
    """The first ``count`` packaged sample articles (default: all), ingested into ``db``."""
    from nutgraf.api import Nutgraf

    nutgraf = Nutgraf(str(db), settings=settings.with_values(model="none"))
    ids = [outcome.article_id for outcome in nutgraf.ingest([str(p) for p in harness.DEMO_ARTICLES[:count]])]
    nutgraf.close()
    return ids


def start_server(db: Path, workers: int, model: str, log: Path,
                 environment: Mapping[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``nutgraf serve`` in a process of its own, with this environment (default: ours) for
    the settings not given here."""
    port = free_port()
    command = [sys.executable, "-m", "nutgraf.cli", "--db", str(db), "serve", "--port", str(port),
               "--workers", str(workers), "--model", model, "--rate-limit", "0"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=harness.ROOT,
                                   env=dict(environment or os.environ))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"nutgraf serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"nutgraf serve did not start:\n{log.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(base: str, requests: list[tuple[str, str, dict]], concurrency: int, limit_seconds: float):
    """Sends ``requests`` (method, path, options) from ``concurrency`` clients; returns the
    latencies of those that succeeded, the error count and the wall time."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    queue = iter(requests)
    deadline = time.monotonic() + limit_seconds

    def client() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=limit_seconds) as http:
            while time.monotonic() < deadline:
                with lock:
                    request = next(queue, None)
                if request is None:
                    return
                method, path, options = request
                started = time.perf_counter()
                try:
                    ok = http.request(method, path, **options).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def summarise(workers: int, scenario: str, latencies: list[float], errors: int, seconds: float) -> Result:
    cuts = harness.percentiles([latency * 1000 for latency in latencies] or [0.0], digits=1)
    return Result(workers, scenario, len(latencies) + errors, errors, round(seconds, 2),
                  round(len(latencies) / seconds, 1), cuts["p50"], cuts["p95"])


def wait_for_related(base: str, article_id: str, limit_seconds: float = 1800) -> None:
    """Until the server has worked out (and cached) the article's related questions."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        response = httpx.get(f"{base}/v1/related", params={"article_id": article_id}, timeout=60)
        response.raise_for_status()
        if not response.json().get("pending"):
            return
        time.sleep(1)
    raise SystemExit(f"related questions for {article_id} were not ready within {limit_seconds:.0f} s")


def measure(db: Path, ids: list[str], workers: int, args, settings: Settings, out: Path) -> list[Result]:
    process, base = start_server(db, workers, settings.model, out / f"serve-{workers}.log")
    try:
        for article_id in ids:
            wait_for_related(base, article_id)
        related = [("GET", "/v1/related", {"params": {"article_id": ids[i % len(ids)]}})
                   for i in range(args.requests)]
        asks = [("POST", "/v1/ask", {"json": {"question": QUESTIONS[i % len(QUESTIONS)],
                                              "article_id": ids[(i // 2) % len(ids)]}})
                for i in range(args.requests)]
        results = []
        for scenario, requests in (("related", related), ("ask", asks)):
            latencies, errors, seconds = run(base, requests, args.concurrency, args.seconds)
            results.append(summarise(workers, scenario, latencies, errors, seconds))
        return results
    finally:
        stop_server(process)


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"requests": 8, "concurrency": 2, "seconds": 20, "workers": "1"})
    parser.add_argument("--model", default="none", help="model for answers (default: none, extractive)")
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per scenario (default 60)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure (default 1,2)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    with tempfile.TemporaryDirectory(prefix="nutgraf-load-") as tmp:
        out = Path(tmp)
        db = out / "nutgraf.db"
        ids = ingest_samples(db, settings)
        results = [r for workers in map(int, args.workers.split(","))
                   for r in measure(db, ids, workers, args, settings, out)]

    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(f"model={settings.model} articles={len(ids)} concurrency={args.concurrency} "
              f"cpus={len(os.sched_getaffinity(0))}")
        print(f"{'workers':>7} {'scenario':<8} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for r in results:
            print(f"{r.workers:>7} {r.scenario:<8} {r.requests:>8} {r.errors:>6} {r.per_second:>7} "
                  f"{r.p50_ms:>8} {r.p95_ms:>8}")
    if any(r.errors for r in results):
        sys.exit(1)


if __name__ == "__main__":
    harness.run(main)
