"""Related questions for an article and after an answer, each one already answered with a citation.

The verified pool of an article is computed once (on first request, or ahead of time with
``warm``) and cached with the article; a changed article drops it. Choosing what to show
from the pool, including follow-ups and questions other articles answer, costs no model call.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Iterator

from ..answering.evidence import article_opening
from ..answering.pipeline import Answerer
from ..answering.spans import agrees, answer_in_question
from ..errors import NotFound
from ..records import Article, Scope
from ..retrieval.embedder import Embedder
from . import generate
from .select import Verified, choose, too_close

log = logging.getLogger(__name__)
NAMESPACE = "related"
POOL_VERSION = 3
SHOWN = 8
MODEL_QUESTIONS = 10  # sentences the model writes a question for in one call
ANSWER_QUESTIONS = 16  # sentences it may then write for one at a time, while more are needed
ENOUGH_SENTENCES = SHOWN  # different cited sentences after which no more candidates are checked
POOLS_IN_MEMORY = 256
FROM_OTHER_ARTICLES = 2
SHARED_ENTITY_LABELS = {"PERSON", "GPE", "ORG", "EVENT", "FAC"}


class RelatedQuestions:
    def __init__(self, answerer: Answerer, embedder: Embedder):
        self.answerer = answerer
        self.store = answerer.store
        self.embedder = embedder
        # Verified pools with their question vectors, by (article id, content hash), so a
        # cached request costs no embedding.
        self._pools: OrderedDict[tuple[str, str], list[Verified]] = OrderedDict()

    def for_article(self, article_id: str, after: str | None = None, conversation_id: str | None = None,
                    limit: int = SHOWN) -> dict:
        article = self._article(article_id)
        pool = self.pool(article)
        asked = self._asked(after, conversation_id)
        avoid = list(self.embedder.embed(asked)) if asked else []
        near = self._paragraph_of(asked[-1], article_id) if asked else None
        chosen = choose(pool, limit, avoid, near)
        items = [dict(v.to_dict(), article_id=article_id) for v in chosen]
        items += self._from_other_articles(article, avoid + [v.vector for v in chosen])
        return {"article_id": article_id, "questions": items}

    def is_ready(self, article_id: str) -> bool:
        cached = self.store.cache_get(NAMESPACE, article_id)
        return bool(cached) and cached.get("version") == POOL_VERSION and \
            cached.get("hash") == self.store.content_hash(article_id)

    def warm(self, article_id: str) -> int:
        """Compute and cache the article's verified pool now; returns its size."""
        return len(self.pool(self._article(article_id)))

    # -- the verified pool

    def pool(self, article: Article) -> list[Verified]:
        key = (article.id, article.content_hash)
        if key in self._pools:
            self._pools.move_to_end(key)
            return self._pools[key]
        pool = self._load_or_build(article)
        self._pools[key] = pool
        while len(self._pools) > POOLS_IN_MEMORY:
            self._pools.popitem(last=False)
        return pool

    def _load_or_build(self, article: Article) -> list[Verified]:
        cached = self.store.cache_get(NAMESPACE, article.id)
        if cached and cached.get("version") == POOL_VERSION and cached.get("hash") == article.content_hash:
            return self._with_vectors([Verified(**item) for item in cached["pool"]])
        started = time.perf_counter()
        pool = self._build(article)
        self.store.cache_put(NAMESPACE, article.id, {
            "version": POOL_VERSION, "hash": article.content_hash,
            "seconds": round(time.perf_counter() - started, 2),
            "pool": [dict(v.to_dict(), paragraph=v.paragraph) for v in pool],
        }, article_id=article.id)
        log.info("related questions for %s: %d verified in %.1f s", article.id, len(pool),
                 time.perf_counter() - started)
        return pool

    def _build(self, article: Article) -> list[Verified]:
        """Candidates verified in order until enough different sentences are cited: the
        one-call generators first, then one question at a time for the sentences not yet cited."""
        verified: list[Verified] = []
        cited: set[int] = set()
        asked: set[str] = set()
        answers_asked_for: set[str] = set()  # so a later question is written for another phrase
        title_vector = self.embedder.embed([article.title])[0] if article.title else None
        candidates = self._candidates(article, still_open=lambda index: index not in cited, taken=answers_asked_for)
        for candidate in candidates:
            if len(cited) >= ENOUGH_SENTENCES:
                break
            if candidate.question.lower() in asked:
                continue
            asked.add(candidate.question.lower())
            if candidate.expected:
                answers_asked_for.add(candidate.expected.lower())
            item = self._verify(candidate, article)
            if item is None:
                continue
            if title_vector is not None and float(item.vector @ title_vector) >= 0.9:
                continue  # the headline asked back
            verified.append(item)
            cited.add(item.citations[0]["sentence_index"])
        return verified

    def _candidates(self, article: Article, still_open, taken: set[str]) -> Iterator[generate.Candidate]:
        if self.answerer.llm is None:
            yield from generate.from_structure(article)
            return
        evidence = article_opening(article)
        yield from generate.from_model(self.answerer.llm, evidence, generate.targets(evidence, MODEL_QUESTIONS))
        yield from generate.from_structure(article)
        yield from generate.from_answers(self.answerer.llm, evidence, generate.targets(evidence, ANSWER_QUESTIONS),
                                         article, still_open, taken)

    def _verify(self, candidate: generate.Candidate, article: Article) -> Verified | None:
        answer = self.answerer.answer(candidate.question, Scope(article_ids=[article.id]), remember=False)
        if not answer.answerable or not answer.citations:
            return None
        if answer_in_question(answer.answer, candidate.question) >= 0.5:
            return None  # the question gives its own answer away
        first = answer.citations[0]
        if candidate.expected and first.sentence_index != candidate.sentence_index \
                and not agrees(answer.answer, candidate.expected):
            return None  # another sentence, another answer: the question is ambiguous
        return Verified(
            question=candidate.question, answer_preview=answer.answer, confidence=answer.confidence,
            citations=[c.to_dict() for c in answer.citations],
            paragraph=article.sentences[first.sentence_index].paragraph, kind=candidate.kind,
            vector=self.embedder.embed([candidate.question])[0],
        )

    def _with_vectors(self, pool: list[Verified]) -> list[Verified]:
        vectors = self.embedder.embed([v.question for v in pool])
        for item, vector in zip(pool, vectors):
            item.vector = vector
        return pool

    # -- follow-ups and the rest of the archive

    def _asked(self, after: str | None, conversation_id: str | None) -> list[str]:
        from ..answering import conversation

        asked = [t.question for t in conversation.load(self.store, conversation_id)] if conversation_id else []
        return asked + ([after] if after and after.strip() else [])

    def _paragraph_of(self, question: str, article_id: str) -> int | None:
        hits = self.answerer.retriever.search(question, Scope(article_ids=[article_id]), limit=1)
        if not hits:
            return None
        return self.answerer.retriever.cache.get(article_id)[hits[0].sentence_index].paragraph

    def _from_other_articles(self, article: Article, avoid: list) -> list[dict]:
        names = {e.name for e in article.entities if e.label in SHARED_ENTITY_LABELS}
        query = article.title or article.sentences[0].text
        hits = self.answerer.retriever.search(query, Scope(), limit=20)
        others = [h.article_id for h in hits if h.article_id != article.id]
        items = []
        for other_id in dict.fromkeys(others):
            other = self.store.get_article(other_id)
            cached = self.store.cache_get(NAMESPACE, other_id)
            if other is None or not cached or not names & {e.name for e in other.entities}:
                continue
            pool = self._with_vectors([Verified(**item) for item in cached["pool"]])
            fresh = [v for v in pool if not too_close(v.vector, avoid)]
            if fresh:
                best = max(fresh, key=lambda v: v.confidence)
                items.append(dict(best.to_dict(), article_id=other_id, article_title=other.title))
            if len(items) == FROM_OTHER_ARTICLES:
                break
        return items

    def _article(self, article_id: str) -> Article:
        article = self.store.get_article(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r}")
        return article
