"""Approximate-nearest-neighbour libraries for the SQLite store's archive-wide dense search.

Compares usearch, hnswlib, faiss-cpu (HNSW) and sqlite-vec (vec0, exact scan) with NumPy's
exact product: recall@10 against exact search, p50/p95 latency of one query at a time,
memory and build time, and recall@10 once the first 100 candidates are re-scored with exact
cosines (what the SQLite store does).

    python -m benchmarks.ann --size real          # the 27k CNN sentences
    python -m benchmarks.ann --size 1000000       # plus perturbed copies
    python -m benchmarks.ann --size real --libraries usearch-i8,numpy

Vectors are the sentence vectors of the 1,000 CNN stories (benchmarks/out/retrieval-cnn1000.db,
the archive of benchmarks.retrieval); queries are 200 NewsQA tune questions, embedded. A larger
size adds copies of the real vectors, each with Gaussian noise of the data's own spread
per dimension, renormalised (cosine to its original about 0.75), so the archive keeps the
real vectors' shape and a real question's neighbours are a mix of real and copied sentences.
Each query asks for 50 hits, as the retriever does, and recall@10 compares its first 10
with the exact first 10. Each library runs in its own process, so peak RSS is its own; a
library that is not installed is skipped. usearch is nutgraf's own dependency; the others
come with `pip install -e '.[bench]'` (Python's own sqlite3 here cannot load extensions, so
sqlite-vec runs in an apsw connection). Writes benchmarks/out/ann-<size>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nutgraf.retrieval.embedder import get_embedder
from nutgraf.settings import Settings, current

from . import harness
from .retrieval import CNN_STORIES, cnn_archive, untokenize

POOL = 50  # hits a dense search returns to the retriever
RESCORED = 100  # candidates re-scored with exact cosines, as the SQLite store does
K = 10
CONNECTIVITY = 16  # HNSW links per node (M), the same for every library
EXPANSION_ADD = 128  # ef_construction
EXPANSIONS = "64,128,256,512,1024"  # ef_search values tried (at least POOL is used)
LIBRARIES = ("numpy", "usearch-i8", "usearch-f16", "usearch-f32", "hnswlib", "faiss-hnsw", "sqlite-vec")
NOISE_COSINE = 0.75


def prepared(size: str, stories: int, queries: int, out: Path, settings: Settings) -> Path:
    """Vectors, queries and the exact top hits, saved once per size in ``out``."""
    name = f"ann-{size}" if stories == CNN_STORIES else f"ann-{size}-cnn{stories}"
    path = out / f"{name}.npz"
    if path.exists():
        return path
    root = harness.eval_path(settings)
    archive = cnn_archive(root, stories, out, settings)
    database = archive.store.url
    archive.close()
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT embedding FROM sentences WHERE embedding IS NOT NULL ORDER BY id").fetchall()
    real = np.frombuffer(b"".join(r[0] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    with (root / "newsqa" / "newsqa_indomain_utility.csv").open(newline="") as f:
        questions = [untokenize(row["question"]) for row in csv.DictReader(f)][:queries]
    embedded = get_embedder(settings.embedder_threads).embed(questions)
    vectors = real if size == "real" else with_copies(real, int(size))
    exact = np.vstack([np.argsort(-(vectors @ q))[:POOL] for q in embedded])
    np.savez(path, vectors=vectors, queries=embedded, exact=exact)
    return path


def with_copies(real: np.ndarray, total: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    spread = real.std(axis=0)
    # Noise of norm ||spread|| * scale gives cos ~ 1 / sqrt(1 + (||spread|| * scale)^2).
    scale = np.sqrt(1 / NOISE_COSINE**2 - 1) / np.linalg.norm(spread)
    parts, made = [real], len(real)
    while made < total:
        take = min(len(real), total - made)
        copy = real[:take] + rng.normal(size=(take, real.shape[1])).astype(np.float32) * spread * scale
        parts.append(copy / np.linalg.norm(copy, axis=1, keepdims=True))
        made += take
    return np.vstack(parts).astype(np.float32)


# -- one library, in its own process


def probe(library: str, data_file: str, expansions: list[int]) -> dict:
    data = np.load(data_file)
    vectors, queries, exact = data["vectors"], data["queries"], data["exact"]
    rss_before = rss_mib()
    started = time.perf_counter()
    search, set_expansion, extra = build(library, vectors)
    build_seconds = time.perf_counter() - started
    result = {"library": library, "vectors": len(vectors), "build_seconds": round(build_seconds, 1),
              "rss_added_mib": round(rss_mib() - rss_before), **extra, "runs": []}
    for expansion in (expansions if set_expansion else (None,)):
        if set_expansion:
            set_expansion(max(expansion, POOL))
        search(queries[0])
        timings, found, rescored = [], [], []
        for query, truth in zip(queries, exact):
            started = time.perf_counter()
            hits = search(query)
            timings.append((time.perf_counter() - started) * 1000)
            found.append(len(set(hits[:K]) & set(truth[:K])) / K)
            candidates = np.asarray(search(query, RESCORED), dtype=np.int64)
            best = candidates[np.argsort(-(vectors[candidates] @ query))[:K]]
            rescored.append(len(set(best) & set(truth[:K])) / K)
        cuts = statistics.quantiles(timings, n=100)
        result["runs"].append({"expansion_search": expansion, "recall_at_10": round(statistics.fmean(found), 4),
                               "rescored_recall_at_10": round(statistics.fmean(rescored), 4),
                               "p50_ms": round(cuts[49], 3), "p95_ms": round(cuts[94], 3)})
    return result


def build(library: str, vectors: np.ndarray):
    """(search one query -> ids, set ef_search or None, extra facts) for ``library``."""
    n, dimensions = vectors.shape
    if library == "numpy":
        def exact(q, count=POOL):
            scores = vectors @ q
            top = np.argpartition(-scores, count)[:count]
            return top[np.argsort(-scores[top])]

        return exact, None, {}
    if library.startswith("usearch"):
        from usearch.index import Index

        index = Index(ndim=dimensions, metric="cos", dtype=library.split("-")[1],
                      connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD)
        index.add(np.arange(n), vectors, threads=2)
        folder = tempfile.mkdtemp()
        index.save(f"{folder}/index.usearch")
        size = Path(f"{folder}/index.usearch").stat().st_size

        def set_expansion(value):
            index.expansion_search = value

        return (lambda q, count=POOL: index.search(q, count, threads=1).keys), set_expansion, {
            "file_mib": round(size / 2**20)}
    if library == "hnswlib":
        hnswlib = harness.needs("hnswlib")
        index = hnswlib.Index(space="cosine", dim=dimensions)
        index.init_index(max_elements=n, M=CONNECTIVITY, ef_construction=EXPANSION_ADD, allow_replace_deleted=True)
        index.set_num_threads(2)
        index.add_items(vectors, np.arange(n))
        index.set_num_threads(1)
        path = Path(tempfile.mkdtemp()) / "index.hnsw"
        index.save_index(str(path))
        return (lambda q, count=POOL: index.knn_query(q, count)[0][0]), index.set_ef, {
            "file_mib": round(path.stat().st_size / 2**20)}
    if library == "faiss-hnsw":
        faiss = harness.needs("faiss")
        faiss.omp_set_num_threads(2)
        index = faiss.IndexHNSWFlat(dimensions, CONNECTIVITY, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = EXPANSION_ADD
        index.add(vectors)
        faiss.omp_set_num_threads(1)
        path = Path(tempfile.mkdtemp()) / "index.faiss"
        faiss.write_index(index, str(path))

        def set_expansion(value):
            index.hnsw.efSearch = value

        return (lambda q, count=POOL: index.search(q[None, :], count)[1][0]), set_expansion, {
            "file_mib": round(path.stat().st_size / 2**20)}
    if library == "sqlite-vec":
        apsw, sqlite_vec = harness.needs("apsw"), harness.needs("sqlite_vec")
        path = Path(tempfile.mkdtemp()) / "vec.db"
        db = apsw.Connection(str(path))
        db.enable_load_extension(True)
        db.load_extension(sqlite_vec.loadable_path())
        db.execute(f"CREATE VIRTUAL TABLE v USING vec0 (embedding float[{dimensions}] distance_metric=cosine)")
        with db:
            db.executemany("INSERT INTO v (rowid, embedding) VALUES (?, ?)",
                           ((i, vectors[i].tobytes()) for i in range(n)))

        def search(q, count=POOL):
            rows = db.execute("SELECT rowid FROM v WHERE embedding MATCH ? AND k = ? ORDER BY distance",
                              (q.tobytes(), count)).fetchall()
            return [r[0] for r in rows]

        return search, None, {"file_mib": round(path.stat().st_size / 2**20)}
    raise SystemExit(f"unknown library {library}")


def rss_mib() -> float:
    """The process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"size": "3000", "cnn_stories": 5, "queries": 10,
                                               "expansions": "64"})
    parser.add_argument("--size", default="real", help="'real' (the CNN sentences) or a vector count")
    parser.add_argument("--libraries", default=",".join(LIBRARIES))
    parser.add_argument("--expansions", default=EXPANSIONS, help="ef_search values to try")
    parser.add_argument("--cnn-stories", type=int, default=CNN_STORIES, help="CNN stories whose vectors are used")
    parser.add_argument("--queries", type=int, default=200, help="NewsQA tune questions searched")
    parser.add_argument("--probe", nargs=2, metavar=("LIBRARY", "DATA"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    if args.probe:
        library, data = args.probe
        print(json.dumps(probe(library, data, [int(e) for e in args.expansions.split(",")])))
        return
    out = harness.out_dir(args)
    data = prepared(args.size, args.cnn_stories, args.queries, out, current())
    path = out / f"{data.stem}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["load_average_before"] = harness.load_average()
    failed = []
    for library in args.libraries.split(","):
        done = subprocess.run([sys.executable, "-m", "benchmarks.ann", "--expansions", args.expansions,
                               "--probe", library, str(data)], capture_output=True, text=True, cwd=harness.ROOT)
        if done.returncode != 0:
            print(f"{library}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            failed.append(library)
            continue
        if done.stdout.startswith("skipped:"):
            print(f"{library}: {done.stdout.strip()}")
            continue
        results[library] = json.loads(done.stdout)
        harness.write_json(path, results)  # kept as it goes: a 1M run takes long
        row = results[library]
        for run in row["runs"]:
            print(f"| {library} | {row['vectors']:,} | {run['expansion_search'] or '-'} | {run['recall_at_10']:.3f} |"
                  f" {run['rescored_recall_at_10']:.3f} |"
                  f" {run['p50_ms']} | {run['p95_ms']} | {row['rss_added_mib']} MiB | {row.get('file_mib', '-')} MiB |"
                  f" {row['build_seconds']} s |",
                  flush=True)
    results["load_average_after"] = harness.load_average()
    harness.write_json(path, results)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    harness.run(main)
