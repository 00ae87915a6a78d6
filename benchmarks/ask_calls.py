"""What one ask costs in calls: store calls, searches and embedding calls per question.

    .venv/bin/python benchmarks/ask_calls.py                 # the default model
    .venv/bin/python benchmarks/ask_calls.py --model none    # extractive answers

The sample article is ingested into a fresh SQLite file; then a question of each kind is
asked through ``Nutgraf.ask`` in one process, with every call to the store, the retriever
and the embedder counted (the article is read once before, as preparing at ingest does, so
the counts are those of a reader's ask, not of the first reading).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402
from nutgraf.store import open_store  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "budapest-summit.txt"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    if not SAMPLE.exists():
        sys.exit(f"skipped: {SAMPLE} is absent")
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "news.db")
        article_id = next(iter(Nutgraf(db, model="none").ingest([str(SAMPLE)]))).article_id
        nutgraf = Nutgraf(store=Counting(open_store(db), counts, "store."), model=args.model)
        nutgraf.read_ahead(article_id)
        retriever = nutgraf.retriever
        retriever.search = Counting(retriever, counts, "retriever.").search
        retriever.search_article = Counting(retriever, counts, "retriever.").search_article
        embedder = retriever.embedder
        embedder.embed = Counting(embedder, counts, "embedder.").embed
        nutgraf.answerer  # loaded before counting
        per_ask = []
        for question in QUESTIONS:
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
    main()
