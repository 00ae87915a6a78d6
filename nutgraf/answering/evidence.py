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

from ..records import Scope, Sentence
from ..retrieval.search import Retriever, SearchResult
from ..store.base import Store

# Text addressed to a language model rather than to a reader. Such sentences are kept in the
# article but never shown to the model as evidence, so they cannot steer it.
INSTRUCTION_TO_MODEL = re.compile(
    r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|prompts?|rules)\b"
    r"|\b(?:system|developer)\s+(?:prompt|mode|message)\b"
    r"|\byou\s+are\s+now\b|\bas\s+an\s+ai\b|\bassistant\s*:",
    re.IGNORECASE,
)
ARTICLE_BUDGET_CHARS = 6_000  # about 1,500 tokens: most news articles fit whole
RANKED = 12
PASSAGE_HITS = 6


@dataclass
class Evidence:
    number: int  # how the prompt and the model refer to it, from 1
    article_id: str
    sentence: Sentence
    rank: int | None  # position in the retrieval ranking, None when not retrieved
    score: float  # fused retrieval score, 0 when not retrieved


@dataclass
class EvidenceSet:
    items: list[Evidence]
    ranked: list[SearchResult]
    whole_article: bool
    titles: dict[str, str | None] = field(default_factory=dict)

    def by_number(self, number: int) -> Evidence | None:
        return self.items[number - 1] if 1 <= number <= len(self.items) else None

    def neighbours(self, item: Evidence) -> list[Evidence]:
        """The item with the sentences just before and after it in the same article."""
        return [
            other for other in self.items
            if other.article_id == item.article_id
            and abs(other.sentence.index - item.sentence.index) <= 1
        ]


def fits_whole(sentences: list[Sentence]) -> bool:
    return sum(len(s.text) + 1 for s in sentences) <= ARTICLE_BUDGET_CHARS


def article_opening(article_id: str, retriever: Retriever, store: Store) -> EvidenceSet:
    """The article from its start, as much as the budget holds (for tasks without a question)."""
    chosen, used = [], 0
    for sentence in retriever.cache.get(article_id):
        used += len(sentence.text) + 1
        if used > ARTICLE_BUDGET_CHARS:
            break
        chosen.append((article_id, sentence))
    return _evidence_set(chosen, [], fits_whole(retriever.cache.get(article_id)), store)


def gather(question: str, scope: Scope, retriever: Retriever, store: Store) -> EvidenceSet:
    ranked = [r for r in retriever.search(question, scope, limit=RANKED)
              if not INSTRUCTION_TO_MODEL.search(r.text)]
    single = scope.article_ids[0] if scope.article_ids and len(scope.article_ids) == 1 else None
    sentences = retriever.cache.get(single) if single else []
    if single and fits_whole(sentences):
        return _evidence_set([(single, s) for s in sentences], ranked, True, store)
    return _evidence_set(_passages(ranked[:PASSAGE_HITS], retriever), ranked, False, store)


def _evidence_set(chosen: list[tuple[str, Sentence]], ranked: list[SearchResult], whole: bool,
                  store: Store) -> EvidenceSet:
    ranks = {(r.article_id, r.sentence_index): (i, r.score) for i, r in enumerate(ranked)}
    chosen = [(a, s) for a, s in chosen if not INSTRUCTION_TO_MODEL.search(s.text)]
    items = []
    for number, (article_id, sentence) in enumerate(chosen, start=1):
        rank, score = ranks.get((article_id, sentence.index), (None, 0.0))
        items.append(Evidence(number, article_id, sentence, rank, score))
    titles = {a: _title(store, a) for a in dict.fromkeys(a for a, _ in chosen)}
    return EvidenceSet(items, ranked, whole, titles)


def _passages(hits: list[SearchResult], retriever: Retriever) -> list[tuple[str, Sentence]]:
    wanted: dict[str, set[int]] = {}
    for hit in hits:
        wanted.setdefault(hit.article_id, set()).update(
            range(hit.sentence_index - 1, hit.sentence_index + 2))
    chosen = []
    for article_id, indexes in wanted.items():
        sentences = retriever.cache.get(article_id)
        chosen += [(article_id, sentences[i]) for i in sorted(indexes) if 0 <= i < len(sentences)]
    return chosen


def _title(store: Store, article_id: str) -> str | None:
    summary = next(iter(store.list_articles(Scope(article_ids=[article_id]))), None)
    return summary.title if summary else None
