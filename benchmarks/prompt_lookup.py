"""Drafting from the article: the same reading prompts decoded without drafts and with drafts
of each length, in one run, on fresh models restoring the same kept article states.

    python -m benchmarks.prompt_lookup                        # the 40 questions, drafts 0-4, 6
    NUTGRAF_LLM_THREADS=1 python -m benchmarks.prompt_lookup --drafts 0,1,2

The prompts are the reading prompts the pipeline writes for the questions of
benchmarks/speed/questions.json that the model reads (phrase, explanation and list tasks,
with their grammars; a yes/no reading is one token and is left out), made by the pipeline's
own stages. Each is answered as ``prompts.read_together`` asks it. Reported per task and
draft length: the reply's tokens a second after its prompt was read, the time against no
drafts, and how many replies are the same token for token and log-probability for
log-probability. A second table times one decode of 1 to 8 rows of one sequence and says
whether each row's logits are those of the row decoded alone. Results go to
benchmarks/out/prompt-lookup.json.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import llama_cpp
import numpy as np

from nutgraf import Nutgraf
from nutgraf.answering import prompts
from nutgraf.answering.drafts.article import from_structures
from nutgraf.answering.drafts.model import MODEL_TASK
from nutgraf.llm import load_model
from nutgraf.llm.llamacpp import LlamaCppModel
from nutgraf.llm.prefix_cache import PrefixCache
from nutgraf.records import Kind, Scope
from nutgraf.settings import current

from . import harness, speed

ROWS = (1, 2, 3, 4, 5, 8)


def reading_prompts(nutgraf: Nutgraf, ids: dict, asked: list[speed.Question]) -> list[dict]:
    """The reading prompt of every question the model reads, as the read stage writes it."""
    answerer = nutgraf.answerer
    found = []
    for question in asked:
        request = answerer.resolve(answerer.open(question.question, Scope(article_ids=[ids[question.story]])))
        evidence = answerer.gather(request)
        form = answerer.classify(request, evidence)
        if from_structures(request, form, evidence, None, True) is not None or form.kind == Kind.YES_NO:
            continue
        task = MODEL_TASK.get(form.kind, form.kind)
        spec = prompts.TASKS[task]
        found.append({"question": question.question, "task": task.value,
                      "messages": prompts.messages_for(evidence, spec.text, request.resolved),
                      "prefix": prompts.numbered_sentences(evidence), "spec": spec})
    return found


def decode_all(model: LlamaCppModel, readings: list[dict]) -> list[dict]:
    rows = []
    for reading in readings:
        spec = reading["spec"]
        [completion] = model.complete_many([reading["messages"]], prefix=reading["prefix"], max_tokens=spec.max_tokens,
                                           stop=["\n\n"], grammar=spec.grammar, top_logprobs=prompts.TOP_LOGPROBS)
        rows.append({"task": reading["task"], "text": completion.text, "tokens": completion.completion_tokens,
                     "writing_s": completion.seconds - completion.prompt_seconds, "seconds": completion.seconds,
                     "choices": [(t.token, t.logprob, t.top) for t in completion.tokens]})
    return rows


def row_costs(model: LlamaCppModel, text: str, repeats: int) -> list[dict]:
    """One decode of n rows of one sequence after a read passage: its time, and whether every
    row's logits are those the row gets decoded alone, one after another."""
    seqs = model._seqs  # the model's own llama.cpp sequences: what its decodes go through
    tokens = model._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    passage, rows = tokens[:-max(ROWS)], tokens[-max(ROWS):]
    model.forget()
    seqs.feed(0, passage, logits=False)
    alone = []
    for token in rows:
        position = seqs.decode({0: [token]})[0]
        alone.append(_logits(model, position).copy())
    measured = []
    for count in ROWS:
        times = []
        for _ in range(repeats):
            seqs.keep(0, len(passage))
            started = time.perf_counter()
            positions = seqs.decode_rows({0: rows[:count]})[0]
            times.append(time.perf_counter() - started)
        same = all(np.array_equal(_logits(model, p), alone[n]) for n, p in enumerate(positions))
        measured.append({"rows": count, "ms": round(statistics.median(times) * 1000, 1),
                         "logits_as_alone": same})
    model.forget()
    return measured


