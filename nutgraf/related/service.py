"""An article's explore panel: three key points, then questions a reader wants to click, each
already answered with a citation; after an answer, follow-ups that build on it.

The panel is prepared once per article (see ``prepare``, which the job queue runs after
ingest) and kept in the store with the article; a changed article drops it. Choosing what to
show from it, follow-ups and questions other articles answer included, costs no model call.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from ..answering import conversation
from ..answering.evidence import article_opening
from ..answering.overview import bullet_text, key_points
from ..answering.pipeline import Answerer
from ..answering.spans import answer_in_question
from ..errors import NotFound
from ..records import Answer, Article, Scope
from ..retrieval.embedder import Embedder
from ..store.base import Store
from . import generate
from .filters import asks_why, gives_a_reason, obvious, self_contained
from .select import Verified, choose, preview, too_close

log = logging.getLogger(__name__)
NAMESPACE = "related"
PANEL_VERSION = 6  # a panel kept by an older version is prepared again
SHOWN = 8
TARGETS = 10  # sentences the model writes a question for
PANELS_IN_MEMORY = 256
FROM_OTHER_ARTICLES = 2
SHARED_ENTITY_LABELS = {"PERSON", "GPE", "ORG", "EVENT", "FAC"}
# Share of the answer's words already in the question at which it gives the answer away. An
# explanation restates the question's subject, so more of it may be shared.
GIVEN_AWAY = {"phrase": 0.5, "when": 0.5, "who-is": 0.5, "list": 0.5, "explanation": 0.6, "yes-no": 0.8}


def panel_is_ready(store: Store, article_id: str) -> bool:
    """Whether the article's current text has a panel made by this version."""
    kept = store.cache_get(NAMESPACE, article_id)
    return bool(kept) and kept.get("version") == PANEL_VERSION and \
        kept.get("hash") == store.content_hash(article_id)


@dataclass
class Panel:
    key_points: list[dict]  # {"text", "citations"}
    pool: list[Verified]  # every checked question, from which the shown ones are chosen


