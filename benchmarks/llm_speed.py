"""Speed of the packaged models on this machine.

For each model: the time to prepare (join and verify, or check the sidecar) and to load
the file, prompt reading and generation rates, and the time to answer about an
~800-token article cold, then again with a different final question (warm prefix), and
again after a question about another article (the prefix comes back from saved states).

    python -m benchmarks.llm_speed
    python -m benchmarks.llm_speed --models qwen2.5-coder-0.5b,smollm2-135m --threads 1 --json

Articles are read at run time from beside the repository (the sample article and a NewsQA
story).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from nutgraf.llm.base import Completion
from nutgraf.llm.llamacpp import LlamaCppModel, default_threads
from nutgraf.llm.packaged import PACKAGED_MODELS, model_path
from nutgraf.settings import Settings, current

from . import harness

ARTICLE_TOKENS = 760  # plus instructions and question: a prompt of ~800 tokens
YES_NO = 'root ::= "yes" | "no"'


def ask(article: str, question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "Answer the question from the article only."},
        {"role": "user", "content": f"Article:\n{article}\n\nQuestion: {question}"},
    ]


def fit(model: LlamaCppModel, text: str, tokens: int) -> str:
    """The longest run of leading words of ``text`` within ``tokens`` tokens."""
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if model.count_tokens(" ".join(words[:middle])) <= tokens:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])


def second_article(stories: Path) -> str:
    with stories.open() as lines:
        for line in lines:
            story = json.loads(line)["answer"]
            if len(story.split()) >= 700:
                return story
    raise SystemExit(f"no story of 700+ words in {stories}")


def timed(call: Callable[[], Completion]) -> tuple[Completion, float]:
    """The completion and the CPU seconds this process spent on it.

    With one thread, CPU seconds approximate wall seconds on an otherwise idle core, which
    keeps the figures meaningful when other work shares the machine.
    """
    before = time.process_time()
    completion = call()
    return completion, time.process_time() - before


def measure(
    name: str, articles: tuple[str, str], article_tokens: int, settings: Settings
) -> dict[str, float | int | str]:
    started = time.perf_counter()
    path = model_path(name, settings.models_dir)
    prepare = time.perf_counter() - started
    started = time.perf_counter()
    model = LlamaCppModel(path, name=name, n_threads=settings.llm_threads)
    load = time.perf_counter() - started
    first, other = (fit(model, article, article_tokens) for article in articles)

    def complete(article: str, question: str, **options: object) -> tuple[Completion, float]:
        # The article is the prompt's named prefix, so its state is kept and found again.
        return timed(lambda: model.complete(ask(article, question), prefix=f"Article:\n{article}", **options))

    cold, cold_cpu = complete(first, "Who will host the meeting?", max_tokens=1)
    warm, warm_cpu = complete(first, "What did the president say about the talks?", max_tokens=1)
    summary = "Summarise the article in detail."
    complete(first, summary, max_tokens=1)  # so that the next call reads one prompt token
    generation, generation_cpu = complete(first, summary, max_tokens=96)
    complete(other, "What happened?", max_tokens=1)
    back, _ = complete(first, "Where will the summit take place?", max_tokens=1)
    checked, _ = complete(first, "Is the summit in Budapest? Answer yes or no.", grammar=YES_NO)
    model.close()

    return {
        "model": name,
        "threads": default_threads(settings.llm_threads),
        "load_average": round(os.getloadavg()[0], 1),
        "prepare_s": round(prepare, 2),
        "load_s": round(load, 2),
        "prompt_tokens": cold.prompt_tokens,
        "prompt_tok_per_s": round(cold.prompt_tokens / cold.prompt_seconds, 1),
        "prompt_tok_per_cpu_s": round(cold.prompt_tokens / cold_cpu, 1),
        "generated_tokens": generation.completion_tokens,
        "generated_tok_per_s": round(generation.completion_tokens / generation.seconds, 1),
        "generated_tok_per_cpu_s": round(generation.completion_tokens / generation_cpu, 1),
        "cold_s": round(cold.seconds, 2),
        "cold_cpu_s": round(cold_cpu, 2),
        "warm_s": round(warm.seconds, 2),
        "warm_cpu_s": round(warm_cpu, 2),
        "warm_cached_tokens": warm.cached_prompt_tokens,
        "after_other_article_s": round(back.seconds, 2),
        "after_other_article_cached_tokens": back.cached_prompt_tokens,
        "yes_no_grammar_s": round(checked.seconds, 2),
    }


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"models": harness.SMOKE_MODEL, "article_tokens": 200})
    parser.add_argument("--models", default=",".join(PACKAGED_MODELS))
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: NUTGRAF_LLM_THREADS, else every core)")
    parser.add_argument("--article-tokens", type=int, default=ARTICLE_TOKENS,
                        help="each article cut to this many tokens")
    parser.add_argument("--json", action="store_true", help="print one JSON object per model")
    return parser


def main(argv: list[str] | None = None) -> None:
    options = arguments().parse_args(argv)
    settings = current().with_values(llm_threads=options.threads)
    stories = harness.eval_path(settings, "newsqa", "forget_set_1000.json")
    articles = (harness.sample_article().read_text(), second_article(stories))
    for name in options.models.split(","):
        row = measure(name, articles, options.article_tokens, settings)
        if options.json:
            print(json.dumps(row))
        else:
            print("  ".join(f"{key}={value}" for key, value in row.items()), flush=True)


if __name__ == "__main__":
    harness.run(main)
