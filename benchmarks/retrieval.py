"""Retrieval quality and speed: BM25 alone, dense alone and the fused ranking side by side.

(a) SQuAD 2.0 answerable questions: recall@1/3/5 of the sentence that holds the gold answer
    (found from ``answer_start``), within the question's own paragraph and across every
    paragraph of the split searched as one archive.
(b) MultiHop-RAG: recall@5/@10 of the gold evidence facts. The corpus is the evidence of
    all 500 queries, deduplicated, one article per URL; a fact counts as found when a
    retrieved sentence overlaps it. Queries without evidence are left out.
(c) 1,000 CNN stories (NewsQA): p50/p95 latency of one search, archive-wide and within one
    article, of the archive-wide dense search alone and its recall@10 against an exact product
    over every stored vector, peak RSS of a process that only searches, and embedding speed.
(d) --only million: the same on a million sentences: the CNN stories, then copies whose
    vectors carry Gaussian noise (cosine about 0.75 to the original), with real questions.

    python -m benchmarks.retrieval                  # report splits
    python -m benchmarks.retrieval --split tune --grid  # fusion settings on tune
    python -m benchmarks.retrieval --only latency,million

Databases are built through the Python API once and kept in benchmarks/out/ (delete them
to rebuild); stale vectors are re-embedded on the next run. Reads the evaluation data and
skips when it is absent. Writes benchmarks/out/retrieval-<split>.json (a run of some parts
with --only keeps the other parts' figures there). A smoke run does every part, on a few
articles.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nutgraf.api import Nutgraf
from nutgraf.ingest.pipeline import article_id
from nutgraf.records import Document, Hit, Scope
from nutgraf.retrieval.embedder import get_embedder
from nutgraf.retrieval.reindex import reindex
from nutgraf.retrieval.search import Fusion, Retriever
from nutgraf.settings import Settings, current
from nutgraf.store import open_store

from . import harness

POOL = 50  # candidates taken from each ranking, as the retriever does for limit <= 10
KS = (1, 3, 5, 10)
SQUAD_ARTICLES = 8  # Wikipedia pages of SQuAD 2.0's dev set in each split
CNN_STORIES = 1000
MILLION = 1_000_000


@dataclass
class Query:
    text: str
    scope: Scope
    gold: list[set[tuple[str, int]]]  # one set of sentences per item to find

    def found(self, hits: list[Hit], k: int) -> float:
        top = {(h.article_id, h.sentence_index) for h in hits[:k]}
        return sum(bool(item & top) for item in self.gold) / len(self.gold)


# -- building the archives


def built_archive(name: str, documents: Callable[[], list[Document]], out: Path, settings: Settings) -> Nutgraf:
    """The archive ``name`` from ``out``, ingested through the API on first use."""
    path = out / f"retrieval-{name}.db"
    if not path.exists():
        partial = path.with_suffix(".partial.db")
        for stale in out.glob(partial.name + "*"):
            stale.unlink()
        started = time.perf_counter()
        docs = documents()
        api = Nutgraf(str(partial), settings=settings)
        failed = [o for o in api.ingest_documents(docs) if o.failed]
        api.close()
        if failed:
            sys.exit(f"{name}: {len(failed)} documents failed to ingest, first: {failed[0].error}")
        os.replace(partial, path)
        seconds = time.perf_counter() - started
        print(f"built {path.name}: {len(docs)} documents in {seconds:.0f} s", file=sys.stderr)
    api = Nutgraf(str(path), settings=settings)
    refreshed = reindex(api.store, get_embedder(settings.embedder_threads))
    if refreshed:
        print(f"{path.name}: re-embedded {refreshed} articles", file=sys.stderr)
    return api


def squad_documents(articles: list[dict]) -> list[Document]:
    return [
        Document(text=p["context"], title=a["title"], url=squad_url(a, n), source="SQuAD")
        for a in articles
        for n, p in enumerate(a["paragraphs"])
    ]


def squad_url(article: dict, number: int) -> str:
    return f"https://squad.example/{article['title']}/{number}"


def squad_pages(root: Path, split: str, count: int) -> list[dict]:
    """The first ``count`` of the split's Wikipedia pages."""
    data = json.loads((root / "squad2-dev" / "dev-v2.0.json").read_text())["data"]
    return (data[0:SQUAD_ARTICLES] if split == "tune" else data[SQUAD_ARTICLES:2 * SQUAD_ARTICLES])[:count]


