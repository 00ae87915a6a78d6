"""Checking questions one after another against side by side (one llama.cpp batch, several
sequences sharing the article's cells), on the sample article.

    NUTGRAF_LLM_THREADS=2 .venv/bin/python benchmarks/batch_decoding.py

The article is read once first (as preparing does), so both ways start from its kept state;
the questions are the kind the explore panel checks. Prints the time of each way, the
speed-up and how many answers came out the same.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.records import Scope  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "budapest-summit.txt"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"skipped: {SAMPLE} is absent")
        return
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(str(Path(folder) / "batch.db"), model=args.model)
        [outcome] = nutgraf.ingest([str(SAMPLE)])
        nutgraf.read_ahead(outcome.article_id)
        scope = Scope(article_ids=[outcome.article_id])
        answerer = nutgraf.answerer
        started = time.perf_counter()
        one_by_one = [answerer.answer(q, scope, remember=False) for q in QUESTIONS]
        serial = time.perf_counter() - started
        started = time.perf_counter()
        together = answerer.answer_many(QUESTIONS, scope)
        batched = time.perf_counter() - started
    same = sum((a.answer, a.grade) == (b.answer, b.grade) for a, b in zip(one_by_one, together))
    print(f"{len(QUESTIONS)} questions, {args.model}: one after another {serial:.1f} s, "
          f"side by side {batched:.1f} s ({serial / batched:.2f}x); {same} of {len(QUESTIONS)} answers the same")


if __name__ == "__main__":
    main()
