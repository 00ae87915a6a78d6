"""The explore panel on NewsQA's stories: how many of the questions people asked about a story
its shown questions cover, what kinds they are, whether they answer again, and how long
preparing an article takes.

    python -m benchmarks.related --split tune --stories 30      # chooses the cosine
    python -m benchmarks.related --split report --stories 60 --cosine 0.8
    python -m benchmarks.related --sample                       # the sample article

NewsQA's questions were written by people who saw only a story's headline and highlights:
what readers wonder about it. A human question counts as covered when one of the story's
shown questions (up to 8, its own, not bridges) cites the sentence that holds the human
question's answer, or is within ``--cosine`` of it (MiniLM). On the tune split the script
prints, for each cosine, how often pairs that close share their answer sentence, which is
how the threshold is chosen. Every shown question is then asked again through
``Nutgraf.ask``: answered (graded "answer") with a citation, or not. Rows go to
benchmarks/out/related-<split>.jsonl as they come (``--resume`` carries on).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from nutgraf import Nutgraf
from nutgraf.eval import datasets, metrics
from nutgraf.records import Document
from nutgraf.settings import current

from . import harness

FACTOID = {"phrase", "who-is", "when"}  # the rest (why, how, what next, quotes, lists) is not


def stories(split: str, count: int, folder: Path) -> list[tuple[Document, list]]:
    """The split's stories with their human questions, those with the most questions first
    (in order of appearance among equals)."""
    by_story: dict[int, tuple[Document, list]] = {}
    for item in datasets.load("newsqa", split, folder).items:
        document = item.documents[0]
        by_story.setdefault(id(document), (document, []))[1].append(item)
    ranked = sorted(by_story.values(), key=lambda pair: -len(pair[1]))
    return ranked[:count]


def answer_sentence(article, answer: str) -> int | None:
    wanted = metrics.normalize_answer(answer)
    for sentence in article.sentences:
        if wanted and wanted in metrics.normalize_answer(sentence.text):
            return sentence.index
    return None


def measure(nutgraf: Nutgraf, document: Document, humans: list) -> dict:
    [outcome] = nutgraf.ingest_documents([document])
    started = time.perf_counter()
    nutgraf.prepare(outcome.article_id)
    prepared = time.perf_counter() - started
    article = nutgraf.article(outcome.article_id)
    panel = nutgraf.related(outcome.article_id)
    shown = [q for q in panel["questions"] if not q["bridge"]]
    again = [nutgraf.ask(q["question"], article_id=article.id) for q in shown]
    embedder = nutgraf.retriever.embedder
    human_vectors = embedder.embed([h.question for h in humans])
    shown_vectors = embedder.embed([q["question"] for q in shown]) if shown else np.zeros((0, 384))
    pairs = []
    for human, vector in zip(humans, human_vectors):
        gold = answer_sentence(article, human.answers[0])
        for question, shown_vector in zip(shown, shown_vectors):
            pairs.append({"human": human.question, "shown": question["question"],
                          "cosine": round(float(vector @ shown_vector), 4),
                          "same_sentence": gold is not None and gold == question["citations"][0]["sentence_index"]})
    return {"article_id": article.id, "sentences": len(article.sentences), "prepare_seconds": round(prepared, 2),
            "key_points": panel["key_points"], "humans": [h.question for h in humans],
            "shown": [{"question": q["question"], "kind": q["kind"], "preview": q["answer_preview"],
                       "cited": q["citations"][0]["sentence_index"],
                       "answers_again": a.grade == "answer" and bool(a.citations)} for q, a in zip(shown, again)],
            "pairs": pairs}


def covered(row: dict, cosine: float) -> int:
    return sum(any(p["same_sentence"] or p["cosine"] >= cosine for p in row["pairs"] if p["human"] == human)
               for human in row["humans"])


def report(rows: list[dict], cosine: float) -> None:
    humans = sum(len(r["humans"]) for r in rows)
    shown = [q for r in rows for q in r["shown"]]
    print(f"{len(rows)} stories, {humans} human questions, {len(shown)} shown questions "
          f"({len(shown) / max(1, len(rows)):.1f} a story)")
    by_sentence = sum(covered(r, 2.0) for r in rows)
    print(f"coverage: {sum(covered(r, cosine) for r in rows) / humans:.1%} at cosine {cosine} "
          f"({by_sentence / humans:.1%} by answer sentence alone)")
    print(f"not factoid: {sum(q['kind'] not in FACTOID for q in shown) / max(1, len(shown)):.1%}; "
          f"kinds {dict((k, sum(q['kind'] == k for q in shown)) for k in sorted({q['kind'] for q in shown}))}")
    print(f"answered again with a citation: {sum(q['answers_again'] for q in shown) / max(1, len(shown)):.1%}")
    seconds = [r["prepare_seconds"] for r in rows]
    print(f"prepare: p50 {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s")


def cosine_table(rows: list[dict]) -> None:
    """For each cosine: pairs at least that close, and the share of them that share their
    answer sentence (the threshold is where a match is more often the same question)."""
    pairs = [p for r in rows for p in r["pairs"]]
    print("| cosine at least | pairs | share with the same answer sentence |\n|---|---|---|")
    for cosine in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        close = [p for p in pairs if p["cosine"] >= cosine]
        share = sum(p["same_sentence"] for p in close) / len(close) if close else float("nan")
        print(f"| {cosine} | {len(close)} | {share:.2f} |")


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"split": "tune", "stories": 1, "model": harness.SMOKE_MODEL})
    parser.add_argument("--split", choices=datasets.SPLITS, default="report")
    parser.add_argument("--stories", type=int, default=60)
    parser.add_argument("--cosine", type=float, default=0.8)
    parser.add_model_option()
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--sample", action="store_true", help="print the sample article's panel")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    with tempfile.TemporaryDirectory() as folder:
        nutgraf = Nutgraf(str(Path(folder) / "related.db"), settings=settings)
        if args.sample:
            return sample(nutgraf)
        chosen = stories(args.split, args.stories, harness.eval_path(settings))
        out = harness.out_dir(args) / f"related-{args.split}.jsonl"
        rows = [json.loads(line) for line in out.read_text().splitlines()] if args.resume and out.exists() else []
        with out.open("a" if args.resume else "w") as sink:
            for document, humans in tqdm(chosen[len(rows):], desc="stories", file=sys.stderr):
                row = measure(nutgraf, document, humans)
                rows.append(row)
                sink.write(json.dumps(row) + "\n")
                sink.flush()
    report(rows, args.cosine)
    if args.split == "tune":
        cosine_table(rows)


def sample(nutgraf: Nutgraf) -> None:
    [outcome] = nutgraf.ingest([str(harness.sample_article())])
    started = time.perf_counter()
    nutgraf.prepare(outcome.article_id)
    print(f"prepared in {time.perf_counter() - started:.1f} s")
    panel = nutgraf.related(outcome.article_id)
    print("In short:")
    for point in panel["key_points"]:
        print(f"- {point['text']} [{point['citations'][0]['sentence_index']}]")
    print("Questions:")
    for item in panel["questions"]:
        again = nutgraf.ask(item["question"], article_id=outcome.article_id)
        print(f"- {item['question']} ({item['kind']}) → {item['answer_preview']} "
              f"[{item['citations'][0]['sentence_index']}]{'' if again.grade == 'answer' else ' (NOT ANSWERED AGAIN)'}")


if __name__ == "__main__":
    harness.run(main)
