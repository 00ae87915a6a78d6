"""Choose the sentences a reader model sees, and number them for citation.

A question about one article that fits the prompt budget gets the whole article, in order:
the prompt then starts with the same tokens for every question about that article, so a
model that keeps its evaluated prefix reads the article once for all readers. Longer
articles and archive-wide questions get the best retrieved sentences with a neighbour each
side, grouped by article in reading order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..records import Article, ArticleSummary, Citation, Scope, Sentence
from ..retrieval.search import Retriever, SearchResult
from ..store.base import Store
from .request import Request

# Text addressed to a language model rather than to a reader. Such sentences are kept in the
# article but never shown to the model as evidence, so they cannot steer it.
INSTRUCTION_TO_MODEL = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|prompts?|rules)\b"
    r"|\b(?:system|developer)\s+(?:prompt|mode|message)\b"
    r"|\byou\s+are\s+now\b|\bas\s+an\s+ai\b|\bassistant\s*:",
    re.IGNORECASE,
)
# About 3,000 tokens: nearly every news article fits whole, with the task and the answer,
# in the 4,096-token context the local models run with.
ARTICLE_BUDGET_CHARS = 12_000
RANKED = 12
PASSAGE_HITS = 6


@dataclass
class Evidence:
    number: int  # how the prompt and the model refer to it, from 1
    article_id: str
    sentence: Sentence
    rank: int | None  # position in the retrieval ranking, None when not retrieved
    score: float  # fused retrieval score, 0 when not retrieved

    def citation(self) -> Citation:
        s = self.sentence
        return Citation(self.article_id, s.index, s.start, s.end, s.text)


@dataclass
class EvidenceSet:
    items: list[Evidence]
    ranked: list[SearchResult]
    whole_article: bool
    headers: dict[str, str] = field(default_factory=dict)  # per article: title, source and date

    def by_number(self, number: int) -> Evidence | None:
        return self.items[number - 1] if 1 <= number <= len(self.items) else None

    def find(self, article_id: str, sentence_index: int) -> Evidence | None:
        return next((i for i in self.items
                     if i.article_id == article_id and i.sentence.index == sentence_index), None)

    @property
    def top(self) -> Evidence | None:
        """The item retrieval ranks first."""
        return next((found for hit in self.ranked
                     if (found := self.find(hit.article_id, hit.sentence_index))), None)

    def neighbours(self, item: Evidence) -> list[Evidence]:
        """The item with the sentences just before and after it in the same article."""
        return [
            other for other in self.items
            if other.article_id == item.article_id
            and abs(other.sentence.index - item.sentence.index) <= 1
        ]


def fits_whole(sentences: list[Sentence]) -> bool:
    return sum(len(s.text) + 1 for s in sentences) <= ARTICLE_BUDGET_CHARS


def article_opening(article: Article) -> EvidenceSet:
    """The article from its start, as much as the budget holds (for tasks without a question)."""
    chosen, used = [], 0
    for sentence in article.sentences:
        used += len(sentence.text) + 1
        if used > ARTICLE_BUDGET_CHARS:
            break
        chosen.append((article.id, sentence))
    return _evidence_set(chosen, [], fits_whole(article.sentences), {article.id: header(article)})


def gather(request: Request, retriever: Retriever, store: Store) -> EvidenceSet:
    """The evidence for the request's question: one search, and the sentences around it."""
    question = request.resolved
    vector = request.vector(retriever.embedder) if retriever.embedder else None
    article = request.article
    if article is not None:
        ranked = retriever.search_article(question, article, RANKED, vector)
    else:
        ranked = retriever.search(question, request.scope, limit=RANKED, vector=vector)
    ranked = [r for r in ranked if not INSTRUCTION_TO_MODEL.search(r.text)]
    if article is not None and fits_whole(article.sentences):
        return _evidence_set([(article.id, s) for s in article.sentences], ranked, True,
                             {article.id: header(article)})
    chosen = _passages(ranked[:PASSAGE_HITS], request, retriever)
    return _evidence_set(chosen, ranked, False, _headers(request, store, [a for a, _ in chosen]))


def header(article: Article | ArticleSummary) -> str:
    """How the prompt introduces an article: its title, then where and when it appeared,
    which questions over several articles name ("the TechCrunch report of October 6")."""
    about = ", ".join(part for part in (article.source, (article.published or "")[:10]) if part)
    return " — ".join(part for part in (article.title or "", about) if part)


def _evidence_set(chosen: list[tuple[str, Sentence]], ranked: list[SearchResult], whole: bool,
                  headers: dict[str, str]) -> EvidenceSet:
    ranks = {(r.article_id, r.sentence_index): (i, r.score) for i, r in enumerate(ranked)}
    chosen = [(a, s) for a, s in chosen if not INSTRUCTION_TO_MODEL.search(s.text)]
    items = []
    for number, (article_id, sentence) in enumerate(chosen, start=1):
        rank, score = ranks.get((article_id, sentence.index), (None, 0.0))
        items.append(Evidence(number, article_id, sentence, rank, score))
    return EvidenceSet(items, ranked, whole, headers)


def _passages(hits: list[SearchResult], request: Request, retriever: Retriever) -> list[tuple[str, Sentence]]:
    wanted: dict[str, set[int]] = {}
    for hit in hits:
        wanted.setdefault(hit.article_id, set()).update(
            range(hit.sentence_index - 1, hit.sentence_index + 2))
    chosen = []
    for article_id, indexes in wanted.items():
        loaded = request.articles.get(article_id)
        sentences = loaded.sentences if loaded else retriever.cache.get(article_id)
        chosen += [(article_id, sentences[i]) for i in sorted(indexes) if 0 <= i < len(sentences)]
    return chosen


def _headers(request: Request, store: Store, article_ids: list[str]) -> dict[str, str]:
    ids = list(dict.fromkeys(article_ids))
    missing = [i for i in ids if i not in request.articles]
    listed = {a.id: a for a in store.list_articles(Scope(article_ids=missing))} if missing else {}
    known = {**listed, **request.articles}
    return {i: header(known[i]) if i in known else "" for i in ids}
