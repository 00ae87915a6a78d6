"""From verified questions to the few a reader sees: distinct, spread over the story, varied.

Greedy selection: each pick is the question with the best confidence and salience once the
parts of the article and the kinds of question already shown are discounted, and no pick is
a near-rewording of an earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

NEAR_DUPLICATE = 0.85  # cosine between question embeddings
WH_WORD = re.compile(r"^\s*(who|whom|whose|what|which|when|where|why|how)\b", re.IGNORECASE)


@dataclass
class Verified:
    question: str
    answer_preview: str
    confidence: float
    citations: list[dict]
    paragraph: int  # of the first cited sentence
    kind: str
    vector: np.ndarray = field(repr=False, default=None)

    @property
    def wh(self) -> str:
        match = WH_WORD.match(self.question)
        return match.group(1).lower() if match else "other"

    def to_dict(self) -> dict:
        return {"question": self.question, "answer_preview": self.answer_preview,
                "confidence": self.confidence, "citations": self.citations, "kind": self.kind}


def salience(paragraph: int) -> float:
    """Lede and nut graf first, without burying the rest of the story."""
    return 1.0 / (1.0 + 0.12 * paragraph)


def too_close(vector: np.ndarray, chosen: list[np.ndarray], threshold: float = NEAR_DUPLICATE) -> bool:
    return any(float(vector @ other) >= threshold for other in chosen)


def choose(pool: list[Verified], limit: int = 8, avoid: list[np.ndarray] | None = None,
           near_paragraph: int | None = None) -> list[Verified]:
    """Up to ``limit`` questions from ``pool``; ``avoid`` holds vectors of questions already
    asked, ``near_paragraph`` favours the part of the story a reader just read about."""
    chosen: list[Verified] = []
    vectors = list(avoid or [])
    remaining = list(pool)
    while remaining and len(chosen) < limit:
        def score(item: Verified) -> float:
            value = item.confidence * salience(item.paragraph)
            if near_paragraph is not None:
                value *= 1.5 if abs(item.paragraph - near_paragraph) <= 1 else 1.0
            value *= 0.6 ** sum(1 for c in chosen if c.paragraph == item.paragraph)
            value *= 0.8 ** sum(1 for c in chosen if c.wh == item.wh)
            return value

        remaining.sort(key=score, reverse=True)
        best = remaining.pop(0)
        if too_close(best.vector, vectors):
            continue
        cited = {(c["article_id"], c["sentence_index"]) for c in best.citations}
        if any(cited & {(c["article_id"], c["sentence_index"]) for c in other.citations} for other in chosen):
            continue  # one question per cited sentence keeps them from rewording each other
        chosen.append(best)
        vectors.append(best.vector)
    return chosen
