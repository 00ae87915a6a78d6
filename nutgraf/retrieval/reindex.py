"""Rebuild sentence vectors that are missing or were made by another embedding model."""

from __future__ import annotations

from typing import Callable

from ..store.base import ArticleStore
from .embedder import Embedder


def reindex(
    store: ArticleStore,
    embedder: Embedder,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> int:
    """Embed every article whose vectors are stale (all of them with ``force``); returns the count.

    Each article is written in its own transaction, so an interrupted run keeps what it
    finished and the next run picks up the rest.
    """
    stale = store.article_ids() if force else store.articles_missing_embeddings(embedder.model_id)
    for article_id in stale:
        sentences = store.sentences(article_id)
        store.set_embeddings(article_id, embedder.model_id, embedder.embed([s.text for s in sentences]))
        if progress is not None:
            progress(article_id)
    return len(stale)
