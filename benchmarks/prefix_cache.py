"""The prefix cache: bytes kept per article, time to load a kept state, and whether answers
read from kept states are the answers read from scratch; with f16 or q8_0 attention caches.

    NUTGRAF_LLM_THREADS=2 python -m benchmarks.prefix_cache --questions 100
    NUTGRAF_LLM_THREADS=2 python -m benchmarks.prefix_cache --questions 100 --kv-type q8_0

SQuAD 2.0 tune questions (spread over its paragraphs). Each paragraph is read ahead once
and its state kept in a fresh cache folder. Every question is then answered twice, each
time with the model's live cells dropped first: once starting from the kept state, once
reading the paragraph from scratch. Prints state sizes, load times, SQuAD F1 of each way
and how many answers agree; predictions go to benchmarks/out/states-<kv>.jsonl, so runs
with different cache types can be compared.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.eval import datasets, metrics
from nutgraf.eval.calibrate import sample
from nutgraf.eval.runner import cache_db, ingest_corpus
from nutgraf.llm import model_path
from nutgraf.llm.llamacpp import LlamaCppModel
from nutgraf.llm.packaged import PACKAGED_MODELS
from nutgraf.llm.prefix_cache import PrefixCache
from nutgraf.records import Scope
from nutgraf.settings import current

from . import harness


def answers(nutgraf: Nutgraf, items, model: LlamaCppModel) -> list[dict]:
    rows = []
    for item in items:
        model.forget()
        started = time.perf_counter()
        answer = nutgraf.answerer.answer(item.question, Scope(article_ids=item.article_ids), remember=False)
        rows.append({"id": item.id, "answer": answer.answer, "grade": answer.grade,
                     "seconds": round(time.perf_counter() - started, 3),
                     "f1": metrics.squad_scores(answer.answer, item.answers)[1]})
    return rows


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"questions": 2, "model": harness.SMOKE_MODEL})
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--kv-type", choices=["f16", "q8_0"], default="f16")
    parser.add_argument("--model", choices=list(PACKAGED_MODELS),
                        help="a packaged model (default: NUTGRAF_MODEL, else nutgraf's default)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model, kv_type=args.kv_type)
    harness.eval_path(settings)  # skips without the evaluation data
    evalset = sample(datasets.load("squad2", "tune", settings.eval_dir), args.questions, "squad2")
    model, path = settings.model, model_path(settings.model, settings.models_dir)

    def local_model(cache: PrefixCache) -> LlamaCppModel:
        return LlamaCppModel(path, name=model, sha256=PACKAGED_MODELS[model].sha256, n_threads=settings.llm_threads,
                             prefix_cache=cache, kv_type=settings.kv_type)

    with tempfile.TemporaryDirectory() as folder:
        cache = PrefixCache(Path(folder) / "states", capacity_bytes=1 << 40, memory_bytes=0)
        kept = local_model(cache)
        nutgraf = Nutgraf(cache_db(evalset.name), llm=kept, settings=settings)
        items, _ = ingest_corpus(nutgraf, evalset, progress=False)
        articles = list(dict.fromkeys(i for item in items for i in item.article_ids))
        for article_id in articles:
            nutgraf.read_ahead(article_id)
        files = list((Path(folder) / "states").glob("*/*.state"))
        sizes = [f.stat().st_size for f in files]
        loads = []
        for key, tokens in cache.kept():
            started = time.perf_counter()
            assert cache.load(key, tokens) is not None
            loads.append(time.perf_counter() - started)
        with_states = answers(nutgraf, items, kept)
        scratch = local_model(PrefixCache(None, memory_bytes=0))
        nutgraf_scratch = Nutgraf(cache_db(evalset.name), llm=scratch, settings=settings)
        from_scratch = answers(nutgraf_scratch, items, scratch)
    same = sum((a["answer"], a["grade"]) == (b["answer"], b["grade"]) for a, b in zip(with_states, from_scratch))
    with (harness.out_dir(args) / f"states-{args.kv_type}.jsonl").open("w") as sink:
        for a, b in zip(with_states, from_scratch):
            sink.write(json.dumps({"kept": a, "scratch": b}) + "\n")
    print(f"{model}, {args.kv_type} cache: {len(files)} paragraphs kept, "
          f"{statistics.mean(sizes) / 2**20:.1f} MB a paragraph on average")
    print(f"state load (read and check) p50 {1000 * statistics.median(loads):.1f} ms, max {1000 * max(loads):.1f} ms")
    for name, rows in (("from kept states", with_states), ("from scratch", from_scratch)):
        print(f"{name}: F1 {100 * statistics.mean(r['f1'] for r in rows):.1f}, "
              f"p50 {statistics.median(r['seconds'] for r in rows):.2f} s a question")
    print(f"same answer and grade: {same} of {len(items)}")


if __name__ == "__main__":
    harness.run(main)
