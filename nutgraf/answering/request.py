"""One question on its way through the answering stages, with everything the stages share
loaded once: the validated question, the articles it is asked about, the conversation so
far, the question's vector and the time each stage took.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, NotFound
from ..records import Article, Scope
from ..retrieval.embedder import Embedder
from ..retrieval.search import MAX_QUERY_CHARS
from ..store.base import Store
from . import conversation
from .conversation import Turn

ALLOWED_CONTROLS = {"\n", "\t", "\r"}
# Articles loaded whole for a question about a few of them; for more, only their existence
# is checked and the evidence comes from search alone.
MAX_LOADED_ARTICLES = 8


@dataclass
class Request:
    question: str  # as the reader asked it, validated
    scope: Scope
    articles: dict[str, Article]  # the scope's articles, when it names a few
    conversation_id: str | None = None
    turns: list[Turn] = field(default_factory=list)
    resolved: str = ""  # the question that is answered: standing on its own, in English
    language: str = "en"  # the reader's language, for the reply
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    _vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def article(self) -> Article | None:
        """The one article the question is about, when it is about one."""
        ids = self.scope.article_ids
        return self.articles.get(ids[0]) if ids and len(ids) == 1 else None

    def vector(self, embedder: Embedder) -> np.ndarray:
        """The resolved question's embedding, computed once."""
        if self._vector is None:
            self._vector = embedder.embed_one(self.resolved or self.question)
        return self._vector

    def timed(self, stage: str, since: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + (time.perf_counter() - since) * 1000, 1)

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)


def validate_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    if len(question) > MAX_QUERY_CHARS:
        raise InputError(f"the question is longer than {MAX_QUERY_CHARS:,} characters")
    if any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS for c in question):
        raise InputError("the question contains control characters")
    return " ".join(question.split())


def open_request(question: str, scope: Scope, conversation_id: str | None, store: Store,
                 loaded: dict[str, Article] | None = None) -> Request:
    """The request for ``question``: validated, its articles and conversation loaded (or
    taken from ``loaded``, the articles of an earlier request on the same scope)."""
    started = time.perf_counter()
    question = validate_question(question)
    ids = scope.article_ids or []
    articles: dict[str, Article] = dict(loaded) if loaded is not None else {}
    for article_id in ids if loaded is None else ():
        if len(ids) <= MAX_LOADED_ARTICLES:
            article = store.get_article(article_id)
            if article is not None:
                articles[article_id] = article
                continue
        elif store.content_hash(article_id) is not None:
            continue
        raise NotFound(f"no article with id {article_id!r}")
    turns = conversation.load(store, conversation_id) if conversation_id else []
    return Request(question, scope, articles, conversation_id, turns, resolved=question, started=started)
