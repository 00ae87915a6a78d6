"""Question quality against human questions: BLEU-4 and ROUGE-L on the question-generation split.

    python -m benchmarks.question_generation --split test --limit 300

For each source sentence (spread evenly over the split) the related-questions generator
writes one question, in the form and with the prompt it uses for a sentence of an article
(the form the sentence's content invites); it is compared with
the human questions written for that sentence, which count as references together (as in
the split's own evaluation scripts). Both sides are lowercased and Treebank-tokenised, as the
references are. BLEU-4 is corpus BLEU (nltk), ROUGE-L the mean best F-measure (rouge-score).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

from nutgraf.answering.evidence import Evidence, EvidenceSet
from nutgraf.eval.datasets import detokenize_ptb
from nutgraf.llm import load_model
from nutgraf.records import Sentence
from nutgraf.related import generate
from nutgraf.settings import current

from . import harness


def load_pairs(folder: Path, split: str) -> dict[str, list[str]]:
    """Source sentence → its human questions, in the file's order."""
    sources = (folder / f"src-{split}.txt").read_text(encoding="utf-8").splitlines()
    questions = (folder / f"tgt-{split}.txt").read_text(encoding="utf-8").splitlines()
    references: dict[str, list[str]] = {}
    for source, question in zip(sources, questions):
        references.setdefault(source.strip(), []).append(question.strip())
    return references


def one_sentence(text: str) -> tuple[EvidenceSet, Evidence]:
    item = Evidence(1, "source", Sentence(0, 0, len(text), 0, text), None, 0.0)
    return EvidenceSet([item], [], True), item


def form_for(sentence: str) -> generate.Form:
    """The form the explore panel gives this sentence: the first whose signal it carries, else
    "what" (a sentence on its own introduces no list)."""
    signalled = (form for form in generate.FORMS if form.signal is not None and form.signal.search(sentence))
    return next(signalled, generate.FORM_BY_NAME["what"])


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"limit": 2, "model": harness.SMOKE_MODEL})
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--limit", type=int, default=300, help="source sentences, spread over the split")
    parser.add_model_option()
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    settings = current().with_values(model=args.model)
    references = load_pairs(harness.eval_path(settings, "question-generation"), args.split)
    TreebankWordTokenizer = harness.needs("nltk.tokenize").TreebankWordTokenizer
    corpus_bleu = harness.needs("nltk.translate.bleu_score").corpus_bleu
    rouge_scorer = harness.needs("rouge_score.rouge_scorer")

    sources = list(references)
    sources = sources[:: max(1, len(sources) // args.limit)][: args.limit]
    llm = load_model(settings.model, settings)
    tokenize = TreebankWordTokenizer().tokenize
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    rows, hypotheses, refs, rouge = [], [], [], []
    started = time.perf_counter()
    for source in tqdm(sources, desc="questions", unit="sentence", file=sys.stderr):
        evidence, item = one_sentence(detokenize_ptb(source))
        candidates = generate.from_model(llm, evidence, [(item, form_for(item.sentence.text))])
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
    harness.write_json(harness.out_dir(args) / f"question-generation-{args.split}.json",
                       {"summary": summary, "rows": rows})
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    harness.run(main)
