"""Key points (the overview answer, the explore panel's "In short") on CNN/DailyMail articles,
scored against their reference highlights, beside the lead-3 baseline from the same script.

    python -m benchmarks.overview --split report
    python -m benchmarks.overview --split tune --show 5

ROUGE-1/2/L F1 (Google's rouge-score, with stemming), the way See et al. (2017) report
lead-3 at 40.3 / 17.7 / 36.6 on the whole test split. No language model is used: the key
points are sentences of the article. It also counts the bullets that are word for word in
the sentence they cite and the articles whose bullets come from paragraphs of their own (a
text without paragraph breaks: sentences of their own). Rows go to
benchmarks/out/overview-<split>.jsonl.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.answering.overview import KEY_POINTS, bullet_text, key_points
from nutgraf.eval.datasets import detokenize_ptb
from nutgraf.records import Document
from nutgraf.settings import current

from . import harness

SPLITS = {"tune": slice(0, 100), "report": slice(100, 200)}


def pairs(folder: Path, split: str, limit: int | None) -> list[tuple[str, str]]:
    articles = (folder / "articles.txt").read_text(encoding="utf-8").splitlines()
    highlights = (folder / "highlights.txt").read_text(encoding="utf-8").splitlines()
    return list(zip(articles, highlights))[SPLITS[split]][:limit]


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"limit": 3, "show": 1})
    parser.add_argument("--split", choices=list(SPLITS), default="report")
    parser.add_argument("--limit", type=int, help="only the split's first N articles")
    parser.add_argument("--show", type=int, default=0, help="print this many articles' bullets")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current()
    rouge_scorer = harness.needs("rouge_score.rouge_scorer")
    data = pairs(harness.eval_path(settings, "cnndm"), args.split, args.limit)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = {"nutgraf": [0.0, 0.0, 0.0], "lead-3": [0.0, 0.0, 0.0]}
    bullets = in_their_sentence = spread = 0
    rows = harness.out_dir(args) / f"overview-{args.split}.jsonl"
    with tempfile.TemporaryDirectory() as folder, rows.open("w") as sink:
        nutgraf = Nutgraf(str(Path(folder) / "cnndm.db"), settings=settings.with_values(model="none"))
        for number, (text, highlights) in enumerate(data):
            [outcome] = nutgraf.ingest_documents([Document(text=text, origin=f"cnndm#{number}")])
            article = nutgraf.article(outcome.article_id)
            reference = detokenize_ptb(highlights)
            spans = key_points(article)
            ours = [bullet_text(span) for span in spans]
            lead = [s.text for s in article.sentences[:3]]
            row = {"line": number + SPLITS[args.split].start + 1, "key_points": ours,
                   "cited": [span.sentence.index for span in spans]}
            bullets += len(spans)
            in_their_sentence += sum(text.lower() in span.sentence.text.lower() for text, span in zip(ours, spans))
            spread += len(_parts(article, spans)) == len(spans)
            for name, summary in (("nutgraf", ours), ("lead-3", lead)):
                scores = scorer.score(reference, "\n".join(summary))
                values = [scores[key].fmeasure for key in ("rouge1", "rouge2", "rougeL")]
                totals[name] = [t + v for t, v in zip(totals[name], values)]
                row[name] = [round(v, 4) for v in values]
            sink.write(json.dumps(row) + "\n")
            if number < args.show:
                print(f"\n#{row['line']} reference: {reference}")
                for bullet, index in zip(ours, row["cited"]):
                    print(f"  [{index}] {bullet}")
    print(f"\nCNN/DailyMail {args.split}, {len(data)} articles, ROUGE F1 x 100 (1 / 2 / L):")
    for name, values in totals.items():
        print(f"  {name:8} " + " / ".join(f"{100 * v / len(data):.1f}" for v in values))
    print(f"bullets word for word in their cited sentence: {in_their_sentence} of {bullets}; "
          f"articles with every bullet from a paragraph of its own: {spread} of {len(data)}")


def _parts(article, spans) -> set[int]:
    """The parts of the story the bullets come from: paragraphs, or sentences in a text without any."""
    paragraphs = {s.paragraph for s in article.sentences}
    if len(paragraphs) < KEY_POINTS:
        return {span.sentence.index for span in spans}
    return {span.sentence.paragraph for span in spans}


if __name__ == "__main__":
    harness.run(main)
