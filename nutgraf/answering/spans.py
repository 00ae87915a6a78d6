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


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole words."""
    while start > 0 and not text[start - 1].isspace() and not text[start].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace() and not text[end - 1].isspace():
        end += 1
    return start, end


def align(reply: str, sentence: str) -> Span | None:
    """The span of ``sentence`` closest to ``reply``, or None when nothing there is close."""
    reply = reply.strip(EDGE_PUNCTUATION)
    if not reply:
        return None
    found = sentence.lower().find(reply.lower())
    if found >= 0:
        return Span(*_trim(sentence, found, found + len(reply)), 1.0)
    match = fuzz.partial_ratio_alignment(reply.lower(), sentence.lower())
    if match is None or match.score < MIN_ALIGNMENT:
        return None
    # partial_ratio aligns the shorter string inside the longer one
    start, end = (match.dest_start, match.dest_end) if len(reply) <= len(sentence) else (0, len(sentence))
    start, end = _trim(sentence, *_word_bounds(sentence, start, end))
    return Span(start, end, match.score / 100) if end > start else None


def tidy(answer: str, question: str) -> str:
    """Drop a leading preposition a reader does not need ("in Budapest" for "Where ...?")."""
    if re.match(r"\s*(where|when)\b", question, re.IGNORECASE):
        stripped = LEADING_PREPOSITION.sub("", answer)
        return stripped or answer
    return answer


ENDINGS = ("ing", "ed", "es", "s", "e", "ly", "er")


def _stem(word: str) -> str:
    """The word without one common English ending ("waited", "waiting" → "wait")."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def same_word(a: str, b: str) -> bool:
    """Equal, or the same word with another ending ("last"/"lasted", "cycle"/"cycling")."""
    shorter, longer = sorted((a, b), key=len)
    return shorter == longer or (len(shorter) >= 4 and longer.startswith(shorter)) or \
        (len(shorter) >= 6 and longer[:6] == shorter[:6]) or _stem(a) == _stem(b)


def term_coverage(question: str, text: str) -> float:
    """Share of the question's content words that the text contains, endings aside."""
    terms = query_terms(question)
    if not terms:
        return 0.0
    present = query_terms(text)
    return sum(1 for t in terms if any(same_word(t, w) for w in present)) / len(terms)


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


def number_coverage(question: str, text: str) -> float:
    """Share of the question's numbers (years, counts) that the text contains (1 when it has none).

    "Who won the award in 2022?" is not answered by a sentence about 2021.
    """
    numbers = re.findall(r"\d+(?:[.,]\d+)*", question)
    if not numbers:
        return 1.0
    present = set(re.findall(r"\d+(?:[.,]\d+)*", text))
    return sum(1 for n in numbers if n in present) / len(numbers)


def answer_in_question(answer: str, question: str) -> float:
    """Share of the answer's content words already in the question (an echo, not an answer)."""
    words = query_terms(answer)
    if not words:
        return 1.0
    asked = set(query_terms(question))
    return sum(1 for w in words if w in asked) / len(words)


def agrees(answer: str, expected: str) -> bool:
    """Whether two answers name the same thing: half the content words of either are in the other."""
    return term_coverage(answer, expected) >= 0.5 or term_coverage(expected, answer) >= 0.5
