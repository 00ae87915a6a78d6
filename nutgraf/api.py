"""The one Python API. The CLI and the HTTP server are thin layers over :class:`Nutgraf`.

    >>> from nutgraf import Nutgraf
    >>> ng = Nutgraf("news.db")
    >>> [outcome.article_id for outcome in ng.ingest(["story.html"])]
    >>> ng.article("3f2a9c0d1b7e").title
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Iterator

from .answering.pipeline import Answerer
from .errors import InputError, NotFound
from .llm.base import LLM
from .llm.queue import ModelQueue
from .ingest.options import IngestOptions
from .jobs import PREPARE, Worker
from .ingest.pipeline import Ingester, IngestOutcome
from .insights.recording import SOURCES, QuestionLog
from .related.service import RelatedQuestions
from .records import Answer, Article, ArticleSummary, Document, Feedback, Scope
from .retrieval.search import Retriever, SearchResult
from .settings import Settings, current
from .store import Store, open_store


class Nutgraf:
    def __init__(self, db: str | None = None, *, store: Store | None = None, embed: bool = True,
                 model: str | None = None, min_confidence: float | None = None,
                 settings: Settings | None = None, llm: LLM | None = None):
        """``db`` is a SQLite path or database URL (default: the ``db`` setting, else a file
        in the user data dir).

        ``embed=False`` skips sentence vectors at ingest (search then falls back to BM25
        until ``reindex`` adds them). ``model`` names the language model that reads the
        evidence (a packaged model, a .gguf path or an OpenAI-compatible URL); ``"none"``
        answers extractively, without one; ``llm`` gives a model object instead (any
        implementation of :class:`nutgraf.llm.LLM`, such as the scripted one tests use).
        ``min_confidence`` (0 to 1) replaces the calibrated threshold below which answers
        are withheld: lower answers more, higher abstains more. An argument left at None
        comes from ``settings`` (default: the environment, see :mod:`nutgraf.settings`); an
        argument given wins over both. These settings, and no others, reach every part:
        the store, the embedder, the language model and the states it keeps.
        """
        self.settings = (settings or current()).with_values(db=db and str(db), model=model,
                                                            min_confidence=min_confidence)
        self.store = store or open_store(self.settings.db, self.settings)
        self._embed = embed
        self._ingester: Ingester | None = None
        self._retriever: Retriever | None = None
        self._answerer: Answerer | None = None
        self._related: RelatedQuestions | None = None
        self._question_log: QuestionLog | None = None
        self._llm = llm

    # -- ingestion

    @property
    def ingester(self) -> Ingester:
        if self._ingester is None:
            if self._embed:
                from .retrieval.embedder import MODEL_ID, get_embedder, ingest_thread_count

                embedder = get_embedder(ingest_thread_count(self.settings.embedder_threads))
                self._ingester = Ingester(self.store, embedder.embed, MODEL_ID)
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

    def reindex(self, force: bool = False, progress: Callable[[str], None] | None = None) -> int:
        """Embed again the articles whose vectors are missing or from another embedding model
        (every article with ``force``); ``progress`` hears of each. How many."""
        from .retrieval.reindex import reindex

        return reindex(self.store, self._embedder(), progress=progress, force=force)

    # -- reading

    def articles(self, scope: Scope | None = None, *, limit: int | None = None,
                 offset: int = 0) -> list[ArticleSummary]:
        """Newest first; ``limit`` and ``offset`` give one page (see :meth:`article_count`)."""
        if (limit is not None and limit < 1) or offset < 0:
            raise InputError("limit must be at least 1 and offset at least 0")
        return self.store.list_articles(scope, limit, offset)

    def article_count(self, scope: Scope | None = None) -> int:
        return self.store.count_articles(scope)

    def article(self, article_id: str) -> Article:
        article = self.store.get_article(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r}")
        return article

    def delete(self, article_id: str) -> None:
        if not self.store.delete_article(article_id):
            raise NotFound(f"no article with id {article_id!r}")

    # -- search and answers

    def _embedder(self):
        from .retrieval.embedder import get_embedder

        return get_embedder(self.settings.embedder_threads)

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = Retriever(self.store, self._embedder() if self._embed else None)
        return self._retriever

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            llm = self._llm
            if llm is None and self.settings.model != "none":
                from .llm import load_model

                llm = load_model(self.settings.model, self.settings)
            self._answerer = Answerer(self.store, self.retriever, llm, risk=self.settings.risk,
                                      closest_risk=self.settings.closest_risk,
                                      min_confidence=self.settings.min_confidence,
                                      queue=ModelQueue(self.settings.model_queue))
        return self._answerer

    def search(self, query: str, *, article_id: str | None = None, article_ids: list[str] | None = None,
               source: str | None = None, since: str | None = None, until: str | None = None,
               limit: int = 10, recency: float = 0.0) -> list[SearchResult]:
        """Ranked sentences for ``query`` in one article, a list of them, or the whole archive."""
        scope = _scope(article_id, article_ids, source, since, until)
        self._check_articles(scope)
        return self.retriever.search(query, scope, limit=limit, recency=recency)

    def ask(self, question: str, *, article_id: str | None = None, article_ids: list[str] | None = None,
            conversation_id: str | None = None, source: str = "box") -> Answer:
        """A short answer citing the sentences it rests on, or ``answerable=False`` and a note.

        ``related`` holds follow-up questions when the article's related questions are
        already computed (see :meth:`related`); asking never waits for them. The ask is kept
        in the question log (unless the ``question_log`` setting is off), its id in
        ``ask_id``; ``source="panel"`` says a reader opened it in the explore panel.
        """
        scope = _scope(article_id, article_ids)
        _check_source(source)
        answer = self._with_follow_ups(self.answerer.answer(question, scope, conversation_id), scope)
        return self._logged(answer, scope, source)

    def _with_follow_ups(self, answer: Answer, scope: Scope) -> Answer:
        single = scope.article_ids[0] if scope.article_ids and len(scope.article_ids) == 1 else None
        if single and self.related_service.is_ready(single):
            answer.related = self.related(single, conversation_id=answer.conversation_id)["questions"][:3]
        return answer

    @property
    def related_service(self) -> RelatedQuestions:
        if self._related is None:
            self._related = RelatedQuestions(self.answerer, self._embedder())
        return self._related

    def related(self, article_id: str, *, after: str | None = None, conversation_id: str | None = None,
                limit: int = 8) -> dict:
        """The article's explore panel: ``{"article_id", "key_points": [{"text", "citations"}],
        "questions": [{"question", "answer_preview", "kind", "citations", "bridge", ...}]}``:
        three cited key points, then questions the article answers, spread over it; after a
        question, follow-ups that do not repeat what was asked. Made when the article is
        prepared (see :meth:`prepare`), or here on first request, then kept with the article."""
        return self.related_service.for_article(article_id, after, conversation_id, limit)

    # -- preparing articles for their readers

    def prepare(self, article_id: str) -> int:
        """Read the article once with the model (what was read is kept for every later
        question) and make its explore panel; returns how many checked questions it holds."""
        self.read_ahead(article_id)
        return self.related_service.prepare(article_id)

    def is_prepared(self, article_id: str) -> bool:
        """Whether the article's current text has been prepared (its explore panel made)."""
        from .related.service import panel_is_ready

        return panel_is_ready(self.store, article_id)

    def read_ahead(self, article_id: str) -> bool:
        """Have the model read the article before any question about it (the first part of
        :meth:`prepare`); False when there is nothing to read it with, or it is too long to
        be read whole."""
        from .answering.evidence import article_opening
        from .answering.prompts import read_ahead

        llm = self.answerer.llm
        evidence = article_opening(self.article(article_id))
        if llm is None or not evidence.whole_article:
            return False
        read_ahead(llm, evidence)
        return True

    def queue_preparation(self, article_ids: Iterable[str]) -> int:
        """Queue articles to be prepared by the next free worker (``nutgraf prepare``, a
        server, :meth:`work`); returns how many were queued."""
        return self.store.enqueue(PREPARE, list(article_ids))

    def preparation_queue(self) -> dict[str, int]:
        """Preparation jobs by state: queued, running, done, failed."""
        return self.store.job_counts(PREPARE)

    def work(self, done: Callable[[str], None] | None = None) -> int:
        """Prepare queued articles until none is left; ``done`` hears of each. How many."""
        return Worker(self.store, self.prepare).drain(done)

    def ask_stream(self, question: str, *, article_id: str | None = None, article_ids: list[str] | None = None,
                   conversation_id: str | None = None, source: str = "box") -> Iterator[dict]:
        """The answer as it is produced: an ``evidence`` event (the sentence retrieval ranks
        first, ``{"citations": [...]}``), ``delta`` events while the model writes, then the
        final ``answer`` event (with follow-ups and its ``ask_id``, as :meth:`ask` gives them)."""
        scope = _scope(article_id, article_ids)
        _check_source(source)
        for event in self.answerer.stream(question, scope, conversation_id):
            if event["type"] == "answer":
                event["answer"] = self._logged(self._with_follow_ups(event["answer"], scope), scope, source)
            yield event

    # -- what readers ask, for the newsroom

    @property
    def question_log(self) -> QuestionLog:
        """The log asks are kept in (see :mod:`nutgraf.insights.recording`)."""
        if self._question_log is None:
            self._question_log = QuestionLog(self.store, self._embedder().embed)
        return self._question_log

    def _logged(self, answer: Answer, scope: Scope, source: str) -> Answer:
        if self.settings.question_log:
            # An ask of several articles is one of the archive's for the log.
            single = scope.article_ids[0] if scope.article_ids and len(scope.article_ids) == 1 else None
            answer.ask_id = self.question_log.record(answer, single, source=source)
        return answer

    def panel_shown(self, questions: Iterable[dict]) -> None:
        """Count one showing of each explore panel question (as :meth:`related` gives them)
        to a reader, so that the insights can say how often each is clicked when shown."""
        if self.settings.question_log:
            self.question_log.shown(questions)

    def insights(self, article_id: str | None = None, since: datetime | str | None = None, limit: int = 20) -> dict:
        """What readers asked about an article (None: the whole archive) since a day (None: all
        the log keeps): asks per day and grade, groups of near-identical questions, the story
        gaps (groups mostly left unanswered), answers rated badly, the explore panel's pull."""
        from .insights.report import build

        if article_id is not None and self.store.content_hash(article_id) is None:
            raise NotFound(f"no article with id {article_id!r}")
        if limit < 1:
            raise InputError("limit must be at least 1")
        report = build(self.store, article_id, parse_time(since) if isinstance(since, str) else since, limit)
        report["log"] = {"on": self.settings.question_log, "kept_days": self.settings.question_log_days}
        return report

    def expire_asks(self, older_than_days: float | None = None) -> tuple[int, datetime]:
        """Remove the asks older than ``older_than_days`` (default: the ``question_log_days``
        setting) from the question log; returns how many went, and the cut-off time."""
        days = self.settings.question_log_days if older_than_days is None else older_than_days
        cutoff = _cutoff(days)
        return self.store.expire_asks(cutoff), cutoff

    # -- reader data

    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Keep a reader's rating of an answer; returns it with its id and time. With the
        ``ask_id`` of the answer, the rating is also kept with that ask in the question log."""
        stored = self.store.add_feedback(feedback)
        if feedback.ask_id:
            self.question_log.rate(feedback.ask_id, feedback.rating)
        return stored

    def feedback(self, since: datetime | str | None = None, limit: int | None = None) -> list[Feedback]:
        """Feedback received since a time (a datetime, or ISO 8601 text such as ``2025-10-01``),
        newest first."""
        return self.store.feedback(parse_time(since) if isinstance(since, str) else since, limit)

    def expire_conversations(self, older_than_days: float | None = None) -> tuple[int, datetime]:
        """Remove the conversations unused for ``older_than_days`` (default: the
        ``conversation_days`` setting); returns how many went, and the cut-off time.
        Feedback is never removed."""
        days = self.settings.conversation_days if older_than_days is None else older_than_days
        cutoff = _cutoff(days)
        return self.store.expire_conversations(cutoff), cutoff

    def _check_articles(self, scope: Scope) -> None:
        for article_id in scope.article_ids or []:
            if self.store.content_hash(article_id) is None:
                raise NotFound(f"no article with id {article_id!r}")

    def close(self) -> None:
        self.store.close()


def parse_time(text: str) -> datetime:
    """``2025-10-01`` (midnight UTC) or an ISO 8601 time (UTC unless it names its zone)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"not a date or ISO 8601 time: {text!r} (use YYYY-MM-DD)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _cutoff(days: float) -> datetime:
    if days < 0:
        raise InputError(f"days must not be negative, not {days}")
    return datetime.now(timezone.utc) - timedelta(days=days)


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise InputError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")


def _scope(article_id: str | None = None, article_ids: list[str] | None = None, source: str | None = None,
           since: str | None = None, until: str | None = None) -> Scope:
    ids = [article_id] if article_id else (list(article_ids) if article_ids else None)
    return Scope(article_ids=ids, source=source, published_from=since, published_to=until)
