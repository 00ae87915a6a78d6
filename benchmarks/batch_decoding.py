"""Checking questions one after another against side by side (one llama.cpp batch, several
sequences sharing the article's cells), on the sample article.

    NUTGRAF_LLM_THREADS=2 python -m benchmarks.batch_decoding

The article is read once first (as preparing does), so both ways start from its kept state;
the questions are the kind the explore panel checks. Prints the time of each way, the
speed-up and how many answers came out the same.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.records import Scope
from nutgraf.settings import current

from . import harness

QUESTIONS = [
    "What are the thorny issues remaining on the path to Budapest?",
    "How did the Kremlin react to the idea of sending Tomahawk missiles?",
    "Why does Ukraine want American Tomahawk missiles?",
    "What will happen at the negotiating table in Hungary?",
    "Why is President Trump planning a new Peace Summit?",
    "How long did the phone call between Trump and Putin last?",
    "Which newspaper reported on the phone call?",
    "What do U.S. allies believe about the Tomahawk missiles?",
]


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": harness.SMOKE_MODEL, "questions": 2})
    parser.add_model_option()
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="the first N questions")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    sample_article = harness.sample_article()
    questions = QUESTIONS[:args.questions]
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(str(Path(folder) / "batch.db"), settings=settings)
        [outcome] = nutgraf.ingest([str(sample_article)])
        nutgraf.read_ahead(outcome.article_id)
        scope = Scope(article_ids=[outcome.article_id])
        answerer = nutgraf.answerer
        with harness.Stopwatch() as serial:
            one_by_one = [answerer.answer(q, scope, remember=False) for q in questions]
        with harness.Stopwatch() as batched:
            together = answerer.answer_many(questions, scope)
    same = sum((a.answer, a.grade) == (b.answer, b.grade) for a, b in zip(one_by_one, together))
    print(f"{len(questions)} questions, {settings.model}: one after another {serial.seconds:.1f} s, "
          f"side by side {batched.seconds:.1f} s ({serial.seconds / batched.seconds:.2f}x); "
          f"{same} of {len(questions)} answers the same")


if __name__ == "__main__":
    harness.run(main)
