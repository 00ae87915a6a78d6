"""What readers' conversations add to the database, and what expiry gives back.

    python -m benchmarks.reader_data [--asks 1000] [--turns 1] [--postgres]

The packaged sample articles are ingested into a fresh database; then ``--asks`` questions
are asked through the Python API with extractive answers (``--model none``: no language
model needed), each starting its own conversation as a public widget's readers do
(``--turns 4``: four questions per conversation). The size is taken before the asks, after
them, after expiry (every conversation then counts as expired), and after the space is
handed back (SQLite: VACUUM; PostgreSQL: VACUUM FULL of the two tables; without it the
freed pages are reused by later writes). ``--postgres`` measures a throwaway PostgreSQL
(the bundled binaries) too; a smoke run measures both. Writes benchmarks/out/reader-data.json.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.settings import Settings, current

from . import harness

QUESTIONS = [
    "Who said it?", "When did it happen?", "Where did it happen?", "How much did it cost?",
    "What happens next?", "Why was it delayed?", "How many people were affected?",
    "What did the council decide?", "Who is responsible?", "What was the vote?",
]


def sqlite_bytes(path: Path) -> dict:
    """The file (after a WAL checkpoint) and the pages in use (the file less its free list)."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = db.execute("PRAGMA page_size").fetchone()[0]
        used = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
        rows = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("conversations", "turns")}
    return {"file": path.stat().st_size, "used": used * page, **rows}


def postgres_bytes(url: str) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        reader = db.execute("SELECT pg_total_relation_size('conversations') + pg_total_relation_size('turns')")
        rows = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("conversations", "turns")}
        return {"database": db.execute("SELECT pg_database_size(current_database())").fetchone()[0],
                "reader_tables": reader.fetchone()[0], **rows}


def hand_back(location: str) -> None:
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as db:
            db.execute("VACUUM FULL conversations")
            db.execute("VACUUM FULL turns")
    else:
        with sqlite3.connect(location) as db:
            db.execute("VACUUM")


def measure(location: str, asks: int, turns: int, settings: Settings) -> dict:
    size = postgres_bytes if location.startswith("postgresql://") else (lambda path: sqlite_bytes(Path(path)))
    nutgraf = Nutgraf(location, settings=settings.with_values(model="none"))
    try:
        article_ids = [outcome.article_id for outcome in nutgraf.ingest([str(p) for p in harness.DEMO_ARTICLES])]
        nutgraf.ask(QUESTIONS[0], article_id=article_ids[0], conversation_id="warm-up")  # models loaded
        before = size(location)
        latencies = []
        conversation_id = None
        for n in range(asks):
            if n % turns == 0:
                conversation_id = None  # a new reader
            started = time.perf_counter()
            answer = nutgraf.ask(QUESTIONS[n % len(QUESTIONS)], article_id=article_ids[n % len(article_ids)],
                                 conversation_id=conversation_id)
            latencies.append(time.perf_counter() - started)
            conversation_id = answer.conversation_id
        after_asks = size(location)
        started = time.perf_counter()
        removed = nutgraf.store.expire_conversations(datetime.now(timezone.utc) + timedelta(seconds=1))
        expiry_seconds = time.perf_counter() - started
        after_expiry = size(location)
    finally:
        nutgraf.close()
    hand_back(location)
    return {"asks": asks, "turns_per_conversation": turns, "conversations_removed": removed,
            "expiry_seconds": round(expiry_seconds, 3),
            "ask_ms_p50": round(statistics.median(latencies) * 1000, 1),
            "before": before, "after_asks": after_asks, "after_expiry": after_expiry,
            "after_hand_back": size(location)}


def kib(value: int) -> str:
    return f"{value / 1024:,.0f} KiB"


def report(name: str, result: dict) -> None:
    before, asked, expired, back = (result[k] for k in ("before", "after_asks", "after_expiry", "after_hand_back"))
    per_thousand = 1000 / result["asks"]
    if "file" in before:
        grown = (asked["used"] - before["used"]) * per_thousand
        print(f"| {name} | {result['asks']} asks, {result['turns_per_conversation']} per conversation | "
              f"{kib(grown)} | {asked['conversations']} / {asked['turns']} | "
              f"{kib(expired['used'] - before['used'])} used, file {kib(expired['file'] - before['file'])} | "
              f"{kib(back['file'] - before['file'])} | {result['ask_ms_p50']} ms |")
    else:
        grown = (asked["reader_tables"] - before["reader_tables"]) * per_thousand
        print(f"| {name} | {result['asks']} asks, {result['turns_per_conversation']} per conversation | "
              f"{kib(grown)} | {asked['conversations']} / {asked['turns']} | "
              f"{kib(expired['reader_tables'] - before['reader_tables'])} (dead rows until vacuumed) | "
              f"{kib(back['reader_tables'] - before['reader_tables'])} | {result['ask_ms_p50']} ms |")


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"asks": 12, "turns": 2, "postgres": True})
    parser.add_argument("--asks", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=1, help="questions per conversation")
    parser.add_argument("--postgres", action="store_true", help="measure a throwaway PostgreSQL too")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(str(Path(folder) / "reader.db"), args.asks, args.turns, settings)
    if args.postgres:
        with harness.throwaway_postgres() as server:
            results["postgres"] = measure(server.create_database(), args.asks, args.turns, settings)
    harness.write_json(harness.out_dir(args) / "reader-data.json", results)
    print("| store | asks | growth per 1,000 asks | conversations / turns | after expiry (vs before) |"
          " after handing space back | ask p50 |\n|---|---|---|---|---|---|---|")
    for name, result in results.items():
        report(name, result)


if __name__ == "__main__":
    harness.run(main)