def squad_archive(pages: list[dict], split: str, out: Path, settings: Settings) -> Nutgraf:
    # Fewer pages than the split's make an archive of their own.
    name = f"squad-{split}" if len(pages) == SQUAD_ARTICLES else f"squad-{split}-{len(pages)}"
    return built_archive(name, lambda: squad_documents(pages), out, settings)


def multihop_facts(root: Path, queries: int | None = None) -> dict[str, list[dict]]:
    """Evidence facts grouped by article URL, each fact once, in first-seen order: of every
    query, or of the first ``queries`` of each split."""
    truth = json.loads((root / "multihop-rag" / "ground_truth.json").read_text())
    if queries is not None:
        ids = [query["id"] for query in json.loads((root / "multihop-rag" / "queries.json").read_text())["queries"]]
        chosen = set(ids[:queries] + ids[250:250 + queries])
        truth = {key: item for key, item in truth.items() if key in chosen}
    by_url: dict[str, list[dict]] = {}
    for item in truth.values():
        for fact in item["evidence_list"]:
            facts = by_url.setdefault(fact["url"], [])
            if all(f["fact"] != fact["fact"] for f in facts):
                facts.append(fact)
    return by_url


def multihop_documents(by_url: dict[str, list[dict]]) -> list[Document]:
    return [
        Document(
            text="\n\n".join(f["fact"].strip() for f in facts),
            title=facts[0]["title"],
            url=url,
            published=facts[0]["published_at"],
            source=facts[0]["source"],
            authors=[facts[0]["author"]] if facts[0]["author"] else [],
        )
        for url, facts in by_url.items()
    ]


def untokenize(text: str) -> str:
    """Undo NewsQA's PTB tokenisation well enough for sentence splitting and search."""
    for token, plain in (("-LRB-", "("), ("-RRB-", ")"), ("``", '"'), ("''", '"')):
        text = text.replace(token, plain)
    text = re.sub(r" (n't|'s|'ll|'re|'ve|'d|'m)\b", r"\1", text)
    text = re.sub(r" ([.,;:!?%)])", r"\1", text)
    text = re.sub(r"([($]) ", r"\1", text)
    return re.sub(r'" (.*?) "', r'"\1"', text)


def cnn_documents(root: Path, count: int = CNN_STORIES) -> list[Document]:
    lines = (root / "newsqa" / "forget_set_1000.json").read_text().splitlines()
    stories = [json.loads(line)["answer"] for line in lines if line.strip()][:count]
    return [Document(text=untokenize(story), source="CNN") for story in stories]


def cnn_archive(root: Path, count: int, out: Path, settings: Settings) -> Nutgraf:
    return built_archive(f"cnn{count}", lambda: cnn_documents(root, count), out, settings)


# -- queries with their gold sentences


def sentence_at(sentences, position: int) -> int:
    for sentence in sentences:
        if sentence.start <= position < sentence.end:
            return sentence.index
    earlier = [s.index for s in sentences if s.start <= position]
    return earlier[-1] if earlier else sentences[0].index


def squad_queries(api: Nutgraf, articles: list[dict]) -> tuple[list[Query], list[Query]]:
    """Each answerable question twice: scoped to its paragraph, and over the whole split."""
    own, archive = [], []
    for a in articles:
        for n, p in enumerate(a["paragraphs"]):
            context = p["context"]
            identifier = article_id(Document(text=context, url=squad_url(a, n)))
            shift = len(context) - len(context.lstrip())
            sentences = api.store.sentences(identifier)
            for qa in p["qas"]:
                if qa["is_impossible"]:
                    continue
                gold = {
                    (identifier, sentence_at(sentences, answer["answer_start"] - shift))
                    for answer in qa["answers"]
                }
                own.append(Query(qa["question"], Scope(article_ids=[identifier]), [gold]))
                archive.append(Query(qa["question"], Scope(), [gold]))
    return own, archive


def multihop_queries(api: Nutgraf, root: Path, by_url: dict[str, list[dict]], split: str,
                     count: int | None = None) -> list[Query]:
    root = root / "multihop-rag"
    questions = json.loads((root / "queries.json").read_text())["queries"]
    truth = json.loads((root / "ground_truth.json").read_text())
    chosen = (questions[:250] if split == "tune" else questions[250:])[:count]
    spans = fact_sentences(api, by_url)
    queries = []
    for question in chosen:
        evidence = {(f["url"], f["fact"]) for f in truth[question["id"]]["evidence_list"]}
        if evidence:
            queries.append(Query(question["question"], Scope(), [spans[e] for e in sorted(evidence)]))
    return queries