def _logits(model: LlamaCppModel, position: int) -> np.ndarray:
    pointer = llama_cpp.llama_get_logits_ith(model._seqs.ctx, position)
    return np.ctypeslib.as_array(pointer, shape=(model._llama.n_vocab(),))


def summarise(runs: dict[int, list[dict]]) -> list[dict]:
    base = runs[0]
    table = []
    for drafts, rows in runs.items():
        for task in sorted({r["task"] for r in rows}):
            mine = [(r, b) for r, b in zip(rows, base) if r["task"] == task]
            tokens = sum(r["tokens"] for r, _ in mine)
            writing = sum(r["writing_s"] for r, _ in mine)
            table.append({"drafts": drafts, "task": task, "replies": len(mine), "tokens": tokens,
                          "tokens_per_s": round(tokens / writing, 1) if writing else 0.0,
                          "writing_speedup": round(sum(b["writing_s"] for _, b in mine) / writing, 2) if writing else 0.0,
                          "wall_speedup": round(sum(b["seconds"] for _, b in mine) / sum(r["seconds"] for r, _ in mine), 2),
                          "same": sum(r["choices"] == b["choices"] for r, b in mine)})
    return table


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": harness.SMOKE_MODEL, "stories": 0, "questions": 6,
                                               "drafts": "0,2", "repeats": 2})
    parser.add_model_option()
    parser.add_argument("--stories", type=int, default=8, help="CNN stories besides the sample article")
    parser.add_argument("--questions", type=int, default=40, help="the first N questions on those articles")
    parser.add_argument("--drafts", default="0,1,2,3,4,6", help="draft lengths to compare (0 first)")
    parser.add_argument("--repeats", type=int, default=7, help="decodes timed for each row count")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    drafts = [int(n) for n in args.drafts.split(",")]
    if drafts[0] != 0:
        raise SystemExit("--drafts must start with 0, the replies the others are compared with")
    load_before = harness.load_average()
    with tempfile.TemporaryDirectory(prefix="nutgraf-lookup-") as folder:
        states = Path(folder) / "states"
        settings = settings.with_values(state_dir=states)
        asked = speed.questions(args.questions, args.stories)
        ids = speed.ingest(Path(folder) / "lookup.db", asked, settings)
        nutgraf = Nutgraf(str(Path(folder) / "lookup.db"), settings=settings)
        for article_id in ids.values():
            nutgraf.read_ahead(article_id)  # every model below restores these states
        readings = reading_prompts(nutgraf, ids, asked)
        reference = load_model(settings.model, settings)
        path, threads = reference.path, reference.threads
        runs = {}
        for count in drafts:
            model = LlamaCppModel(path, n_threads=threads, prefix_cache=PrefixCache(states), draft_tokens=count)
            runs[count] = decode_all(model, readings)
            model.close()
        costs = row_costs(reference, harness.sample_article().read_text(encoding="utf-8")[:4000], args.repeats)
        nutgraf.close()
    table = summarise(runs)
    result = {"model": settings.model, "threads": threads, "load_before": load_before,
              "load_after": harness.load_average(), "prompts": len(readings), "table": table, "row_costs": costs}
    harness.write_json(harness.out_dir(args) / "prompt-lookup.json", result)
    print(f"{settings.model}, {threads} thread(s), {len(readings)} reading prompts; load {load_before} -> "
          f"{result['load_after']}")
    print(harness.table(["drafts", "task", "replies", "tokens", "tokens/s", "writing speed-up", "wall speed-up",
                         "same replies"],
                        [[r["drafts"], r["task"], r["replies"], r["tokens"], r["tokens_per_s"], f"{r['writing_speedup']}x",
                          f"{r['wall_speedup']}x", f"{r['same']} of {r['replies']}"] for r in table]))
    print()
    print(harness.table(["rows in one decode", "ms", "ms a row", "each row's logits as decoded alone"],
                        [[c["rows"], c["ms"], round(c["ms"] / c["rows"], 1), "yes" if c["logits_as_alone"] else "no"]
                         for c in costs]))


if __name__ == "__main__":
    harness.run(main)
