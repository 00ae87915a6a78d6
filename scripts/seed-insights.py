#!/usr/bin/env python3
"""Sample reader questions for the demo: asks them of the sample articles and keeps them in
the question log, marked as sample data, so that the insights page (/insights) shows
something on a fresh machine.

    .venv/bin/python scripts/seed-insights.py [--db PATH_OR_URL] [--model none]

The sample articles are ingested first when they are not (nutgraf/samples/*.md, and
../shared/samples/budapest-summit.txt when it is there). Nothing is added when the log
already holds sample asks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.errors import NutgrafError  # noqa: E402
from nutgraf.insights.seed import sample_files, seed  # noqa: E402

SHARED_SAMPLE = ROOT.parent / "shared" / "samples" / "budapest-summit.txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database (default: NUTGRAF_DB, else the default database)")
    parser.add_argument("--model", help="language model that answers (none: extractive, in seconds)")
    args = parser.parse_args()
    try:
        nutgraf = Nutgraf(args.db, model=args.model)
        kept = seed(nutgraf, sample_files([SHARED_SAMPLE]))
    except NutgrafError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    if kept:
        print(f"Kept {kept} sample asks in the question log: see /insights on the server (admin key).")
    else:
        print("The question log holds sample asks already: nothing added.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
