"""Answers without a generative model: the best sentence, and in it the phrase of the type
the question asks for (who → a person, where → a place, when → a date, how many → a number).
"""

from __future__ import annotations

import re

from ..analysis.analyzer import spacy_pipeline
from .spans import answer_in_question

QUESTION_TYPES = [
    (re.compile(r"^\s*(who|whom|whose)\b", re.I), {"PERSON", "ORG", "NORP", "GPE"}),
    (re.compile(r"^\s*where\b", re.I), {"GPE", "LOC", "FAC", "ORG"}),
    (re.compile(r"^\s*(when|what (year|date|day|time|month))\b", re.I), {"DATE", "TIME"}),
    (re.compile(r"^\s*how (many|much)\b", re.I), {"CARDINAL", "MONEY", "QUANTITY", "PERCENT"}),
    (re.compile(r"^\s*how (long|old)\b", re.I), {"DATE", "TIME", "QUANTITY", "CARDINAL"}),
    (re.compile(r"^\s*what (percentage|percent|share)\b", re.I), {"PERCENT"}),
]


DESCRIPTION = re.compile(r"^\s*(?i:who|what)\s+(?i:is|was|are|were)\s+[A-Z]")


def expected_labels(question: str) -> set[str] | None:
    """Entity labels that answer ``question``; None when the answer is a description."""
    if DESCRIPTION.search(question):
        return None  # "Who is Viktor Orban?" asks what he is, not for another name
    for pattern, labels in QUESTION_TYPES:
        if pattern.search(question):
            return labels
    return None


def typed_phrase(question: str, sentence: str) -> tuple[int, int] | None:
    """Offsets in ``sentence`` of the first entity of the asked-for type not named in the question."""
    labels = expected_labels(question)
    if labels is None:
        return None
    for ent in spacy_pipeline()(sentence).ents:
        if ent.label_ in labels and answer_in_question(ent.text, question) < 0.5:
            return ent.start_char, ent.end_char
    return None
