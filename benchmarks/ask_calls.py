"""What one ask costs in calls: store calls, searches and embedding calls per question.

    python -m benchmarks.ask_calls                 # the default model
    python -m benchmarks.ask_calls --model none    # extractive answers

The sample article is ingested into a fresh SQLite file; then a question of each kind is
asked through ``Nutgraf.ask`` in one process, with every call to the store, the retriever
and the embedder counted (the article is read once before, as preparing at ingest does, so
the counts are those of a reader's ask, not of the first reading).
"""

from __future__ import annotations

import collections
import statistics
import tempfile
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.settings import current
from nutgraf.store import open_store

from . import harness

QUESTIONS = [
    "How long did the phone call last?",
    "Is the Budapest summit confirmed?",
    "What are the issues that remain on the way to a deal?",
    "Why does Ukraine want Tomahawk missiles?",
    "What is this article about?",
    "What did Zelensky say?",
    "Who is Viktor Orban?",
    "When was the phone call?",
    "What did Trump eat for breakfast?",
]


class Counting:
    """Passes every method call through to ``inner`` and counts it by name."""

    def __init__(self, inner, counts: collections.Counter, prefix: str):
        self._inner, self._counts, self._prefix = inner, counts, prefix

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def counted(*args, **kwargs):
            self._counts[self._prefix + name] += 1
            return value(*args, **kwargs)
        return counted


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": "none", "questions": 3})
    parser.add_model_option()
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="the first N questions")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    sample_article = harness.sample_article()
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "news.db")
        ingesting = Nutgraf(db, settings=settings.with_values(model="none"))
        article_id = next(iter(ingesting.ingest([str(sample_article)]))).article_id
        nutgraf = Nutgraf(store=Counting(open_store(db, settings), counts, "store."), settings=settings)
        nutgraf.read_ahead(article_id)
        retriever = nutgraf.retriever
        retriever.search = Counting(retriever, counts, "retriever.").search
        retriever.search_article = Counting(retriever, counts, "retriever.").search_article
        embedder = retriever.embedder
        embedder.embed = Counting(embedder, counts, "embedder.").embed
        nutgraf.answerer  # loaded before counting
        per_ask = []
        for question in QUESTIONS[:args.questions]:
            counts.clear()
            answer = nutgraf.ask(question, article_id=article_id)
            store = sum(n for name, n in counts.items() if name.startswith("store."))
            searches = sum(n for name, n in counts.items() if name.startswith("retriever."))
            embeds = counts["embedder.embed"]
            per_ask.append((store, searches, embeds))
            detail = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
            print(f"{question!r} ({answer.kind}, {answer.grade}): store {store}, searches {searches}, "
                  f"embedding calls {embeds}\n    {detail}")
    for label, column in (("store calls", 0), ("searches", 1), ("embedding calls", 2)):
        values = [row[column] for row in per_ask]
        print(f"{label} per ask: median {statistics.median(values)}, max {max(values)}")


if __name__ == "__main__":
    harness.run(main)