def fact_sentences(api: Nutgraf, by_url: dict[str, list[dict]]) -> dict[tuple[str, str], set]:
    """The sentences each fact covers within its URL's article."""
    spans = {}
    for url, facts in by_url.items():
        identifier = article_id(Document(text="", url=url))
        sentences = api.store.sentences(identifier)
        start = 0
        for fact in facts:
            end = start + len(fact["fact"].strip())
            spans[(url, fact["fact"])] = {
                (identifier, s.index) for s in sentences if s.start < end and s.end > start
            }
            start = end + 2  # the blank line between facts
    return spans


# -- scoring


def rankings(retriever: Retriever, queries: list[Query]) -> list[tuple[list[Hit], list[Hit]]]:
    return [retriever.rankings(q.text, q.scope, POOL) for q in queries]


def recall(queries: list[Query], ranked: Iterable[list[Hit]], ks=KS) -> dict[str, float]:
    ranked = list(ranked)
    return {
        f"R@{k}": round(statistics.fmean(q.found(hits, k) for q, hits in zip(queries, ranked)), 4)
        for k in ks
    }


def side_by_side(retriever: Retriever, queries: list[Query], ks=KS) -> dict[str, dict]:
    both = rankings(retriever, queries)
    return {
        "bm25": recall(queries, (lexical for lexical, _ in both), ks),
        "dense": recall(queries, (dense for _, dense in both), ks),
        "fused": recall(queries, (retriever.fuse(lexical, dense) for lexical, dense in both), ks),
    }


def fusion_grid(store, embedder, sets: dict[str, list[Query]]) -> list[dict]:
    """Recall for each dense weight on each query set (run on the tune split only)."""
    base = Retriever(store, embedder)
    cached = {name: rankings(base, queries) for name, queries in sets.items()}
    rows = []
    for dense_weight in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0):
        retriever = Retriever(store, embedder, Fusion(dense_weight=dense_weight))
        row = {"dense_weight": dense_weight}
        for name, queries in sets.items():
            fused = [retriever.fuse(lexical, dense) for lexical, dense in cached[name]]
            row[name] = recall(queries, fused, (1, 3, 5))
        rows.append(row)
    return rows


# -- latency, in a process that only searches


def latency_probe(db: str, questions_file: str, settings: Settings) -> dict:
    api = Nutgraf(db, settings=settings)
    embedder = get_embedder(settings.embedder_threads)
    retriever = Retriever(api.store, embedder)
    questions = [q for q in json.loads(Path(questions_file).read_text())]
    ids = api.store.article_ids()
    rng = random.Random(7)
    started = time.perf_counter()
    retriever.search(questions[0])  # loads (or builds) the vector index once, as a server would at start
    first_search_seconds = time.perf_counter() - started
    timings: dict[str, list[float]] = {"archive": [], "article": [], "archive_dense": []}
    vectors = embedder.embed(questions)
    dense_hits = []
    for question, vector in zip(questions, vectors):
        for name, scope in (("archive", Scope()), ("article", Scope(article_ids=[rng.choice(ids)]))):
            started = time.perf_counter()
            retriever.search(question, scope, limit=10)
            timings[name].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        dense_hits.append(api.store.dense_search(vector, Scope(), POOL))
        timings["archive_dense"].append((time.perf_counter() - started) * 1000)
    search_rss = harness.peak_rss_mb()  # before the embedding below, which loads more
    texts = [s.text for i in ids[:40] for s in api.store.sentences(i)][:1000]
    started = time.perf_counter()
    embedder.embed(texts)
    per_100 = (time.perf_counter() - started) / len(texts) * 100
    return {
        "articles": len(ids),
        "sentences": api.store._db.execute("SELECT count(*) FROM sentences").fetchone()[0],
        "searches": len(questions),
        "threads": embedder.threads,
        "first_search_seconds": round(first_search_seconds, 1),
        **{f"{name}_ms": harness.percentiles(values) for name, values in timings.items()},
        "dense_recall_at_10": exact_recall(api.store, vectors, dense_hits),
        "peak_rss_mib": search_rss,
        "embed_seconds_per_100_sentences": round(per_100, 3),
        "embed_sentences": len(texts),
        "peak_rss_after_embedding_mib": harness.peak_rss_mb(),
        "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def exact_recall(store, vectors, found: list[list[Hit]], k: int = 10) -> float:
    """Recall@k of the store's dense search against an exact product over every stored vector."""
    rows = store._db.execute("SELECT article_id, idx, embedding FROM sentences WHERE embedding IS NOT NULL")
    keys, blobs = [], []
    for article, index, blob in rows:
        keys.append((article, index))
        blobs.append(blob)
    matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(keys), -1)
    del blobs
    recalls = []
    for vector, hits in zip(vectors, found):
        scores = matrix @ vector
        exact = {keys[i] for i in np.argpartition(-scores, k)[:k]}
        recalls.append(len(exact & {(h.article_id, h.sentence_index) for h in hits[:k]}) / k)
    return round(statistics.fmean(recalls), 4)


