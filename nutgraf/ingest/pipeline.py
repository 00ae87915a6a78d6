"""From a Document to a stored article: identify, analyse, embed, store in one transaction.

An article's id comes from its canonical URL, else from its text, so ingesting the same
article again finds the same id; unchanged content is recognised by its hash before any
analysis is spent on it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..analysis import fingerprint
from ..analysis.analyzer import analyse
from ..errors import InputError, NutgrafError
from ..records import Article, Document
from ..store.base import Store

log = logging.getLogger(__name__)
TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "cmpid", "ref")
MAX_TEXT_CHARS = 200_000


@dataclass
class IngestOutcome:
    origin: str
    status: str  # added | updated | unchanged | failed
    article_id: str | None = None
    title: str | None = None
    error: str | None = None
    near_duplicates: list[tuple[str, float]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict:
        return {
            "origin": self.origin, "status": self.status, "id": self.article_id,
            "title": self.title, "error": self.error,
            "near_duplicates": [{"id": i, "similarity": s} for i, s in self.near_duplicates],
        }


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(TRACKING_PARAMS)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def article_id(document: Document) -> str:
    key = ("url:" + canonical_url(document.url)) if document.url else ("text:" + document.text.strip())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _content_hash(document: Document) -> str:
    return fingerprint.content_hash(
        document.text, title=document.title, published=document.published,
        authors=document.authors, source=document.source, url=document.url,
    )


class Ingester:
    """Analyses and stores documents; ``embed`` is a callable from sentence texts to vectors."""

    def __init__(self, store: Store, embed: Callable | None = None, embedding_model: str | None = None):
        self.store = store
        self.embed = embed
        self.embedding_model = embedding_model

    def ingest(self, document: Document) -> IngestOutcome:
        try:
            return self._ingest(document)
        except NutgrafError as error:
            return IngestOutcome(document.origin, "failed", title=document.title, error=str(error))

    def ingest_all(self, documents: Iterable[Document]) -> Iterator[IngestOutcome]:
        for document in documents:
            yield self.ingest(document)

    def _ingest(self, document: Document) -> IngestOutcome:
        document.text = document.text.strip()
        if not document.text:
            raise InputError(f"{document.origin or 'document'}: no article text")
        if len(document.text) > MAX_TEXT_CHARS:
            raise InputError(f"{document.origin or 'document'}: text over {MAX_TEXT_CHARS:,} characters")
        identifier, digest = article_id(document), _content_hash(document)
        if self.store.content_hash(identifier) == digest:
            return IngestOutcome(document.origin, "unchanged", identifier, document.title)
        article = self._build(identifier, digest, document)
        ids, signatures = self.store.signatures()
        duplicates = [
            (other, score) for other, score in fingerprint.similar(article.signature, ids, signatures)
            if other != identifier
        ]
        result = self.store.put_article(article)
        if duplicates:
            log.info("%s is a near-duplicate of %s", identifier, ", ".join(i for i, _ in duplicates))
        return IngestOutcome(document.origin, result.status, identifier, document.title,
                             near_duplicates=duplicates)

    def _build(self, identifier: str, digest: str, document: Document) -> Article:
        analysis = analyse(document.text, document.published)
        if not analysis.sentences:
            raise InputError(f"{document.origin or 'document'}: no sentences found in the text")
        embeddings = self.embed([s.text for s in analysis.sentences]) if self.embed else None
        return Article(
            id=identifier, text=document.text, title=document.title, url=document.url,
            published=document.published, authors=list(document.authors), source=document.source,
            origin=document.origin, content_hash=digest,
            ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            sentences=analysis.sentences, entities=analysis.entities, quotes=analysis.quotes,
            times=analysis.times, embeddings=embeddings,
            embedding_model=self.embedding_model if embeddings is not None else None,
            signature=fingerprint.signature(document.text),
        )
