"""The storage protocol: everything nutgraf keeps goes through these few methods.

A backend is one module with one class satisfying :class:`Store`; ``open_store`` picks
it from the database URL. Each ``put_article`` is one transaction: a reader sees the old
article or the new one, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ..records import Article, ArticleSummary, Hit, Scope, Sentence

PutStatus = Literal["added", "updated", "unchanged"]


@dataclass
class PutResult:
    article_id: str
    status: PutStatus


class Store(Protocol):
    url: str

    def put_article(self, article: Article) -> PutResult:
        """Insert or replace ``article`` (matched on its id) in one transaction."""

    def get_article(self, article_id: str) -> Article | None: ...

    def content_hash(self, article_id: str) -> str | None:
        """The stored content hash, or None when the id is unknown (cheap idempotency check)."""

    def list_articles(self, scope: Scope | None = None) -> list[ArticleSummary]: ...

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
        """A JSON value kept for later requests (related questions, conversations)."""

    def cache_put(self, namespace: str, key: str, value: Any, article_id: str | None = None) -> None:
        """Keep ``value``; with ``article_id`` it is dropped when that article changes or goes."""

    def cache_items(self, namespace: str, limit: int = 1000) -> list[tuple[str, Any]]:
        """(key, value) pairs of ``namespace``, newest first (feedback, for example)."""

    def close(self) -> None: ...
