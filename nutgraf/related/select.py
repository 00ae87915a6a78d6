"""From checked questions to the few a reader sees: distinct, spread over the story, varied.

Greedy selection: each pick is the question with the best confidence and salience once the
parts of the article, the kinds of answer and the question words already shown are
discounted; no pick rewords an earlier one, shares its template or cites the same sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .filters import same_template

NEAR_DUPLICATE = 0.85  # cosine between question embeddings
SAME_PART = 0.6  # each question already shown from the same paragraph
# Each one already shown with the same kind of answer (phrase, list, quote, ...). Strong
# enough that a story full of quotes, whose answers are exact and rate high, still shows
# other kinds after the second quote.
SAME_KIND = 0.5
SAME_WORD = 0.8  # each one already shown starting with the same question word
WH_WORD = re.compile(r"^\s*(who|whom|whose|what|which|when|where|why|how)\b", re.IGNORECASE)
PREVIEW_CHARS = 200


@dataclass
class Verified:
    question: str
    answer_preview: str
    confidence: float
    citations: list[dict]
    paragraph: int  # of the first cited sentence
    kind: str  # the answer's kind: phrase, yes-no, list, explanation, quote, who-is, when
    form: str = ""  # what the question was written as: why, obstacle, next, quote, ...
    vector: np.ndarray = field(repr=False, default=None)

    @property
    def wh(self) -> str:
        match = WH_WORD.match(self.question)
        return match.group(1).lower() if match else "other"

    def to_dict(self) -> dict:
        return {"question": self.question, "answer_preview": self.answer_preview,
                "confidence": self.confidence, "citations": self.citations, "kind": self.kind}

    def to_record(self) -> dict:
        """What is kept of it in the store (its vector is made again on loading)."""
        return {**self.to_dict(), "paragraph": self.paragraph, "form": self.form}


def preview(answer: str) -> str:
    return answer if len(answer) <= PREVIEW_CHARS else answer[:PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"


def salience(paragraph: int) -> float:
    """Lede and nut graf first, without burying the rest of the story."""
    return 1.0 / (1.0 + 0.12 * paragraph)


def too_close(vector: np.ndarray, chosen: list[np.ndarray], threshold: float = NEAR_DUPLICATE) -> bool:
    return any(float(vector @ other) >= threshold for other in chosen)


def choose(pool: list[Verified], limit: int = 8, avoid: list[np.ndarray] | None = None,
           near_paragraph: int | None = None, asked: list[str] = ()) -> list[Verified]:
    """Up to ``limit`` questions from ``pool``; ``avoid`` holds vectors of questions already
    asked (``asked`` their text), ``near_paragraph`` favours the part of the story a reader
    just read about."""
    chosen: list[Verified] = []
    vectors = list(avoid or [])
    remaining = list(pool)
    while remaining and len(chosen) < limit:
        def score(item: Verified) -> float:
            value = item.confidence * salience(item.paragraph)
            if near_paragraph is not None:
                value *= 1.5 if abs(item.paragraph - near_paragraph) <= 1 else 1.0
            value *= SAME_PART ** sum(1 for c in chosen if c.paragraph == item.paragraph)
            value *= SAME_KIND ** sum(1 for c in chosen if c.kind == item.kind)
            value *= SAME_WORD ** sum(1 for c in chosen if c.wh == item.wh)
            return value

        remaining.sort(key=score, reverse=True)
        best = remaining.pop(0)
        if too_close(best.vector, vectors):
            continue
        if any(same_template(best.question, other) for other in [*asked, *(c.question for c in chosen)]):
            continue
        if any(_cited(best) & _cited(other) for other in chosen):
            continue  # one question per cited sentence keeps them from rewording each other
        chosen.append(best)
        vectors.append(best.vector)
    return chosen


def _cited(item: Verified) -> set[tuple[str, int]]:
    return {(c["article_id"], c["sentence_index"]) for c in item.citations}
