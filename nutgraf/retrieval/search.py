"""Hybrid sentence search: BM25 and dense cosine, fused by a weighted sum of scores.

BM25 finds the rare words a reader repeats from the article (names, numbers); the dense
vectors find sentences that say the same in other words. The fused score is BM25 relative
to the best lexical match of the query plus a weighted cosine. Unlike reciprocal rank
fusion it keeps the size of each margin: a sentence that alone holds the question's rarest
words is not pulled level by one that is merely on the same topic.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from datetime import date

import numpy as np

from ..errors import InputError, NotFound
from ..records import Article, Hit, Scope, Sentence
from ..store.base import ArticleStore
from .embedder import Embedder

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 200


@dataclass(frozen=True)
class Fusion:
    """How the two rankings are combined; the defaults were tuned on the tune splits only."""

    dense_weight: float = 2.0  # cosine weight; BM25 / best BM25 of the query counts 1
    candidates: int = 50  # taken from each ranking before fusing (at least 5 x limit)
    half_life_days: float = 7.0  # for the recency preference


@dataclass
class Ranked:
    """A fused hit with the two scores it came from (None: not in that ranking's candidates)."""

    article_id: str
    sentence_index: int
    score: float
    lexical: float | None
    dense: float | None


@dataclass
class Passage:
    """The hit sentence with its neighbours, for reading it in context."""

    first_index: int
    last_index: int
    text: str


@dataclass
class SearchResult:
    article_id: str
    sentence_index: int
    start: int
    end: int
    text: str
    score: float
    lexical_score: float | None  # BM25, when the sentence shares words with the query
    dense_score: float | None  # cosine similarity to the query
    passage: Passage

    def to_dict(self) -> dict:
        return asdict(self)


RECENT_WORDS = re.compile(
    r"\b(latest|newest|most recent|recent(ly)?|this (week|month)|today|yesterday|so far"
    r"|currently|right now)\b",
    re.IGNORECASE,
)
HINTED_RECENCY = 0.5


def recency_hint(query: str) -> float:
    """A recency preference for archive-wide questions that ask for the newest news."""
    return HINTED_RECENCY if RECENT_WORDS.search(query) else 0.0


def validate_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InputError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(f"the query is longer than {MAX_QUERY_CHARS:,} characters")
    return query.strip()


class SentenceCache:
    """Sentences of recently hit articles, checked against the content hash on every use."""

    def __init__(self, store: ArticleStore, size: int = 256):
        self.store = store
        self.size = size
        self._items: OrderedDict[str, tuple[str, list[Sentence]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, article_id: str) -> list[Sentence]:
        digest = self.store.content_hash(article_id)
        with self._lock:
            cached = self._items.get(article_id)
            if cached and cached[0] == digest:
                self._items.move_to_end(article_id)
                return cached[1]
        sentences = self.store.sentences(article_id)
        with self._lock:
            self._items[article_id] = (digest or "", sentences)
            self._items.move_to_end(article_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return sentences


class Retriever:
    def __init__(
        self,
        store: ArticleStore,
        embedder: Embedder | None = None,
        fusion: Fusion = Fusion(),
        context: int = 1,
    ):
        """``embedder=None`` searches with BM25 alone; ``context`` neighbours each side form a passage."""
        self.store = store
        self.embedder = embedder
        self.fusion = fusion
        self.context = context
        self.cache = SentenceCache(store)

    def search(
        self, query: str, scope: Scope | None = None, limit: int = 10, recency: float = 0.0,
        vector: np.ndarray | None = None,
    ) -> list[SearchResult]:
        """The best ``limit`` sentences for ``query`` within ``scope`` (default: the archive).

        ``recency`` in [0, 1] trades relevance for newer articles (for "latest" questions);
        ``vector`` is the query's embedding when the caller has it already.
        """
        query = validate_query(query)
        scope = scope or Scope()
        self._validate(scope, limit, recency)
        hits = self.ranked_hits(query, scope, limit, recency, vector)
        if not hits:
            self._check_not_empty()
        results = (self._result(hit) for hit in hits)
        # An article deleted between the ranking and the lookup drops out instead of failing.
        return [result for result in results if result is not None]

    def search_article(self, query: str, article: Article, limit: int = 10,
                       vector: np.ndarray | None = None) -> list[SearchResult]:
        """The best sentences of one article already loaded: BM25 from the store, cosine
        against the article's own vectors, so nothing else is read from the store."""
        query = validate_query(query)
        pool = max(self.fusion.candidates, 5 * limit)
        lexical = self.store.lexical_search(query, Scope(article_ids=[article.id]), pool)
        dense: list[Hit] = []
        if self.embedder is not None and article.embeddings is not None and self.fusion.dense_weight:
            vector = self.embedder.embed_one(query) if vector is None else vector
            scores = article.embeddings @ vector
            dense = [Hit(article.id, article.sentences[i].index, float(scores[i]))
                     for i in np.argsort(-scores)[:pool]]
        by_index = {s.index: n for n, s in enumerate(article.sentences)}
        hits = [hit for hit in self.fuse(lexical, dense) if hit.sentence_index in by_index][:limit]
        return [self._result_in(hit, article.sentences, by_index[hit.sentence_index]) for hit in hits]

    def ranked_hits(self, query: str, scope: Scope, limit: int, recency: float = 0.0,
                    vector: np.ndarray | None = None) -> list[Ranked]:
        """Fused ranking without the sentence texts (what the benchmarks measure)."""
        lexical, dense = self.rankings(query, scope, max(self.fusion.candidates, 5 * limit), vector)
        fused = self.fuse(lexical, dense)
        if recency > 0 and fused:
            fused = self._prefer_recent(fused, recency)
        return fused[:limit]

    def rankings(self, query: str, scope: Scope, pool: int,
                 vector: np.ndarray | None = None) -> tuple[list[Hit], list[Hit]]:
        """The BM25 and the dense ranking, ``pool`` hits each (dense is empty without an embedder)."""
        lexical = self.store.lexical_search(query, scope, pool)
        if self.embedder is None or self.fusion.dense_weight == 0:
            return lexical, []
        vector = self.embedder.embed_one(query) if vector is None else vector
        return lexical, self.store.dense_search(vector, scope, pool)

    def fuse(self, lexical: list[Hit], dense: list[Hit]) -> list[Ranked]:
        return fuse_scores(lexical, dense, self.fusion.dense_weight)

    def _validate(self, scope: Scope, limit: int, recency: float) -> None:
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        if not 0.0 <= recency <= 1.0:
            raise InputError(f"recency must be between 0 and 1, not {recency}")
        for bound in (scope.published_from, scope.published_to):
            if bound is not None:
                parse_date(bound)
        if scope.article_ids is None:
            return
        if not scope.article_ids:
            raise InputError("no article ids given to search in")
        for article_id in scope.article_ids:
            if self.store.content_hash(article_id) is None:
                raise NotFound(f"no article with id {article_id!r}")

    def _check_not_empty(self) -> None:
        if not self.store.article_ids(Scope()):
            raise NotFound("the archive is empty: ingest some articles first")

    def _prefer_recent(self, hits: list[Ranked], recency: float) -> list[Ranked]:
        ids = sorted({hit.article_id for hit in hits})
        published = {
            a.id: published_date(a.published)
            for a in self.store.list_articles(Scope(article_ids=ids))
        }
        dated = [d for d in published.values() if d is not None]
        if not dated:
            return hits
        newest = max(dated)
        best = hits[0].score if hits[0].score > 0 else 1.0
        rescored = []
        for hit in hits:
            day = published.get(hit.article_id)
            freshness = 0.0 if day is None else 0.5 ** ((newest - day).days / self.fusion.half_life_days)
            score = (1 - recency) * hit.score / best + recency * freshness
            rescored.append(replace(hit, score=score))
        return sorted(rescored, key=lambda h: -h.score)

    def _result(self, hit: Ranked) -> SearchResult | None:
        sentences = self.cache.get(hit.article_id)
        position = {s.index: n for n, s in enumerate(sentences)}.get(hit.sentence_index)
        if position is None:
            return None
        return self._result_in(hit, sentences, position)

    def _result_in(self, hit: Ranked, sentences: list[Sentence], position: int) -> SearchResult:
        sentence = sentences[position]
        around = sentences[max(0, position - self.context) : position + self.context + 1]
        passage = Passage(around[0].index, around[-1].index, " ".join(s.text for s in around))
        return SearchResult(
            hit.article_id, sentence.index, sentence.start, sentence.end, sentence.text,
            round(hit.score, 6), rounded(hit.lexical), rounded(hit.dense), passage,
        )


def fuse_scores(lexical: list[Hit], dense: list[Hit], dense_weight: float) -> list[Ranked]:
    """BM25 over the query's best BM25, plus ``dense_weight`` x cosine, best first.

    A lexical candidate outside the dense candidates gets the lowest cosine seen, an
    upper bound of its own; a dense candidate without a shared word gets no BM25 share.
    """
    best_lexical = lexical[0].score if lexical and lexical[0].score > 0 else 1.0
    lexical_scores = {(h.article_id, h.sentence_index): h.score for h in lexical}
    dense_scores = {(h.article_id, h.sentence_index): h.score for h in dense}
    floor = dense[-1].score if dense else 0.0
    fused = []
    for key in lexical_scores.keys() | dense_scores.keys():
        bm25, cosine = lexical_scores.get(key), dense_scores.get(key)
        score = (bm25 or 0.0) / best_lexical + dense_weight * (floor if cosine is None else cosine)
        fused.append(Ranked(key[0], key[1], score, bm25, cosine))
    fused.sort(key=lambda r: (-r.score, r.article_id, r.sentence_index))
    return fused


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InputError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def published_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
