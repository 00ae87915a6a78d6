"""Related questions on the sample article and CNN stories: answerability, distinctness,
coverage and time to have them ready after ingest.

    .venv/bin/python benchmarks/related.py --stories 50 [--model qwen2.5-1.5b] [--resume]

Each article is ingested into a fresh SQLite store, its related questions are computed
(the time from the end of ingest until they are ready is the figure reported), and every
shown question is then asked again through ``Nutgraf.ask``:
- answerability: the share of shown questions answered with a citation;
- distinctness: the highest cosine between two shown questions (MiniLM);
- coverage: the share of the article's paragraphs cited by a shown question (the CNN
  stories carry no paragraph breaks, so for every article the share of its fifths, by
  sentence position, is reported too).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest import STORIES, cnn_documents  # noqa: E402

from nutgraf import Nutgraf  # noqa: E402
from nutgraf.records import Document  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "budapest-summit.txt"
OUT = ROOT / "benchmarks" / "out"
PARTS = 5


def measure(nutgraf: Nutgraf, document: Document) -> dict:
    [outcome] = nutgraf.ingest_documents([document])
    article = nutgraf.article(outcome.article_id)
    started = time.perf_counter()
    questions = nutgraf.related(article.id)["questions"]
    ready = time.perf_counter() - started
    cached_started = time.perf_counter()
    nutgraf.related(article.id)
    cached = time.perf_counter() - cached_started
    shown = [q for q in questions if q.get("article_id", article.id) == article.id]
    answered = 0
    for item in shown:
        answer = nutgraf.ask(item["question"], article_id=article.id)
        answered += bool(answer.answerable and answer.citations)
    cited = {c["sentence_index"] for q in shown for c in q["citations"]}
    paragraphs = {s.paragraph for s in article.sentences}
    vectors = nutgraf.retriever.embedder.embed([q["question"] for q in shown]) if len(shown) > 1 else None
    return {
        "origin": document.origin, "sentences": len(article.sentences),
        "shown": len(shown), "answered": answered,
        "max_cosine": _max_cosine(vectors),
        "paragraphs": len(paragraphs),
        "paragraphs_cited": len({article.sentences[i].paragraph for i in cited}),
        "parts_cited": len({i * PARTS // len(article.sentences) for i in cited}),
        "ready_seconds": round(ready, 2), "cached_ms": round(cached * 1000, 1),
        "questions": [{"question": q["question"], "answer_preview": q["answer_preview"],
                       "kind": q["kind"]} for q in shown],
    }


def _max_cosine(vectors: np.ndarray | None) -> float | None:
    if vectors is None:
        return None
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    return round(float(similarity.max()), 3)


def summarize(rows: list[dict]) -> dict:
    shown = sum(r["shown"] for r in rows)
    cosines = [r["max_cosine"] for r in rows if r["max_cosine"] is not None]
    return {
        "articles": len(rows),
        "shown_mean": round(shown / len(rows), 2),
        "with_5_or_more": sum(r["shown"] >= 5 for r in rows),
        "answerability": round(sum(r["answered"] for r in rows) / max(1, shown), 3),
        "max_cosine_highest": max(cosines, default=None),
        "max_cosine_mean": round(statistics.mean(cosines), 3) if cosines else None,
        "paragraph_coverage": round(statistics.mean(r["paragraphs_cited"] / r["paragraphs"] for r in rows), 3),
        "fifths_coverage": round(statistics.mean(r["parts_cited"] / PARTS for r in rows), 3),
        "ready_seconds_p50": round(statistics.median(r["ready_seconds"] for r in rows), 1),
        "ready_seconds_max": max(r["ready_seconds"] for r in rows),
        "cached_ms_p50": round(statistics.median(r["cached_ms"] for r in rows), 1),
    }


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=50, help="CNN stories after the sample article")
    parser.add_argument("--model", default=DEFAULT_MODEL, help='a packaged model, a GGUF path or "none"')
    parser.add_argument("--resume", action="store_true",
                        help="keep the articles already measured in out/related-MODEL.jsonl")
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"skipped: {SAMPLE} is absent")
        return
    documents = [Document(text=SAMPLE.read_text(encoding="utf-8"), origin="budapest-summit.txt")]
    if args.stories and STORIES.exists():
        documents += cnn_documents(args.stories)
    elif args.stories:
        print(f"{STORIES} is absent: the sample article only")
    rows_file = OUT / f"related-{args.model}.jsonl"
    rows = _rows(rows_file) if args.resume else []
    done = {row["origin"] for row in rows}
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, rows_file.open("a" if args.resume else "w") as out:
        todo = [d for d in documents if d.origin not in done]
        for n, document in enumerate(tqdm(todo, desc="articles", unit="article", file=sys.stderr)):
            # A fresh store per article: no other article's pool to borrow from, and every
            # article starts cold, as it does right after its ingest.
            nutgraf = Nutgraf(Path(folder) / f"{n}.db", model=args.model)
            rows.append(measure(nutgraf, document))
            out.write(json.dumps(rows[-1]) + "\n")
            out.flush()  # an interrupted run keeps what it measured
    order = {d.origin: n for n, d in enumerate(documents)}
    rows = sorted((r for r in rows if r["origin"] in order), key=lambda r: order[r["origin"]])
    result = {"model": args.model, "sample": summarize(rows[:1]),
              "stories": summarize(rows[1:]) if len(rows) > 1 else None,
              # of this process, so only when it measured articles itself
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024) if todo else None,
              "rows": rows}
    (OUT / f"related-{args.model}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