class RelatedQuestions:
    def __init__(self, answerer: Answerer, embedder: Embedder):
        self.answerer = answerer
        self.store = answerer.store
        self.embedder = embedder
        # Panels with their question vectors, by (article id, content hash), so a request
        # for a panel already made costs no embedding.
        self._panels: OrderedDict[tuple[str, str], Panel] = OrderedDict()

    def for_article(self, article_id: str, after: str | None = None, conversation_id: str | None = None,
                    limit: int = SHOWN) -> dict:
        article = self._article(article_id)
        panel = self.panel(article)
        asked = self._asked(after, conversation_id)
        avoid = list(self.embedder.embed(asked)) if asked else []
        near = self._paragraph_of(asked[-1], article) if asked else None
        chosen = choose(panel.pool, limit, avoid, near, asked)
        items = [dict(v.to_dict(), article_id=article_id, bridge=False) for v in chosen]
        items += self._bridges(article, avoid + [v.vector for v in chosen])
        return {"article_id": article_id, "key_points": panel.key_points, "questions": items}

    def is_ready(self, article_id: str) -> bool:
        return panel_is_ready(self.store, article_id)

    def prepare(self, article_id: str) -> int:
        """Make and keep the article's panel now; returns how many questions it holds."""
        return len(self.panel(self._article(article_id)).pool)

    # -- the panel

    def panel(self, article: Article) -> Panel:
        key = (article.id, article.content_hash)
        if key in self._panels:
            self._panels.move_to_end(key)
            return self._panels[key]
        panel = self._load_or_build(article)
        self._panels[key] = panel
        while len(self._panels) > PANELS_IN_MEMORY:
            self._panels.popitem(last=False)
        return panel

    def _load_or_build(self, article: Article) -> Panel:
        kept = self.store.cache_get(NAMESPACE, article.id)
        if kept and kept.get("version") == PANEL_VERSION and kept.get("hash") == article.content_hash:
            return Panel(kept["key_points"], self._with_vectors([Verified(**item) for item in kept["pool"]]))
        started = time.perf_counter()
        panel = Panel(self._key_points(article), self._checked_questions(article))
        seconds = round(time.perf_counter() - started, 2)
        self.store.cache_put(NAMESPACE, article.id, {
            "version": PANEL_VERSION, "hash": article.content_hash, "seconds": seconds,
            "key_points": panel.key_points, "pool": [v.to_record() for v in panel.pool],
        }, article_id=article.id)
        log.info("explore panel for %s: %d key points, %d checked questions in %.1f s", article.id,
                 len(panel.key_points), len(panel.pool), seconds)
        return panel

    def _key_points(self, article: Article) -> list[dict]:
        """The overview answer's points: each a span of the sentence it cites."""
        points = []
        for span in key_points(article):
            sentence = span.sentence
            citation = {"article_id": article.id, "sentence_index": sentence.index, "start": sentence.start,
                        "end": sentence.end, "text": sentence.text}
            points.append({"text": bullet_text(span), "citations": [citation]})
        return points

    def _checked_questions(self, article: Article) -> list[Verified]:
        """Candidates written for the story, each asked through the same stages as a
        reader's question (side by side), and kept when the answer is worth showing."""
        candidates = generate.from_structure(article)
        llm = self.answerer.llm
        if llm is not None:
            evidence = article_opening(article)
            candidates += generate.from_model(llm, evidence, generate.targets(article, evidence, TARGETS))
        unique = list({c.question.lower(): c for c in candidates if self_contained(c.question)}.values())
        answers = self.answerer.answer_many([c.question for c in unique], Scope(article_ids=[article.id]))
        kept = [(c, a) for c, a in zip(unique, answers) if self._worth_showing(c, a, article)]
        vectors = self.embedder.embed([c.question for c, _ in kept]) if kept else []
        return [Verified(question=c.question, answer_preview=preview(a.answer), confidence=a.confidence,
                         citations=[x.to_dict() for x in a.citations],
                         paragraph=article.sentences[a.citations[0].sentence_index].paragraph,
                         kind=a.kind, form=c.form, vector=vector)
                for (c, a), vector in zip(kept, vectors)]

    @staticmethod
    def _worth_showing(candidate: generate.Candidate, answer: Answer, article: Article) -> bool:
        question = candidate.question
        if answer.grade != "answer" or not answer.citations or not answer.answer:
            return False
        if answer_in_question(answer.answer, question) >= GIVEN_AWAY.get(answer.kind, 1.0):
            return False  # the question gives its own answer away
        if asks_why(question, candidate.form) and not gives_a_reason(answer.answer, question,
                                                                     answer.citations[0].text):
            return False  # a why answered with a fact, not a reason
        return not obvious(answer, article)

    def _with_vectors(self, pool: list[Verified]) -> list[Verified]:
        vectors = self.embedder.embed([v.question for v in pool]) if pool else []
        for item, vector in zip(pool, vectors):
            item.vector = vector
        return pool

    # -- follow-ups and the rest of the archive

    def _asked(self, after: str | None, conversation_id: str | None) -> list[str]:
        asked = [t.question for t in conversation.load(self.store, conversation_id)] if conversation_id else []
        return asked + ([after] if after and after.strip() else [])

    def _paragraph_of(self, question: str, article: Article) -> int | None:
        hits = self.answerer.retriever.search_article(question, article, limit=1)
        return article.sentences[hits[0].sentence_index].paragraph if hits else None

    def _bridges(self, article: Article, avoid: list) -> list[dict]:
        """Questions an earlier story about the same people or events answers."""
        names = {e.name for e in article.entities if e.label in SHARED_ENTITY_LABELS}
        query = article.title or article.sentences[0].text
        hits = self.answerer.retriever.search(query, Scope(), limit=20)
        items = []
        for other_id in dict.fromkeys(h.article_id for h in hits if h.article_id != article.id):
            other = self.store.get_article(other_id)
            shared = names & {e.name for e in other.entities} if other else set()
            if not shared or not self.is_ready(other_id) or _later(other, article):
                continue
            fresh = [v for v in self.panel(other).pool if not too_close(v.vector, avoid)]
            if fresh:
                best = max(fresh, key=lambda v: (any(n in v.question for n in shared), v.confidence))
                items.append(dict(best.to_dict(), article_id=other_id, article_title=other.title,
                                  article_url=other.url, bridge=True))
                avoid = avoid + [best.vector]
            if len(items) == FROM_OTHER_ARTICLES:
                break
        return items

    def _article(self, article_id: str) -> Article:
        article = self.store.get_article(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r}")
        return article


def _later(other: Article, article: Article) -> bool:
    """Whether ``other`` was published after ``article`` (unknown dates are not later)."""
    return bool(other.published and article.published and other.published[:10] > article.published[:10])
