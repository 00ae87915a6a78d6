"""The one Python API. The CLI and the HTTP server are thin layers over :class:`Nutgraf`.

    >>> from nutgraf import Nutgraf
    >>> ng = Nutgraf("news.db")
    >>> [outcome.article_id for outcome in ng.ingest(["story.html"])]
    >>> ng.article("3f2a9c0d1b7e").title
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from .answering.pipeline import Answerer
from .errors import NotFound
from .ingest.options import IngestOptions
from .ingest.pipeline import Ingester, IngestOutcome
from .related.service import RelatedQuestions
from .records import Answer, Article, ArticleSummary, Document, Scope
from .retrieval.search import Retriever, SearchResult
from .store import Store, open_store

MODEL_ENV = "NUTGRAF_MODEL"
DEFAULT_MODEL_SPEC = "qwen2.5-1.5b"


class Nutgraf:
    def __init__(self, db: str | None = None, *, store: Store | None = None, embed: bool = True,
                 model: str | None = DEFAULT_MODEL_SPEC, min_confidence: float | None = None):
        """``db`` is a SQLite path or database URL (default: ``NUTGRAF_DB`` or the user data dir).

        ``embed=False`` skips sentence vectors at ingest (search then falls back to BM25
        until ``reindex`` adds them). ``model`` names the language model that reads the
        evidence (a packaged model, a .gguf path or an OpenAI-compatible URL; default
        ``NUTGRAF_MODEL`` or the packaged Qwen2.5 1.5B); ``None`` or ``"none"`` answers
        extractively, without one. ``min_confidence`` (0 to 1) replaces the calibrated
        threshold below which answers are withheld: lower answers more, higher abstains more.
        """
        self.store = store or open_store(db)
        self._embed = embed
        self._ingester: Ingester | None = None
        self._model_spec = os.environ.get(MODEL_ENV, model) if model == DEFAULT_MODEL_SPEC else model
        self._retriever: Retriever | None = None
        self._answerer: Answerer | None = None
        self._related: RelatedQuestions | None = None
        self._min_confidence = min_confidence

    # -- ingestion

    @property
    def ingester(self) -> Ingester:
        if self._ingester is None:
            if self._embed:
                from .retrieval.embedder import MODEL_ID, get_embedder, ingest_thread_count

                self._ingester = Ingester(self.store, get_embedder(ingest_thread_count()).embed, MODEL_ID)
            else:
                self._ingester = Ingester(self.store)
        return self._ingester

    def ingest(self, inputs: list[str], options: IngestOptions | None = None) -> Iterator[IngestOutcome]:
        """Ingest paths, directories, globs, URLs and feeds; one outcome per article or failure."""
        from .ingest.sources import Failed, load

        loaded = (
            IngestOutcome(item.origin, "failed", error=item.reason) if isinstance(item, Failed) else item.document
            for item in load(inputs, options or IngestOptions())
        )
        yield from self.ingester.ingest_all(loaded)

    def ingest_documents(self, documents: Iterable[Document]) -> list[IngestOutcome]:
        return list(self.ingester.ingest_all(documents))

    # -- reading

    def articles(self, scope: Scope | None = None) -> list[ArticleSummary]:
        return self.store.list_articles(scope)

    def article(self, article_id: str) -> Article:
        article = self.store.get_article(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r}")
        return article

    def delete(self, article_id: str) -> None:
        if not self.store.delete_article(article_id):
            raise NotFound(f"no article with id {article_id!r}")

    # -- search and answers

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            from .retrieval.embedder import get_embedder

            self._retriever = Retriever(self.store, get_embedder() if self._embed else None)
        return self._retriever

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            llm = None
            if self._model_spec and self._model_spec != "none":
                from .llm import load_model

                llm = load_model(self._model_spec)
            self._answerer = Answerer(self.store, self.retriever, llm, self._min_confidence)
        return self._answerer

    def search(self, query: str, *, article_id: str | None = None, article_ids: list[str] | None = None,
               source: str | None = None, since: str | None = None, until: str | None = None,
               limit: int = 10, recency: float = 0.0) -> list[SearchResult]:
        """Ranked sentences for ``query`` in one article, a list of them, or the whole archive."""
        scope = _scope(article_id, article_ids, source, since, until)
        self._check_articles(scope)
        return self.retriever.search(query, scope, limit=limit, recency=recency)

    def ask(self, question: str, *, article_id: str | None = None, article_ids: list[str] | None = None,
            conversation_id: str | None = None) -> Answer:
        """A short answer citing the sentences it rests on, or ``answerable=False`` and a note.

        ``related`` holds follow-up questions when the article's related questions are
        already computed (see :meth:`related`); asking never waits for them.
        """
        scope = _scope(article_id, article_ids)
        return self._with_follow_ups(self.answerer.answer(question, scope, conversation_id), scope)

    def _with_follow_ups(self, answer: Answer, scope: Scope) -> Answer:
        single = scope.article_ids[0] if scope.article_ids and len(scope.article_ids) == 1 else None
        if single and self.related_service.is_ready(single):
            answer.related = self.related(single, conversation_id=answer.conversation_id)["questions"][:3]
        return answer

    @property
    def related_service(self) -> RelatedQuestions:
        if self._related is None:
            from .retrieval.embedder import get_embedder

            self._related = RelatedQuestions(self.answerer, get_embedder())
        return self._related

    def related(self, article_id: str, *, after: str | None = None, conversation_id: str | None = None,
                limit: int = 8) -> dict:
        """``{"article_id", "questions": [{"question", "answer_preview", "citations", ...}]}``:
        questions the article answers, spread over it; after a question, follow-ups that do
        not repeat what was asked. Computed on first request, then cached with the article."""
        return self.related_service.for_article(article_id, after, conversation_id, limit)

    def ask_stream(self, question: str, *, article_id: str | None = None,
                   article_ids: list[str] | None = None, conversation_id: str | None = None) -> Iterator[dict]:
        """The answer as it is produced: ``delta`` events, then the final ``answer`` event
        (with follow-ups, as :meth:`ask` gives them)."""
        scope = _scope(article_id, article_ids)
        for event in self.answerer.stream(question, scope, conversation_id):
            if event["type"] == "answer":
                event["answer"] = self._with_follow_ups(event["answer"], scope)
            yield event

    def _check_articles(self, scope: Scope) -> None:
        for article_id in scope.article_ids or []:
            if self.store.content_hash(article_id) is None:
                raise NotFound(f"no article with id {article_id!r}")

    def close(self) -> None:
        self.store.close()


def _scope(article_id: str | None = None, article_ids: list[str] | None = None, source: str | None = None,
           since: str | None = None, until: str | None = None) -> Scope:
    ids = [article_id] if article_id else (list(article_ids) if article_ids else None)
    return Scope(article_ids=ids, source=source, published_from=since, published_to=until)
