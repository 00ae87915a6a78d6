"""Question quality against human questions: BLEU-4 and ROUGE-L on the question-generation split.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/question_generation.py --split test --limit 300

For each source sentence (spread evenly over the split) the related-questions generator
writes one question, exactly as it does for a sentence of an article; it is compared with
the human questions written for that sentence, which count as references together (as in
the split's own evaluation scripts). Both sides are lowercased and Treebank-tokenised, as the
references are. BLEU-4 is corpus BLEU (nltk), ROUGE-L the mean best F-measure (rouge-score).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nutgraf.answering.evidence import Evidence, EvidenceSet  # noqa: E402
from nutgraf.errors import InputError  # noqa: E402
from nutgraf.eval.datasets import detokenize_ptb, eval_dir  # noqa: E402
from nutgraf.llm import load_model  # noqa: E402
from nutgraf.records import Sentence  # noqa: E402
from nutgraf.related import generate  # noqa: E402
from nutgraf.settings import DEFAULT_MODEL  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def load_pairs(split: str) -> dict[str, list[str]]:
    """Source sentence → its human questions, in the file's order."""
    folder = eval_dir() / "question-generation"
    sources = (folder / f"src-{split}.txt").read_text(encoding="utf-8").splitlines()
    questions = (folder / f"tgt-{split}.txt").read_text(encoding="utf-8").splitlines()
    references: dict[str, list[str]] = {}
    for source, question in zip(sources, questions):
        references.setdefault(source.strip(), []).append(question.strip())
    return references


def one_sentence(text: str) -> tuple[EvidenceSet, Evidence]:
    item = Evidence(1, "source", Sentence(0, 0, len(text), 0, text), None, 0.0)
    return EvidenceSet([item], [], True), item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--limit", type=int, default=300, help="source sentences, spread over the split")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    try:
        references = load_pairs(args.split)
    except (FileNotFoundError, InputError) as missing:
        print(f"skipped: {missing}")
        return
    from nltk.tokenize import TreebankWordTokenizer
    from nltk.translate.bleu_score import corpus_bleu
    from rouge_score import rouge_scorer

    sources = list(references)
    sources = sources[:: max(1, len(sources) // args.limit)][: args.limit]
    llm = load_model(args.model)
    tokenize = TreebankWordTokenizer().tokenize
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    rows, hypotheses, refs, rouge = [], [], [], []
    started = time.perf_counter()
    for source in tqdm(sources, desc="questions", unit="sentence", file=sys.stderr):
        evidence, item = one_sentence(detokenize_ptb(source))
        candidates = generate.from_model(llm, evidence, [item])
        question = candidates[0].question if candidates else ""
        hypothesis = " ".join(tokenize(question.lower()))
        hypotheses.append(hypothesis.split())
        refs.append([r.split() for r in references[source]])
        best = max(scorer.score(r, hypothesis)["rougeL"].fmeasure for r in references[source])
        rouge.append(best)
        rows.append({"source": source, "question": question, "references": references[source],
                     "rouge_l": round(best, 4)})
    summary = {
        "split": args.split, "model": llm.name, "sentences": len(sources),
        "bleu_4": round(100 * corpus_bleu(refs, hypotheses), 2),
        "rouge_l": round(100 * sum(rouge) / len(rouge), 2),
        "seconds_per_question": round((time.perf_counter() - started) / len(sources), 2),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"question-generation-{args.split}.json").write_text(
        json.dumps({"summary": summary, "rows": rows}, indent=1) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
