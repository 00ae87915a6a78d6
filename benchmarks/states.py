"""The state store: bytes kept per article, time to load a state, and whether answers read
from kept states are the answers read from scratch; with f16 or q8_0 attention caches.

    NUTGRAF_LLM_THREADS=2 .venv/bin/python benchmarks/states.py --questions 100
    NUTGRAF_LLM_THREADS=2 .venv/bin/python benchmarks/states.py --questions 100 --kv-type q8_0

SQuAD 2.0 tune questions (spread over its paragraphs). Each paragraph is read ahead once
and its state kept in a fresh state folder. Every question is then answered twice, each
time with the model's live cells dropped first: once starting from the kept state, once
reading the paragraph from scratch. Prints state sizes, load times, SQuAD F1 of each way
and how many answers agree; predictions go to benchmarks/out/states-<kv>.jsonl, so runs
with different cache types can be compared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calibrate import sample  # noqa: E402

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.eval import datasets, metrics  # noqa: E402
from nutgraf.eval.runner import cache_db, ingest_corpus  # noqa: E402
from nutgraf.llm import model_path  # noqa: E402
from nutgraf.llm.llamacpp import LlamaCppModel  # noqa: E402
from nutgraf.llm.packaged import PACKAGED_MODELS  # noqa: E402
from nutgraf.llm.states import StateStore  # noqa: E402
from nutgraf.records import Scope  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--kv-type", choices=["f16", "q8_0"], default="f16")
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=list(PACKAGED_MODELS))
    args = parser.parse_args()
    try:
        evalset = sample(datasets.load("squad2", "tune"), args.questions, "squad2")
    except Exception as error:  # the evaluation folder is absent
        print(f"skipped: {error}")
        return
    with tempfile.TemporaryDirectory() as folder:
        store = StateStore(Path(folder) / "states", capacity_bytes=1 << 40, memory_bytes=0)
        kept = LlamaCppModel(model_path(args.model), name=args.model, sha256=PACKAGED_MODELS[args.model].sha256,
                             states=store, kv_type=args.kv_type)
        nutgraf = Nutgraf(cache_db(evalset.name), llm=kept)
        items, _ = ingest_corpus(nutgraf, evalset, progress=False)
        articles = list(dict.fromkeys(i for item in items for i in item.article_ids))
        for article_id in articles:
            nutgraf.read_ahead(article_id)
        files = list((Path(folder) / "states").glob("*/*.state"))
        sizes = [f.stat().st_size for f in files]
        loads = []
        for key, tokens in store.kept():
            started = time.perf_counter()
            assert store.load(key, tokens) is not None
            loads.append(time.perf_counter() - started)
        with_states = answers(nutgraf, items, kept)
        scratch = LlamaCppModel(model_path(args.model), name=args.model, sha256=PACKAGED_MODELS[args.model].sha256,
                                states=StateStore(None, memory_bytes=0), kv_type=args.kv_type)
        nutgraf_scratch = Nutgraf(cache_db(evalset.name), llm=scratch)
        from_scratch = answers(nutgraf_scratch, items, scratch)
    same = sum((a["answer"], a["grade"]) == (b["answer"], b["grade"]) for a, b in zip(with_states, from_scratch))
    OUT.mkdir(exist_ok=True)
    with (OUT / f"states-{args.kv_type}.jsonl").open("w") as sink:
        for a, b in zip(with_states, from_scratch):
            sink.write(json.dumps({"kept": a, "scratch": b}) + "\n")
    print(f"{args.model}, {args.kv_type} cache: {len(files)} paragraphs kept, "
          f"{statistics.mean(sizes) / 2**20:.1f} MB a paragraph on average")
    print(f"state load (read and check) p50 {1000 * statistics.median(loads):.1f} ms, max {1000 * max(loads):.1f} ms")
    for name, rows in (("from kept states", with_states), ("from scratch", from_scratch)):
        print(f"{name}: F1 {100 * statistics.mean(r['f1'] for r in rows):.1f}, "
              f"p50 {statistics.median(r['seconds'] for r in rows):.2f} s a question")
    print(f"same answer and grade: {same} of {len(items)}")


if __name__ == "__main__":
    main()
