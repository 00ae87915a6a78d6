"""Drafts read off the article's own structures, found at ingest: its key points, the words
its people said, the titles it gives them, its dates and its bulleted lists. They are exact
spans of the article, so they are grounded by construction."""

from __future__ import annotations

from ...records import Article, Kind, Quote
from ...retrieval.embedder import Embedder
from ..evidence import Evidence, EvidenceSet
from ..kinds import Asked
from ..overview import bullet_text, key_points
from ..request import Request
from ..spans import term_coverage
from ..structures import (bullet_items, description, list_intro, quote_sentences, quotes_of, readable, reported_span,
                          statements_of, when_phrase)
from .draft import Draft, Point, Source

QUOTES_SHOWN = 2


def from_structures(request: Request, asked: Asked, evidence: EvidenceSet,
                    embedder: Embedder | None, with_model: bool = False) -> Draft | None:
    article = request.article
    if article is None:
        return None
    if asked.kind == Kind.OVERVIEW:
        return overview(article, evidence)
    if asked.kind == Kind.QUOTE and asked.subject is not None:
        return quoted(article, asked, evidence)
    if asked.kind == Kind.LIST and (listed := bulleted(article, evidence, request.resolved)) is not None:
        return listed
    if asked.kind == Kind.WHO_IS and asked.subject is not None:
        span = description(article, asked.subject)
        if span is not None and (item := evidence.find(article.id, span.sentence.index)):
            return Draft(Kind.WHO_IS, [Point(span.text, [item])], chosen=item, source=Source.ARTICLE,
                         span=(span.start, span.end))
    if asked.kind == Kind.WHEN and not with_model:
        # A model chooses the sentence that says when (its words resolved the same way);
        # without one, the date of the sentence retrieval ranks first is the best guess.
        return dated(article, evidence, request.resolved)
    return None


def dated(article: Article, evidence: EvidenceSet, question: str) -> Draft | None:
    """The one date the best sentence for a "when" question gives, resolved."""
    top = evidence.top
    if top is None:
        return None
    found = [t for t in article.times if t.sentence_index == top.sentence.index
             and t.text.lower() not in question.lower()]
    days = [t for t in found if t.resolved] or found  # a day over a duration ("three years")
    if len(days) != 1:
        return None  # none, or several to choose from
    expression = days[0]
    start = expression.start - top.sentence.start
    return Draft(Kind.WHEN, [Point(when_phrase(expression), [top], verbatim=False, claim=expression.text)],
                 chosen=top, source=Source.SEARCH, span=(start, start + len(expression.text)),
                 features={"typed_span": 1.0})


def bulleted(article: Article, evidence: EvidenceSet, question: str) -> Draft | None:
    """A list question whose best sentence is a bulleted list of the article, or the line that
    introduces one ("thorny issues remain regarding:"): the bullets are the answer, as written."""
    top = evidence.top
    if top is None or top.rank != 0:
        return None
    intro = list_intro(article.sentences, top.sentence.index)
    points = bullets_of(article, top, evidence)
    listed = " ".join([article.sentences[intro].text, *(p.text for p in points)]) if intro is not None else ""
    if not points or term_coverage(question, listed) == 0:
        return None
    chosen = evidence.find(article.id, intro) or top
    return Draft(Kind.LIST, points, chosen=chosen, source=Source.ARTICLE)


def overview(article: Article, evidence: EvidenceSet) -> Draft | None:
    points = []
    for span in key_points(article):
        if item := evidence.find(article.id, span.sentence.index):
            points.append(Point(bullet_text(span), [item]))
    if not points:
        return None
    return Draft(Kind.OVERVIEW, points, chosen=points[0].items[0], source=Source.ARTICLE)


def quote_context(article: Article, quote: Quote) -> str:
    """The quote's sentences and the one before: "said the bridge would connect ... “This is
    the missing link”" is about the bridge though the quoted words never name it."""
    sentences = quote_sentences(article, quote)
    before = [article.sentences[sentences[0].index - 1]] if sentences and sentences[0].index > 0 else []
    return " ".join(s.text for s in before + sentences)


def quoted(article: Article, asked: Asked, evidence: EvidenceSet) -> Draft | None:
    """The speaker's own words, else what the story reports they said; about the asked topic
    first when the question names one."""
    quotes = _on_topic(article, quotes_of(article, asked.subject), asked.topic)
    if quotes:
        points = [_quote_point(article, quote, evidence) for quote in quotes[:1 if asked.topic else QUOTES_SHOWN]]
    else:
        statements = _on_topic(article, statements_of(article, asked.subject), asked.topic)
        points = [_statement_point(article, statement, asked.subject, evidence)
                  for statement in statements[:1 if asked.topic else QUOTES_SHOWN]]
    points = [point for point in points if point is not None]
    if not points:
        return None
    return Draft(Kind.QUOTE, points, chosen=points[0].items[0], source=Source.ARTICLE)


def _on_topic(article: Article, quotes: list[Quote], topic: str) -> list[Quote]:
    """The quotes on the topic; else the ones said right where the topic is named."""
    if not topic:
        return quotes
    return [q for q in quotes if term_coverage(topic, q.text) > 0] or \
        [q for q in quotes if term_coverage(topic, quote_context(article, q)) > 0]


def _quote_point(article: Article, quote: Quote, evidence: EvidenceSet) -> Point | None:
    items = [i for s in quote_sentences(article, quote) if (i := evidence.find(article.id, s.index))]
    words = quote.text.strip().rstrip(",")
    return Point(f"“{words}”", items, claim=words) if items else None


def _statement_point(article: Article, statement: Quote, speaker, evidence: EvidenceSet) -> Point | None:
    """"The Kremlin warned that any U.S. decision ... would be seen as a provocation": who said
    what in the sentence's own words, not in quotation marks, since they are not theirs."""
    item = evidence.find(article.id, statement.sentence_index)
    return Point(readable(reported_span(article, statement, speaker)), [item]) if item else None


def bullets_of(article: Article, item: Evidence, evidence: EvidenceSet) -> list[Point]:
    """The bulleted list the item introduces or belongs to, one point per bullet."""
    intro = list_intro(article.sentences, item.sentence.index)
    if intro is None:
        return []
    points = []
    for span in bullet_items(article.sentences, intro):
        if cited := evidence.find(article.id, span.sentence.index):
            points.append(Point(readable(span), [cited]))
    return points
