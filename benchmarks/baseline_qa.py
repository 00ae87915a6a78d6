"""The simplest use of a packaged model, as the figure nutgraf's answers are compared with.

The question and the full text of its articles go to a packaged Qwen2.5-Coder model with a strict
prompt: reply with the shortest span copied from the text, or exactly NOT IN ARTICLE.
Decoding is greedy, and the question comes before the text so that no evaluated prompt is
reused between questions (every question pays for reading its article in full). There
are no citations; the confidence is the model's probability of its own reply (of
answering at all, when it abstains).

It runs through the same harness as ``nutgraf eval qa`` (same questions, same cached
articles, same scoring), so the figures sit next to each other:

    python -m benchmarks.baseline_qa --dataset squad2 --split report --limit 100
    python -m benchmarks.baseline_qa --data my-questions.json

MultiHop-RAG asks about the whole archive, which does not fit in one prompt, so it has
no full-text baseline. Writes benchmarks/out/baseline-<set>.jsonl (predictions) and
benchmarks/out/baseline-<set>.json (summary).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from nutgraf.api import Nutgraf
from nutgraf.errors import NutgrafError
from nutgraf.eval import datasets, runner
from nutgraf.eval.cli import format_summary
from nutgraf.llm import load_model
from nutgraf.llm.prefix_cache import PrefixCache
from nutgraf.records import Answer
from nutgraf.settings import Settings, current

from . import harness

ABSTAIN = "NOT IN ARTICLE"
SYSTEM = (
    "You answer questions about a text. Reply with the shortest span copied exactly from the "
    f"text that answers the question. If the text does not answer it, reply exactly: {ABSTAIN}"
)


def full_text_answers(llm, nutgraf: Nutgraf, usage: dict[str, int]):
    """An answer function: the question and every article's full text in one prompt."""

    def answer(question: str, article_ids: list[str] | None) -> Answer:
        text = "\n\n".join(nutgraf.article(i).text for i in article_ids or [])
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Question: {question}\n\nText:\n{text}"},
        ]
        completion = llm.complete(messages, max_tokens=48, stop=["\n"])
        usage["prompt_tokens"] += completion.prompt_tokens
        usage["cached_prompt_tokens"] += completion.cached_prompt_tokens
        reply = completion.text.strip()
        probability = math.exp(sum(token.logprob for token in completion.tokens))
        timings = {"total": round(completion.seconds * 1000, 1), "prompt": round(completion.prompt_seconds * 1000, 1)}
        if not reply or reply.upper().startswith(ABSTAIN):
            return Answer(question, None, False, round(1 - probability, 3), mode=f"llm:{llm.name}", timings_ms=timings)
        return Answer(question, reply, True, round(probability, 3), mode=f"llm:{llm.name}", timings_ms=timings)

    return answer


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"dataset": "squad2", "limit": 2, "model": harness.SMOKE_MODEL})
    parser.add_argument("--dataset", choices=["squad2", "newsqa", "rgb"])
    parser.add_argument("--split", choices=datasets.SPLITS, default="tune")
    parser.add_argument("--data", type=Path, help="any SQuAD-v2-format file instead of --dataset")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_model_option()
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = arguments()
    args = parser.parse_args(argv)
    if (args.dataset is None) == (args.data is None):
        parser.error("give either --dataset or --data")
    settings = current().with_values(model=args.model)
    if args.dataset:
        harness.eval_path(settings)  # skips without the evaluation data
    try:
        summary = evaluate(args, settings, harness.out_dir(args))
    except NutgrafError as error:
        sys.exit(f"Error: {error}")
    print(format_summary(summary))


def evaluate(args: argparse.Namespace, settings: Settings, out: Path) -> dict:
    evalset = (datasets.load_squad_file(args.data) if args.data
               else datasets.load(args.dataset, args.split, settings.eval_dir)).head(args.limit)
    database = runner.cache_db(evalset.name)
    database.parent.mkdir(parents=True, exist_ok=True)
    predictions = out / f"baseline-{evalset.name}.jsonl"
    nutgraf = Nutgraf(str(database), settings=settings.with_values(model="none"))
    try:
        items, failures = runner.ingest_corpus(nutgraf, evalset)
        for failure in failures:
            print(f"Warning: not ingested: {failure}", file=sys.stderr)
        # A cache of its own that keeps nothing: the baseline reads every prompt from the start.
        llm = load_model(settings.model, settings, prefix_cache=PrefixCache(None, memory_bytes=0))
        usage = {"prompt_tokens": 0, "cached_prompt_tokens": 0}
        summary = runner.run(items, full_text_answers(llm, nutgraf, usage), predictions)
    finally:
        nutgraf.close()
    summary = {"dataset": evalset.name, "model": f"{settings.model} (full text, strict prompt)",
               "predictions": str(predictions), "limit": args.limit, **usage, **summary}
    harness.write_json(out / f"baseline-{evalset.name}.json", summary)
    return summary


if __name__ == "__main__":
    harness.run(main)
