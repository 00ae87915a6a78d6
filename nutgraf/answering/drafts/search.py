"""Drafts without a language model: the best retrieved sentence, and in it the phrase of the
type the question asks for."""

from __future__ import annotations

from ...records import Article, Kind
from ..evidence import EvidenceSet
from ..extractive import expected_labels, typed_phrase
from ..kinds import Asked
from ..spans import tidy
from ..structures import best_clause, readable
from .article import bullets_of
from .draft import Draft, Point, Source

SHORT_KINDS = (Kind.PHRASE, Kind.WHEN, Kind.WHO_IS)


def from_search(question: str, asked: Asked, evidence: EvidenceSet, article: Article | None) -> Draft:
    top = evidence.top
    # A sentence or list offered whole is of the asked-for type; only phrases are typed.
    draft = Draft(asked.kind, chosen=top, source=Source.SEARCH, features={"typed_span": 1.0})
    if top is None:
        return draft
    if asked.kind in SHORT_KINDS:
        span = typed_phrase(question, top.sentence.text)
        typed = span is not None or expected_labels(question) is None
        start, end = span or (0, len(top.sentence.text))
        draft.span, draft.features["typed_span"] = (start, end), float(typed)
        draft.points = [Point(tidy(top.sentence.text[start:end], question), [top])]
        return draft
    if asked.kind == Kind.YES_NO:
        return draft  # no verdict without a model: at best the sentence that comes closest
    # A list answers a question asking for a list or an explanation, never one asking "how
    # many" or "who": those want a phrase of their type, which a list of items is not.
    if article is not None and (listed := bullets_of(article, top, evidence)):
        draft.kind, draft.points = Kind.LIST, listed
        return draft
    draft.points = [Point(readable(best_clause(question, top.sentence)), [top])]
    return draft
