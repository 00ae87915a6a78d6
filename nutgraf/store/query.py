"""Free text to a safe FTS5 MATCH expression.

Readers type questions, not query syntax: quotes, colons or a stray ``NOT`` must never
reach FTS5 as operators, and question words would only add noise to BM25.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves tell say said says according article story did does what's who's where's when's
    how's that's it's there's here's""".split()
)


def query_terms(text: str) -> list[str]:
    """Content words of ``text``, lowercased, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        word = word.replace("’", "'")  # "What’s" is "what's", a question word
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


def fts_match_expression(text: str) -> str:
    terms = query_terms(text)
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
