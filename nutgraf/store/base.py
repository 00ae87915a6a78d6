"""The storage protocols, one per role its callers use: the articles and what is worked
out from them (:class:`ArticleStore`), what readers leave behind (:class:`ReaderData`) and
the work queued per article (:class:`JobQueue`) and the log of what readers ask
(:class:`QuestionLog`).

A backend is one module or one folder with one class satisfying all three (:class:`Store`);
``open_store`` picks it from the database URL. Each ``put_article`` is one transaction: a
reader sees the old article or the new one, never a mix.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np

from ..records import (
    Article, ArticleSummary, AskCounts, Conversation, DayCounts, Feedback, Hit, LoggedAsk, PanelPull,
    QuestionGroup, Scope, Sentence, Turn,
)
from .question_log import GroupChoice

PutStatus = Literal["added", "updated", "unchanged"]


@dataclass
class PutResult:
    article_id: str
    status: PutStatus


class ArticleStore(Protocol):
    """Articles, their sentences and vectors, search over them, and values derived from them."""

    url: str

    def put_article(self, article: Article) -> PutResult:
        """Insert or replace ``article`` (matched on its id) in one transaction."""

    def get_article(self, article_id: str) -> Article | None: ...

    def content_hash(self, article_id: str) -> str | None:
        """The stored content hash, or None when the id is unknown (cheap idempotency check)."""

    def list_articles(self, scope: Scope | None = None, limit: int | None = None,
                      offset: int = 0) -> list[ArticleSummary]:
        """Newest first (by publication, then ingest time; ties by id, so pages never overlap);
        ``limit`` and ``offset`` page through them."""

    def count_articles(self, scope: Scope | None = None) -> int: ...

    def delete_article(self, article_id: str) -> bool: ...

    def article_ids(self, scope: Scope | None = None) -> list[str]: ...

    def sentences(self, article_id: str) -> list[Sentence]: ...

    def near_duplicate_candidates(self, signature: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(id, MinHash signature) of the articles sharing at least one LSH band with
        ``signature`` (see analysis/fingerprint.py): an index lookup, not a scan."""

    def lexical_search(self, query: str, scope: Scope, limit: int) -> list[Hit]:
        """BM25-ranked sentences; higher score is better."""

    def dense_search(self, vector: np.ndarray, scope: Scope, limit: int) -> list[Hit]:
        """Sentences by cosine similarity to an L2-normalised query vector."""

    def set_embeddings(self, article_id: str, model: str, embeddings: np.ndarray) -> None: ...

    def articles_missing_embeddings(self, model: str) -> list[str]:
        """Ids of articles whose stored vectors are absent or from another model."""

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def cache_get(self, namespace: str, key: str) -> Any | None:
        """A JSON value worked out from articles and kept for later requests (related questions)."""

    def cache_put(self, namespace: str, key: str, value: Any, article_id: str | None = None) -> None:
        """Keep ``value``; with ``article_id`` it is dropped when that article changes or goes."""