def million_archive(source: Nutgraf, total: int, out: Path, settings: Settings) -> str:
    """retrieval-cnn<total>.db in ``out``: the CNN stories, then copies of them whose
    vectors carry Gaussian noise of the data's own spread (cosine about 0.75 to the original),
    until ``total`` sentences; the copies keep the original text."""
    path = out / f"retrieval-cnn{total}.db"
    if path.exists():
        return str(path)
    partial = path.with_suffix(".partial.db")
    for stale in out.glob(partial.name + "*"):
        stale.unlink()
    store = open_store(partial, settings)
    originals = [source.store.get_article(i) for i in source.store.article_ids()]
    spread = np.vstack([a.embeddings for a in originals]).std(axis=0)
    scale = np.sqrt(1 / 0.75**2 - 1) / np.linalg.norm(spread)
    rng = np.random.default_rng(7)
    sentences, copy = 0, 0
    started = time.perf_counter()
    while sentences < total:
        article = originals[copy % len(originals)]
        vectors = article.embeddings
        if copy >= len(originals):
            noisy = vectors + rng.normal(size=vectors.shape).astype(np.float32) * spread * scale
            vectors = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
        store.put_article(replace(article, id=f"{article.id}-{copy}", embeddings=vectors,
                                              content_hash=f"copy{copy}"))
        sentences += len(article.sentences)
        copy += 1
    store.close()
    os.replace(partial, path)
    print(f"built {path.name}: {copy} articles, {sentences} sentences in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return str(path)


def latency(db: str, count: int, root: Path, out: Path) -> dict:
    """The latency figures of ``db``, measured in a process that only searches (it reads the
    environment's settings, as a server does)."""
    with (root / "newsqa" / "newsqa_indomain_utility.csv").open(newline="") as f:
        questions = [untokenize(row["question"]) for row in csv.DictReader(f)][:count]
    questions_file = out / "retrieval-latency-questions.json"
    questions_file.write_text(json.dumps(questions))
    probe = subprocess.run(
        [sys.executable, "-m", "benchmarks.retrieval", "--probe", db, str(questions_file)],
        capture_output=True, text=True, check=True, cwd=harness.ROOT,
    )
    return json.loads(probe.stdout)


# -- printing


def recall_table(title: str, results: dict[str, dict]) -> str:
    ks = list(next(iter(results.values())))
    lines = [f"#### {title}", "", "| method | " + " | ".join(ks) + " |", "|---" * (len(ks) + 1) + "|"]
    for method, values in results.items():
        lines.append(f"| {method} | " + " | ".join(f"{values[k]:.3f}" for k in ks) + " |")
    return "\n".join(lines) + "\n"


def grid_table(rows: list[dict]) -> str:
    names = [key for key in rows[0] if key != "dense_weight"]
    header = "| dense weight | " + " | ".join(f"{n} R@1/3/5" for n in names) + " |"
    lines = ["#### Fusion settings (tune split)", "", header, "|---" * (len(names) + 1) + "|"]
    for row in rows:
        cells = [" / ".join(f"{v:.3f}" for v in row[n].values()) for n in names]
        lines.append(f"| {row['dense_weight']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def latency_table(figures: dict) -> str:
    return "\n".join([
        f"#### Latency, {figures['articles']:,} CNN stories, {figures['sentences']:,} sentences,"
        f" {figures['threads']} threads, {figures['searches']} searches each",
        "",
        "| scope | p50 ms | p95 ms |",
        "|---|---|---|",
        f"| whole archive | {figures['archive_ms']['p50']} | {figures['archive_ms']['p95']} |",
        f"| one article | {figures['article_ms']['p50']} | {figures['article_ms']['p95']} |",
        f"| whole archive, dense search alone | {figures['archive_dense_ms']['p50']} |"
        f" {figures['archive_dense_ms']['p95']} |",
        "",
        f"Dense recall@10 against exact search: {figures['dense_recall_at_10']}. First search (loads or"
        f" builds the vector index): {figures['first_search_seconds']} s. Load average {figures['load_average']}.",
        "",
        f"Peak RSS of the searching process: {figures['peak_rss_mib']} MiB."
        f" Embedding {figures['embed_sentences']} stored sentences:"
        f" {figures['embed_seconds_per_100_sentences']} s per 100 sentences"
        f" (peak RSS then {figures['peak_rss_after_embedding_mib']} MiB).",
    ]) + "\n"


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={
        "only": "squad,multihop,latency,million", "squad_articles": 1, "multihop_queries": 5, "cnn_stories": 10,
        "million": 21_000, "searches": 10})
    parser.add_argument("--split", choices=["report", "tune"], default="report")
    parser.add_argument("--only", default="squad,multihop,latency",
                        help="comma-separated parts: squad, multihop, latency, million")
    parser.add_argument("--grid", action="store_true", help="compare fusion settings (tune split)")
    parser.add_argument("--searches", type=int, default=200, help="queries timed per scope")
    parser.add_argument("--squad-articles", type=int, default=SQUAD_ARTICLES, help="SQuAD pages of the split")
    parser.add_argument("--multihop-queries", type=int,
                        help="only the split's first N MultiHop-RAG queries, over their own evidence")
    parser.add_argument("--cnn-stories", type=int, default=CNN_STORIES, help="CNN stories of the latency archive")
    parser.add_argument("--million", type=int, default=MILLION, help="sentences of the million archive")
    parser.add_argument("--probe", nargs=2, metavar=("DB", "QUESTIONS"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = arguments()
    args = parser.parse_args(argv)
    settings = current()
    if args.probe:
        print(json.dumps(latency_probe(*args.probe, settings)))
        return
    root = harness.eval_path(settings)
    out = harness.out_dir(args)
    if args.grid and args.split != "tune":
        parser.error("--grid tunes settings, so it runs on --split tune only")
    parts = set(args.only.split(","))
    results: dict = {"split": args.split, "fusion": Fusion().__dict__}
    embedder = get_embedder(settings.embedder_threads)
    grid_sets: dict[str, list[Query]] = {}
    if "squad" in parts:
        articles = squad_pages(root, args.split, args.squad_articles)
        api = squad_archive(articles, args.split, out, settings)
        own, archive = squad_queries(api, articles)
        retriever = Retriever(api.store, embedder)
        results["squad_paragraph"] = side_by_side(retriever, own)
        results["squad_archive"] = side_by_side(retriever, archive)
        results["squad_questions"] = len(own)
        results["squad_paragraphs"] = len(api.store.article_ids())
        print(recall_table(f"SQuAD 2.0 {args.split}: within the paragraph ({len(own)} questions)",
                           results["squad_paragraph"]))
        print(recall_table(f"SQuAD 2.0 {args.split}: all {results['squad_paragraphs']} paragraphs"
                           " as one archive", results["squad_archive"]))
        if args.grid:
            grid_sets.update(squad_paragraph=own, squad_archive=archive)
            squad_store = api.store
    if "multihop" in parts:
        count = args.multihop_queries
        by_url = multihop_facts(root, count)
        name = "multihop" if count is None else f"multihop-{count}"
        api = built_archive(name, lambda: multihop_documents(by_url), out, settings)
        queries = multihop_queries(api, root, by_url, args.split, count)
        retriever = Retriever(api.store, embedder)
        results["multihop"] = side_by_side(retriever, queries, ks=(5, 10))
        results["multihop_queries"] = len(queries)
        print(recall_table(f"MultiHop-RAG {args.split}: gold evidence over"
                           f" {len(api.store.article_ids())} articles ({len(queries)} queries)",
                           results["multihop"]))
        if args.grid:
            results["grid_multihop"] = fusion_grid(api.store, embedder, {"multihop": queries})
            print(grid_table(results["grid_multihop"]))
    if args.grid and grid_sets:
        results["grid_squad"] = fusion_grid(squad_store, embedder, grid_sets)
        print(grid_table(results["grid_squad"]))
    if "latency" in parts:
        api = cnn_archive(root, args.cnn_stories, out, settings)
        db = api.store.url
        api.close()
        results["latency"] = latency(db, args.searches, root, out)
        print(latency_table(results["latency"]))
    if "million" in parts:
        api = cnn_archive(root, args.cnn_stories, out, settings)
        db = million_archive(api, args.million, out, settings)
        api.close()
        results["latency_million"] = latency(db, args.searches, root, out)
        print(latency_table(results["latency_million"]))
    # Runs of some parts (--only) update their own figures and keep the others.
    path = out / f"retrieval-{args.split}.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    harness.write_json(path, {**previous, **results})


if __name__ == "__main__":
    harness.run(main)
