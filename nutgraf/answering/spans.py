"""Short answers as spans of the cited text, and the checks that they are supported.

Whatever a model writes, nutgraf answers with words that stand in a cited sentence: the
reply is aligned to the closest span of the evidence, which rules out invented names and
numbers and makes every citation point at the words it supports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..store.query import query_terms

TOKEN = re.compile(r"\S+")
EDGE_PUNCTUATION = " \t\n.,;:!?\"'“”‘’()[]"
LEADING_PREPOSITION = re.compile(r"^(?:in|on|at|by|from|since|during|for)\s+", re.IGNORECASE)
MIN_ALIGNMENT = 70.0  # rapidfuzz ratio (0-100) for a reply that is not verbatim


@dataclass
class Span:
    start: int  # offsets into the sentence text
    end: int
    alignment: float  # 0-1: how closely the reply matched these words


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in EDGE_PUNCTUATION:
        start += 1
    while end > start and text[end - 1] in EDGE_PUNCTUATION:
        end -= 1
    return start, end


def align(reply: str, sentence: str) -> Span | None:
    """The span of ``sentence`` closest to ``reply``, or None when nothing there is close."""
    reply = reply.strip(EDGE_PUNCTUATION)
    if not reply:
        return None
    found = sentence.lower().find(reply.lower())
    if found >= 0:
        return Span(*_trim(sentence, found, found + len(reply)), 1.0)
    tokens = [(m.start(), m.end()) for m in TOKEN.finditer(sentence)]
    width = len(reply.split())
    best: tuple[float, int, int] | None = None
    for size in range(max(1, width - 2), width + 3):
        for i in range(0, max(1, len(tokens) - size + 1)):
            start, end = tokens[i][0], tokens[min(i + size, len(tokens)) - 1][1]
            score = fuzz.ratio(reply.lower(), sentence[start:end].lower().strip(EDGE_PUNCTUATION))
            if best is None or score > best[0]:
                best = (score, start, end)
    if best is None or best[0] < MIN_ALIGNMENT:
        return None
    return Span(*_trim(sentence, best[1], best[2]), best[0] / 100)


def tidy(answer: str, question: str) -> str:
    """Drop a leading preposition a reader does not need ("in Budapest" for "Where ...?")."""
    if re.match(r"\s*(where|when)\b", question, re.IGNORECASE):
        stripped = LEADING_PREPOSITION.sub("", answer)
        return stripped or answer
    return answer


def _stem(word: str) -> str:
    return word[:5]


def term_coverage(question: str, text: str) -> float:
    """Share of the question's content words that the text contains (prefix-stemmed)."""
    terms = {_stem(t) for t in query_terms(question)}
    if not terms:
        return 0.0
    present = {_stem(t) for t in query_terms(text)}
    return len(terms & present) / len(terms)


def names_in(text: str) -> set[str]:
    """Capitalised words that are not sentence-initial: a cheap stand-in for names."""
    words = re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+", text)
    return {w.lower().rstrip("’'s") for w in words}


def name_coverage(question: str, text: str) -> float:
    """Share of names in the question that appear in the text (1 when the question has none).

    Unanswerable questions are often built by swapping a name into an answerable one.
    """
    names = names_in(question)
    if not names:
        return 1.0
    lowered = text.lower()
    return sum(1 for n in names if n in lowered) / len(names)


def answer_in_question(answer: str, question: str) -> float:
    """Share of the answer's content words already in the question (an echo, not an answer)."""
    words = query_terms(answer)
    if not words:
        return 1.0
    asked = set(query_terms(question))
    return sum(1 for w in words if w in asked) / len(words)
