"""Sentence embedding with one or two onnxruntime threads, alone and beside a local model.

    python -m benchmarks.embedder_threads [--rounds 5]

The sentences of 40 CNN stories (newsqa/ of the evaluation data; the packaged sample
articles when it is absent) are embedded ``--rounds`` times with each thread count: first
with nothing else running, then while a llama.cpp model (SmolLM2, on a server's threads:
NUTGRAF_LLM_THREADS, else half the cores) keeps generating, as when a server answers a
reader while an article is ingested. Reports sentences per second for the embedder and
tokens per second for the model. Writes benchmarks/out/embedder-threads.json.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time

from nutgraf.eval.datasets import detokenize_ptb
from nutgraf.llm import load_model
from nutgraf.llm.llamacpp import default_threads
from nutgraf.retrieval.embedder import Embedder
from nutgraf.server.app import serving_threads
from nutgraf.settings import Settings, current

from . import harness

PROMPT = [{"role": "user", "content": "Write a long story about a ferry crossing a river in winter."}]
MODEL = harness.SMOKE_MODEL  # a small model generating fast, as the neighbour on the cores


def sentences(settings: Settings, stories: int) -> list[str]:
    try:
        lines = harness.eval_path(settings, "newsqa", "forget_set_1000.json").read_text(encoding="utf-8")
        text = " ".join(detokenize_ptb(json.loads(line)["answer"]) for line in lines.splitlines()[:stories])
    except harness.Skip:
        text = " ".join(path.read_text(encoding="utf-8") for path in harness.DEMO_ARTICLES)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 3]


class Generating:
    """A model generating in a background thread, counting its tokens."""

    def __init__(self, settings: Settings) -> None:
        self.model = load_model(MODEL, settings)
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
        time.sleep(1)  # past the first prompt
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


def measure(embedder: Embedder, texts: list[str], questions: list[str], settings: Settings) -> dict:
    alone = {"batch_per_s": embed_rate(embedder, texts), "question_ms": question_ms(embedder, questions)}
    with Generating(settings) as model:
        counted, started = model.tokens, time.perf_counter()
        beside = {"batch_per_s": embed_rate(embedder, texts), "question_ms": question_ms(embedder, questions)}
        beside["model_tokens_per_s"] = (model.tokens - counted) / (time.perf_counter() - started)
    return {"alone": alone, "beside": beside}


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"rounds": 1, "stories": 2, "questions": 10, "model_seconds": 1})
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stories", type=int, default=40, help="CNN stories whose sentences are embedded")
    parser.add_argument("--questions", type=int, default=200, help="questions embedded one at a time")
    parser.add_argument("--model-seconds", type=float, default=10, help="how long the model alone is timed")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current()
    settings = settings.with_values(llm_threads=settings.llm_threads or serving_threads())
    texts = sentences(settings, args.stories)
    questions = [f"What did the story say about {text.split()[2]}?" for text in texts[:args.questions]]
    embedders = {threads: Embedder(threads) for threads in (1, 2)}
    for embedder in embedders.values():
        embedder.embed(texts[:16])  # warm
    results = {"sentences": len(texts), "llm_threads": default_threads(settings.llm_threads),
               "load_before": harness.load_average(), "rounds": []}
    load_model(MODEL, settings)  # loaded before any clock starts
    for _ in range(args.rounds):  # the thread counts take turns, so drifting load hits both
        results["rounds"].append({threads: measure(embedder, texts, questions, settings)
                                  for threads, embedder in embedders.items()})
    with Generating(settings) as model:
        counted, started = model.tokens, time.perf_counter()
        time.sleep(args.model_seconds)
        results["model_alone_tokens_per_s"] = round((model.tokens - counted) / (time.perf_counter() - started), 1)
    results["load_after"] = harness.load_average()
    harness.write_json(harness.out_dir(args) / "embedder-threads.json", results)

    def median(threads: int, where: str, what: str) -> float:
        return round(statistics.median(r[threads][where][what] for r in results["rounds"]), 1)

    print(f"{len(texts)} sentences, {len(questions)} questions, {args.rounds} rounds;"
          f" model alone: {results['model_alone_tokens_per_s']} tokens/s; load {results['load_before']}"
          f" -> {results['load_after']}")
    print(harness.table(
        ["embedder threads", "sentences/s alone", "question alone", "sentences/s beside the model",
         "question beside", "model tokens/s beside"],
        [[threads, median(threads, "alone", "batch_per_s"), f"{median(threads, 'alone', 'question_ms')} ms",
          median(threads, "beside", "batch_per_s"), f"{median(threads, 'beside', 'question_ms')} ms",
          median(threads, "beside", "model_tokens_per_s")] for threads in embedders]))


if __name__ == "__main__":
    harness.run(main)
