"""The check stage: every point of a draft must be said by the sentences it cites.

A point copied from its sentence is supported by construction, and that is verified, not
assumed. A point in other words (a date resolved against publication, a translation) must
agree with the cited text on every name and number, and, when a language model is there,
the model must say the cited sentences say it. An unsupported point is dropped; a draft
left with no point is an answer the pipeline withholds.
"""

from __future__ import annotations

import re
import unicodedata

from ..llm.base import LLM
from . import prompts
from .drafts import Draft, Point

# The model's probability, yes against no, that the cited sentences say a reworded claim.
# Half is the point where it leans towards yes; a rewording it doubts is not shown.
MIN_SUPPORT = 0.5
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")


def check(draft: Draft, llm: LLM | None = None) -> Draft:
    """The draft with only the points its citations support."""
    draft.points = [point for point in draft.points if point.items and supported(point, llm)]
    if not draft.points:
        draft.verdict = None
    return draft


def supported(point: Point, llm: LLM | None = None) -> bool:
    cited = " ".join(item.sentence.text for item in point.items)
    if _normal(point.claim) in _normal(cited):
        return True
    if not agrees(point.claim, cited):
        return False
    if llm is None:  # agreement is the whole check; a point said to be copied must be
        return not point.verbatim
    return prompts.support_probability(llm, [i.sentence.text for i in point.items], point.claim) >= MIN_SUPPORT


def agrees(claim: str, cited: str) -> bool:
    """Every number and every name of ``claim`` stands in ``cited``."""
    numbers = set(NUMBER.findall(cited))
    if any(n not in numbers for n in NUMBER.findall(claim)):
        return False
    lowered = _normal(cited)
    return all(name.lower().rstrip("’'s") in lowered for name in NAME.findall(claim))


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-"}))
    return " ".join(text.split())
