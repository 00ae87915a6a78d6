"""Sentence embedding with one or two onnxruntime threads, alone and beside a local model.

    .venv/bin/python benchmarks/embedder_threads.py [--rounds 5]

The sentences of 40 CNN stories (../shared/eval/newsqa; the packaged sample articles when
that folder is absent) are embedded ``--rounds`` times with each thread count: first with nothing else running, then while a llama.cpp model (SmolLM2, on
the default half of the cores) keeps generating, as when a server answers a reader while an
article is ingested. Reports sentences per second for the embedder and tokens per second
for the model. Writes benchmarks/out/embedder-threads.json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nutgraf.eval.datasets import detokenize_ptb  # noqa: E402
from nutgraf.llm import load_model  # noqa: E402
from nutgraf.llm.llamacpp import default_threads  # noqa: E402
from nutgraf.retrieval.embedder import Embedder  # noqa: E402

SAMPLES = sorted((REPO / "nutgraf" / "samples").glob("*.md"))
STORIES = REPO.parent / "shared" / "eval" / "newsqa" / "forget_set_1000.json"
OUT = REPO / "benchmarks" / "out"
PROMPT = [{"role": "user", "content": "Write a long story about a ferry crossing a river in winter."}]


def sentences() -> list[str]:
    if STORIES.exists():
        lines = STORIES.read_text(encoding="utf-8").splitlines()[:40]
        text = " ".join(detokenize_ptb(json.loads(line)["answer"]) for line in lines)
    else:
        text = " ".join(path.read_text(encoding="utf-8") for path in SAMPLES)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 3]


class Generating:
    """A model generating in a background thread, counting its tokens."""

    def __init__(self) -> None:
        self.model = load_model("smollm2-135m")
        self.tokens = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for _ in self.model.stream(PROMPT, max_tokens=64):
                self.tokens += 1
                if self.stop.is_set():
                    break

    def __enter__(self) -> Generating:
        self.thread.start()
        time.sleep(1)  # past loading and the first prompt
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join()


def embed_rate(embedder: Embedder, texts: list[str]) -> float:
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def question_ms(embedder: Embedder, questions: list[str]) -> float:
    """Median time to embed one question on its own, as a search does."""
    times = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_one(question)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(embedder: Embedder, texts: list[str], questions: list[str]) -> dict:
    alone = {"batch_per_s": embed_rate(embedder, texts), "question_ms": question_ms(embedder, questions)}
    with Generating() as model:
        counted, started = model.tokens, time.perf_counter()
        beside = {"batch_per_s": embed_rate(embedder, texts), "question_ms": question_ms(embedder, questions)}
        beside["model_tokens_per_s"] = (model.tokens - counted) / (time.perf_counter() - started)
    return {"alone": alone, "beside": beside}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = sentences()
    questions = [f"What did the story say about {text.split()[2]}?" for text in texts[:200]]
    embedders = {threads: Embedder(threads) for threads in (1, 2)}
    for embedder in embedders.values():
        embedder.embed(texts[:16])  # warm
    results = {"sentences": len(texts), "llm_threads": default_threads(),
               "load_before": open("/proc/loadavg").read().split()[:3], "rounds": []}
    for _ in range(args.rounds):  # the thread counts take turns, so drifting load hits both
        results["rounds"].append({threads: measure(embedder, texts, questions)
                                  for threads, embedder in embedders.items()})
    with Generating() as model:
        counted, started = model.tokens, time.perf_counter()
        time.sleep(10)
        results["model_alone_tokens_per_s"] = round((model.tokens - counted) / (time.perf_counter() - started), 1)
    results["load_after"] = open("/proc/loadavg").read().split()[:3]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "embedder-threads.json").write_text(json.dumps(results, indent=2))

    def median(threads: int, where: str, what: str) -> float:
        return round(statistics.median(r[threads][where][what] for r in results["rounds"]), 1)

    print(f"{len(texts)} sentences, {len(questions)} questions, {args.rounds} rounds;"
          f" model alone: {results['model_alone_tokens_per_s']} tokens/s; load {results['load_before']}"
          f" -> {results['load_after']}")
    print("| embedder threads | sentences/s alone | question alone | sentences/s beside the model |"
          " question beside | model tokens/s beside |\n|---|---|---|---|---|---|")
    for threads in embedders:
        print(f"| {threads} | {median(threads, 'alone', 'batch_per_s')} | {median(threads, 'alone', 'question_ms')} ms"
              f" | {median(threads, 'beside', 'batch_per_s')} | {median(threads, 'beside', 'question_ms')} ms"
              f" | {median(threads, 'beside', 'model_tokens_per_s')} |")


if __name__ == "__main__":
    main()