class ReaderData(Protocol):
    """Conversations and feedback: kept apart from the cache, which is only ever derived
    from articles, and never removed with an article."""

    def append_turn(self, conversation_id: str, turn: Turn) -> int:
        """Add ``turn`` after the conversation's last (creating the conversation if new) and
        return its position, counted from 0. Atomic: appends that race each get their place."""

    def conversation_turns(self, conversation_id: str, limit: int | None = None) -> list[Turn]:
        """The conversation's turns, oldest first; with ``limit``, only the last ``limit``."""

    def conversation(self, conversation_id: str) -> Conversation | None: ...

    def expire_conversations(self, older_than: datetime) -> int:
        """Remove the conversations last used before ``older_than``; return how many went."""

    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Keep ``feedback``; returns it with its new ``id`` and ``received_at``."""

    def feedback(self, since: datetime | None = None, limit: int | None = None, *, article_id: str | None = None,
                 ratings: tuple[str, ...] | None = None) -> list[Feedback]:
        """Feedback received at or after ``since``, newest first; only about ``article_id``,
        only of ``ratings``, when given."""


class QuestionLog(Protocol):
    """Each question asked, grouped with the near-identical ones asked about its article, and
    the explore panel's questions shown and clicked (see :mod:`nutgraf.insights`). Nothing
    in it names a reader."""

    def knows_wording(self, article_id: str | None, key: str) -> bool:
        """Whether a question of this wording key was asked about the article already."""

    def log_ask(self, ask: LoggedAsk, choose: GroupChoice) -> int:
        """Keep ``ask`` and return its id. A wording new to its article is grouped in the same
        transaction: ``choose`` is given the article's groups and picks the one it joins."""

    def rate_ask(self, ask_id: int, rating: str) -> bool:
        """Keep a reader's rating with the ask; False when the ask is not (or no longer) kept."""

    def count_shown(self, shown: list[tuple[str, str, str]]) -> None:
        """Count one showing of each explore panel question (article id, wording key, text)."""

    def expire_asks(self, older_than: datetime) -> int:
        """Remove the asks made before ``older_than``, and the wordings no ask is left of."""

    def ask_days(self, article_id: str | None, since: datetime | None) -> list[DayCounts]:
        """Asks per day (UTC), oldest first, about one article or the whole archive."""

    def question_groups(self, article_id: str | None, *, rank: str = "asks", min_unanswered_share: float = 0.0,
                        limit: int = 20) -> list[QuestionGroup]:
        """The groups most asked (``rank="unanswered"``: most left unanswered), only those
        with at least ``min_unanswered_share`` of their asks unanswered, over all the log holds."""

    def period_groups(self, article_id: str | None, since: datetime, *, min_unanswered_share: float,
                      limit: int) -> tuple[list[QuestionGroup], list[QuestionGroup], list[tuple]]:
        """Since ``since``: the gaps (groups with at least ``min_unanswered_share`` of their asks
        unanswered), the groups most asked, and the articles with the most left unanswered
        (archive-wide only), counted from that period's asks, ``limit`` of each."""

    def group_wordings(self, group_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
        """Each group's wordings and how often each was asked, most asked first."""

    def asked_articles(self, limit: int = 20) -> list[tuple[str | None, str | None, AskCounts]]:
        """(article id, title, counts) of the articles with the most asks left unanswered."""

    def panel_pull(self, article_id: str | None, limit: int = 20) -> list[PanelPull]:
        """The explore panel's questions most shown, with how often each was clicked."""


class JobQueue(Protocol):
    """Work to do per article, shared by every process on the store (see :mod:`nutgraf.jobs`)."""

    def enqueue(self, kind: str, article_ids: list[str]) -> int:
        """Queue a job of ``kind`` for each article (again, when it is done; once more after
        it finishes, when it is running: the article changed meanwhile)."""

    def claim(self, kind: str, worker: str, stale_after: float, max_attempts: int) -> str | None:
        """Atomically take the oldest queued job, or one whose worker has sent no heartbeat
        for ``stale_after`` seconds (it died); None when there is none. A job taken
        ``max_attempts`` times without finishing fails instead."""

    def heartbeat(self, kind: str, article_id: str, worker: str) -> bool:
        """Say the job is still being worked on; False when it is no longer this worker's."""

    def finish(self, kind: str, article_id: str, worker: str, error: str | None = None) -> None: ...

    def job_state(self, kind: str, article_id: str) -> str | None:
        """The state of the article's job of ``kind``, or None when it has none."""

    def job_counts(self, kind: str) -> dict[str, int]:
        """Jobs of ``kind`` by state: queued, running, done, failed."""


class Store(ArticleStore, ReaderData, QuestionLog, JobQueue, Protocol):
    """Everything nutgraf keeps, as one backend holds it."""

    def close(self) -> None: ...


def merged_ids(kept: list[str], added: list[str]) -> list[str]:
    """``kept``, then the ids of ``added`` it lacks, in order and without repeats."""
    return list(dict.fromkeys([*kept, *added]))


def new_feedback_id() -> str:
    return uuid.uuid4().hex
