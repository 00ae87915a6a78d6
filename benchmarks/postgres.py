"""PostgreSQL beside SQLite: ingest throughput, search latency, ranking and storage size.

(a) The 1,000 CNN stories of the evaluation data (newsqa/forget_set_1000.json) are analysed and
    embedded once through the Python API (kept in benchmarks/out/postgres-cnn1000.db; delete
    it to rebuild). The same analysed articles are then written into a fresh SQLite file and a
    fresh PostgreSQL database, by one writer and by two writer processes at once (two
    servers), and searched with the hybrid retriever (200 NewsQA tune questions,
    archive-wide and within one article). Then the PostgreSQL database's size and index
    build times.
(b) Ranking: recall@1/3/5 of BM25, dense and fused search on the SQuAD 2.0 tune split (the
    archive of benchmarks.retrieval), the same articles in both stores.

    python -m benchmarks.postgres       # a throwaway PostgreSQL 18 (bundled binaries)
    python -m benchmarks.postgres --only recall
    python -m benchmarks.postgres --url postgresql://me@db.internal/postgres

``--url`` names a server where the role may CREATE DATABASE; the benchmark creates and drops
its own databases there. The throwaway server runs with PostgreSQL's default, durable
settings. Writes benchmarks/out/postgres.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from nutgraf.api import Nutgraf
from nutgraf.records import Article, Document, Scope
from nutgraf.retrieval.embedder import get_embedder
from nutgraf.retrieval.search import Retriever
from nutgraf.settings import Settings, current
from nutgraf.store import open_store
from nutgraf.store.postgres import dense_query

from . import harness, retrieval

STORIES = 1000
GIB = 1024**3


def stories(root: Path, count: int) -> list[Document]:
    documents = []
    lines = (root / "newsqa" / "forget_set_1000.json").read_text().splitlines()[:count]
    for number, line in enumerate(lines, start=1):
        text = retrieval.untokenize(json.loads(line)["answer"])
        title = text.split("\n", 1)[0] if "\n" in text else f"CNN story {number}"
        documents.append(Document(text=text, title=title, source="CNN", origin=f"cnn-{number}"))
    return documents


def analysed_articles(cache: Path, root: Path, count: int, settings: Settings) -> tuple[list[Article], dict]:
    """The first ``count`` stories analysed and embedded (built once into ``cache``), and how
    long building took."""
    figures = {}
    if not cache.exists():
        partial = cache.with_suffix(".partial.db")
        for stale in cache.parent.glob(partial.name + "*"):
            stale.unlink()
        documents = stories(root, count)
        api = Nutgraf(str(partial), settings=settings.with_values(model="none"))
        api.ingester.embed(["warm up"])  # loads the embedder before the clock starts
        started = time.perf_counter()
        outcomes = api.ingest_documents(documents)
        seconds = time.perf_counter() - started
        api.close()
        failed = [o for o in outcomes if o.failed]
        if failed:
            sys.exit(f"{len(failed)} stories failed to ingest, first: {failed[0].error}")
        os.replace(partial, cache)
        figures = {"pipeline_articles_per_s": round(len(documents) / seconds, 2)}
    return stored_articles(cache, settings), figures


def stored_articles(cache: Path, settings: Settings) -> list[Article]:
    store = open_store(cache, settings)
    articles = [store.get_article(i) for i in sorted(store.article_ids())]
    store.close()
    return articles


# -- databases


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def fresh_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {name}")
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# -- ingest


def put_all(location: str, articles: list[Article], settings: Settings) -> float:
    """Seconds to write ``articles`` through one store, one transaction each."""
    store = open_store(location, settings)
    started = time.perf_counter()
    for article in articles:
        store.put_article(article)
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def put_worker(location: str, cache: Path, first: int, step: int, settings: Settings) -> None:
    """A second process: loads its share, says ready, writes on the go signal."""
    share = stored_articles(cache, settings)[first::step]
    store = open_store(location, settings)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    for article in share:
        store.put_article(article)
    print(json.dumps({"seconds": time.perf_counter() - started, "articles": len(share)}), flush=True)
    store.close()


def put_concurrently(location: str, cache: Path, writers: int) -> float:
    """Wall-clock seconds for ``writers`` processes to write all stories of ``cache``, each its
    share (each reads the environment's settings, as a server process would)."""
    processes = [
        subprocess.Popen([sys.executable, "-m", "benchmarks.postgres", "--put-worker", location, str(cache), str(n),
                          str(writers)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=harness.ROOT)
        for n in range(writers)
    ]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            sys.exit("a writer process failed to start")
    started = time.perf_counter()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        json.loads(process.stdout.readline())
        process.wait()
    return time.perf_counter() - started


def ingest_figures(location: str, articles: list[Article], settings: Settings) -> dict:
    single = put_all(location, articles, settings)
    return {"one_writer_articles_per_s": round(len(articles) / single, 1),
            "one_writer_ms_per_article": round(single / len(articles) * 1000, 2)}


# -- search


def search_figures(store, questions: list[str], vectors, ids: list[str], settings: Settings) -> dict:
    timed = harness.timed_ms
    retriever = Retriever(store, get_embedder(settings.embedder_threads))
    retriever.search(questions[0])  # first use loads what a running server keeps loaded
    rng = random.Random(7)
    picks = [rng.choice(ids) for _ in questions]
    timings = {
        "search_archive": [timed(lambda: retriever.search(q, Scope(), limit=10)) for q in questions],
        "search_article": [timed(lambda: retriever.search(q, Scope(article_ids=[i]), limit=10))
                           for q, i in zip(questions, picks)],
        "bm25_archive": [timed(lambda: store.lexical_search(q, Scope(), 50)) for q in questions],
        "dense_archive": [timed(lambda: store.dense_search(v, Scope(), 50)) for v in vectors],
        "bm25_article": [timed(lambda: store.lexical_search(q, Scope(article_ids=[i]), 50))
                         for q, i in zip(questions, picks)],
        "dense_article": [timed(lambda: store.dense_search(v, Scope(article_ids=[i]), 50))
                          for v, i in zip(vectors, picks)],
    }
    return {name: harness.percentiles(values) for name, values in timings.items()}


def hnsw_recall(store, articles: list[Article], vectors, k: int = 10) -> float:
    """Share of the exact top ``k`` (a product over every vector) that ``store`` returns."""
    keys = [(a.id, s.index) for a in articles for s in a.sentences]
    matrix = np.vstack([a.embeddings for a in articles])
    found = []
    for vector in vectors:
        scores = matrix @ vector
        exact = {keys[i] for i in np.argpartition(-scores, k)[:k]}
        approximate = {(h.article_id, h.sentence_index) for h in store.dense_search(vector, Scope(), k)}
        found.append(len(exact & approximate) / k)
    return round(statistics.fmean(found), 4)


def near_duplicate_lookups(store, articles: list[Article]) -> dict[str, float]:
    """Time to find the near-duplicate candidates of a stored story (itself at least)."""
    return harness.percentiles([harness.timed_ms(lambda: store.near_duplicate_candidates(a.signature))
                                for a in articles[:200]])


def archive_plan_uses_hnsw(url: str, vector) -> bool:
    sql, params = dense_query(vector, Scope(), 50)
    with psycopg.connect(url) as db:
        register_vector(db)
        plan = "\n".join(r[0] for r in db.execute(f"EXPLAIN {sql}", params))
    return "sentences_embedding_" in plan


# -- size


def sizing(url: str) -> dict:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
        sentences = db.execute("SELECT count(*) FROM sentences").fetchone()[0]
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        dimensions = db.execute("SELECT vector_dims(embedding) FROM sentences LIMIT 1").fetchone()[0]
        index = f"sentences_embedding_{dimensions}"
        size = {name: db.execute(f"SELECT {expression}").fetchone()[0] for name, expression in {
            "database": "pg_database_size(current_database())",
            "sentences_heap": "pg_table_size('sentences')",
            "sentences_all": "pg_total_relation_size('sentences')",
            "gin": "pg_relation_size('sentences_tsv')",
            "hnsw": f"pg_relation_size('{index}')",
        }.items()}
        builds = {}
        for name, create in {
            "hnsw": f"CREATE INDEX {index} ON sentences USING hnsw ((embedding::vector({dimensions}))"
                    f" vector_cosine_ops) WHERE vector_dims(embedding) = {dimensions}",
            "gin": "CREATE INDEX sentences_tsv ON sentences USING gin (tsv)",
        }.items():
            existing = index if name == "hnsw" else "sentences_tsv"
            db.execute(f"DROP INDEX {existing}")
            started = time.perf_counter()
            db.execute(create)
            builds[name] = round(time.perf_counter() - started, 2)
        maintenance = db.execute("SHOW maintenance_work_mem").fetchone()[0]
    return {
        "articles": articles, "sentences": sentences, "dimensions": dimensions,
        "bytes": size,
        "database_gib": round(size["database"] / GIB, 4),
        "sentences_per_gib_database": round(sentences / (size["database"] / GIB)),
        "sentences_per_gib_table_and_indexes": round(sentences / (size["sentences_all"] / GIB)),
        "vectors_per_gib_hnsw": round(sentences / (size["hnsw"] / GIB)),
        "hnsw_build_s": builds["hnsw"], "gin_build_s": builds["gin"],
        "maintenance_work_mem": maintenance,
    }


# -- report


def recall_figures(server_url: str, root: Path, pages: int, out: Path, settings: Settings) -> dict:
    """benchmarks.retrieval's SQuAD tune archive and scoring, in both stores."""
    articles = retrieval.squad_pages(root, "tune", pages)
    api = retrieval.squad_archive(articles, "tune", out, settings)
    own, archive = retrieval.squad_queries(api, articles)
    url = fresh_database(server_url, "nutgraf_bench_squad")
    postgres = open_store(url, settings)
    for article_id in api.store.article_ids():
        postgres.put_article(api.store.get_article(article_id))
    figures = {"questions": len(own), "paragraphs": len(api.store.article_ids())}
    for name, store in (("sqlite", api.store), ("postgres", postgres)):
        retriever = Retriever(store, get_embedder(settings.embedder_threads))
        figures[name] = {"paragraph": retrieval.side_by_side(retriever, own, (1, 3, 5)),
                         "archive": retrieval.side_by_side(retriever, archive, (1, 3, 5))}
    postgres.close()
    api.close()
    drop_database(server_url, "nutgraf_bench_squad")
    return figures


def recall_table(figures: dict) -> str:
    lines = [f"#### Ranking, SQuAD 2.0 tune: {figures['questions']} questions, {figures['paragraphs']}"
             " paragraphs (recall@1 / @3 / @5)", "",
             "| scope | method | SQLite | PostgreSQL |", "|---|---|---|---|"]
    for scope in ("paragraph", "archive"):
        for method in ("bm25", "dense", "fused"):
            cells = [" / ".join(f"{v:.3f}" for v in figures[store][scope][method].values())
                     for store in ("sqlite", "postgres")]
            lines.append(f"| {'own paragraph' if scope == 'paragraph' else 'all paragraphs'} | {method} |"
                         f" {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def table(results: dict, settings: Settings) -> str:
    lite, pg, size = results["sqlite"], results["postgres"], results["postgres_size"]
    rows = [
        ("ingest, 1 writer (articles/s)", lite["one_writer_articles_per_s"], pg["one_writer_articles_per_s"]),
        ("ingest, 1 writer (ms/article)", lite["one_writer_ms_per_article"], pg["one_writer_ms_per_article"]),
        ("ingest, 2 writer processes (articles/s)", lite["two_writers_articles_per_s"],
         pg["two_writers_articles_per_s"]),
    ]
    for name in ("search_archive", "search_article", "bm25_archive", "dense_archive", "bm25_article",
                 "dense_article", "near_duplicate_lookup"):
        rows.append((f"{name.replace('_', ', ')} p50 / p95 (ms)",
                     f"{lite[name]['p50']} / {lite[name]['p95']}", f"{pg[name]['p50']} / {pg[name]['p95']}"))
    lines = [
        f"#### PostgreSQL beside SQLite: {size['articles']:,} CNN stories, {size['sentences']:,} sentences",
        "", "| measure | SQLite | PostgreSQL |", "|---|---|---|",
        *[f"| {name} | {a} | {b} |" for name, a, b in rows],
        "",
        f"HNSW recall@10 against exact search (ef_search {settings.pg_ef_search}):"
        f" {results['hnsw_recall_at_10']} (SQLite's usearch index: {results['sqlite_index_recall_at_10']});"
        f" archive-wide dense search served by the HNSW index: {results['archive_plan_uses_hnsw']}.",
        "",
        "| PostgreSQL size | value |", "|---|---|",
        f"| whole database | {size['database_gib']} GiB |",
        f"| sentences per GiB (whole database) | {size['sentences_per_gib_database']:,} |",
        "| sentences per GiB (sentences table with its indexes) |"
        f" {size['sentences_per_gib_table_and_indexes']:,} |",
        f"| {size['dimensions']}-dim vectors per GiB of HNSW index | {size['vectors_per_gib_hnsw']:,} |",
        f"| HNSW index build, {size['sentences']:,} vectors | {size['hnsw_build_s']} s"
        f" (maintenance_work_mem {size['maintenance_work_mem']}) |",
        f"| GIN (tsvector) index build | {size['gin_build_s']} s |",
        f"| SQLite file, same archive | {results['sqlite_file_gib']} GiB |",
    ]
    if "pipeline_articles_per_s" in results:
        lines += ["", f"Analysis + embedding + SQLite write through the API:"
                      f" {results['pipeline_articles_per_s']} articles/s."]
    return "\n".join(lines) + "\n"


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"stories": 10, "searches": 10, "squad_articles": 1})
    parser.add_argument("--url", help="a PostgreSQL server where this role may create databases")
    parser.add_argument("--searches", type=int, default=200, help="questions timed per scope")
    parser.add_argument("--only", default="archive,recall", help="parts to run: archive, recall")
    parser.add_argument("--stories", type=int, default=STORIES, help="CNN stories of the archive")
    parser.add_argument("--squad-articles", type=int, default=retrieval.SQUAD_ARTICLES,
                        help="SQuAD pages of the ranking part")
    parser.add_argument("--put-worker", nargs=4, metavar=("LOCATION", "ARTICLES", "FIRST", "STEP"),
                        help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current()
    if args.put_worker:
        location, cache, first, step = args.put_worker
        put_worker(location, Path(cache), int(first), int(step), settings)
        return
    root = harness.eval_path(settings)
    if args.url:
        measure(args.url, args, root, settings)
    else:
        with harness.throwaway_postgres() as server:
            measure(server.url(), args, root, settings)


def measure(server_url: str, args: argparse.Namespace, root: Path, settings: Settings) -> None:
    out = harness.out_dir(args)
    results = {}
    if "archive" in args.only.split(","):
        cache = out / f"postgres-cnn{args.stories}.db"
        results = run(server_url, cache, root, args.stories, args.searches, settings)
        print(table(results, settings))
    if "recall" in args.only.split(","):
        results["recall"] = recall_figures(server_url, root, args.squad_articles, out, settings)
        print(recall_table(results["recall"]))
    harness.write_json(out / "postgres.json", results)


def run(server_url: str, cache: Path, root: Path, stories: int, searches: int, settings: Settings) -> dict:
    articles, results = analysed_articles(cache, root, stories, settings)
    print(f"{len(articles)} analysed stories", file=sys.stderr)
    with (root / "newsqa" / "newsqa_indomain_utility.csv").open(newline="") as f:  # the tune split
        questions = [row["question"] for row in csv.DictReader(f)][:searches]
    vectors = get_embedder(settings.embedder_threads).embed(questions)
    ids = [a.id for a in articles]
    with tempfile.TemporaryDirectory() as scratch:
        lite_path = str(Path(scratch) / "archive.db")
        results["sqlite"] = ingest_figures(lite_path, articles, settings)
        two = str(Path(scratch) / "two-writers.db")
        results["sqlite"]["two_writers_articles_per_s"] = round(len(articles) / put_concurrently(two, cache, 2), 1)
        pg_url = fresh_database(server_url, "nutgraf_bench")
        results["postgres"] = ingest_figures(pg_url, articles, settings)
        two_url = fresh_database(server_url, "nutgraf_bench_two")
        results["postgres"]["two_writers_articles_per_s"] = round(
            len(articles) / put_concurrently(two_url, cache, 2), 1)
        drop_database(server_url, "nutgraf_bench_two")
        print("ingest measured", file=sys.stderr)
        with psycopg.connect(pg_url, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")  # what autovacuum does on a live server
        lite, pg = open_store(lite_path, settings), open_store(pg_url, settings)
        results["sqlite"].update(search_figures(lite, questions, vectors, ids, settings))
        results["postgres"].update(search_figures(pg, questions, vectors, ids, settings))
        results["hnsw_recall_at_10"] = hnsw_recall(pg, articles, vectors)
        results["sqlite_index_recall_at_10"] = hnsw_recall(lite, articles, vectors)
        results["sqlite"]["near_duplicate_lookup"] = near_duplicate_lookups(lite, articles)
        results["postgres"]["near_duplicate_lookup"] = near_duplicate_lookups(pg, articles)
        results["archive_plan_uses_hnsw"] = archive_plan_uses_hnsw(pg_url, vectors[0])
        lite.close()
        pg.close()
        results["sqlite_file_gib"] = round(sum(
            p.stat().st_size for p in Path(scratch).glob("archive.db*")) / GIB, 4)
        results["postgres_size"] = sizing(pg_url)
        drop_database(server_url, "nutgraf_bench")
    return results


if __name__ == "__main__":
    harness.run(main)
