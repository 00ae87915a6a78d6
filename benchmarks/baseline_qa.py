"""The simplest use of a packaged model, as the figure nutgraf's answers are compared with.

The question and the full text of its articles go to a packaged Qwen2.5-Coder model with a strict
prompt: reply with the shortest span copied from the text, or exactly NOT IN ARTICLE.
Decoding is greedy, and the question comes before the text so that no evaluated prompt is
reused between questions (every question pays for reading its article in full). There
are no citations; the confidence is the model's probability of its own reply (of
answering at all, when it abstains).

It runs through the same harness as ``nutgraf eval qa`` (same questions, same cached
articles, same scoring), so the figures sit next to each other:

    .venv/bin/python benchmarks/baseline_qa.py --dataset squad2 --split report --limit 100
    .venv/bin/python benchmarks/baseline_qa.py --data my-questions.json

MultiHop-RAG asks about the whole archive, which does not fit in one prompt, so it has
no full-text baseline. Writes benchmarks/out/baseline-<set>.jsonl (predictions) and
benchmarks/out/baseline-<set>.json (summary).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nutgraf.api import Nutgraf  # noqa: E402
from nutgraf.errors import NutgrafError  # noqa: E402
from nutgraf.eval import datasets, runner  # noqa: E402
from nutgraf.eval.cli import format_summary  # noqa: E402
from nutgraf.llm import load_model  # noqa: E402
from nutgraf.records import Answer  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

OUT = REPO / "benchmarks" / "out"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["squad2", "newsqa", "rgb"])
    parser.add_argument("--split", choices=datasets.SPLITS, default="tune")
    parser.add_argument("--data", type=Path, help="any SQuAD-v2-format file instead of --dataset")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    if (args.dataset is None) == (args.data is None):
        parser.error("give either --dataset or --data")
    try:
        summary = evaluate(args)
    except NutgrafError as error:
        sys.exit(f"Error: {error}")
    print(format_summary(summary))


def evaluate(args: argparse.Namespace) -> dict:
    evalset = datasets.load_squad_file(args.data) if args.data else datasets.load(args.dataset, args.split)
    evalset = evalset.head(args.limit)
    database = runner.cache_db(evalset.name)
    database.parent.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    predictions = OUT / f"baseline-{evalset.name}.jsonl"
    nutgraf = Nutgraf(str(database), model="none")
    try:
        items, failures = runner.ingest_corpus(nutgraf, evalset)
        for failure in failures:
            print(f"Warning: not ingested: {failure}", file=sys.stderr)
        # No saved prompt states: the baseline reads every prompt from the start.
        llm = load_model(args.model, prefix_cache_mb=0)
        usage = {"prompt_tokens": 0, "cached_prompt_tokens": 0}
        summary = runner.run(items, full_text_answers(llm, nutgraf, usage), predictions)
    finally:
        nutgraf.close()
    summary = {"dataset": evalset.name, "model": f"{args.model} (full text, strict prompt)",
               "predictions": str(predictions), "limit": args.limit, **usage, **summary}
    (OUT / f"baseline-{evalset.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
