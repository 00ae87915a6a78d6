"""From a Document to a stored article: identify, analyse, embed, store in one transaction.

An article's id comes from its canonical URL, else from its text, so ingesting the same
article again finds the same id; unchanged content is recognised by its hash before any
analysis is spent on it.

Documents go through in chunks: spaCy analyses a chunk's articles together, and their
sentences are embedded together (sorted by length across articles, so batches carry little
padding). The embedding of one chunk runs in a background thread while spaCy analyses the
next, each on its own core. Every article is still stored in its own transaction, and
outcomes come back one per article, in input order.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..analysis import fingerprint
from ..analysis.analyzer import Analysis, analyse_many
from ..errors import InputError, NutgrafError
from ..records import Article, Document
from ..store.base import ArticleStore

log = logging.getLogger(__name__)
TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "cmpid", "ref")
MAX_TEXT_CHARS = 200_000
# Articles analysed and embedded together: enough sentences (about 30 a story) for batches of
# even length, few enough that the first lines of `nutgraf ingest` show within seconds.
CHUNK = 16


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
    """Analyses and stores documents; ``embed`` is a callable from sentence texts to vectors.

    ``stage_seconds`` adds up the time spent in each stage (for benchmarks and profiling);
    ``embed_wait`` is the part of embedding that analysis did not hide.
    """

    def __init__(self, store: ArticleStore, embed: Callable | None = None, embedding_model: str | None = None):
        self.store = store
        self.embed = embed
        self.embedding_model = embedding_model
        self.stage_seconds: Counter[str] = Counter()

    def ingest(self, document: Document) -> IngestOutcome:
        return list(self.ingest_all([document]))[0]

    def ingest_all(self, items: Iterable[Document | IngestOutcome]) -> Iterator[IngestOutcome]:
        """One outcome per item, in order; an outcome given in (an input that failed to load)
        is passed through in its place."""
        with ThreadPoolExecutor(1, thread_name_prefix="nutgraf-embed") as embedder:
            waiting: tuple[list[_Pending], Future] | None = None
            for chunk in _chunks(iter(items), CHUNK):
                pending = self._prepare(chunk)
                vectors = embedder.submit(self._embed, pending)
                if waiting:
                    yield from self._store(*waiting)
                waiting = (pending, vectors)
            if waiting:
                yield from self._store(*waiting)

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[name] += time.perf_counter() - started

    def _prepare(self, chunk: list[Document | IngestOutcome]) -> list[_Pending]:
        """Check each document, skip unchanged ones, and analyse the rest together."""
        pending = [_Pending(item) if isinstance(item, IngestOutcome) else self._check(item) for item in chunk]
        todo = [p for p in pending if p.outcome is None]
        with self._stage("analyse"):
            analyses = analyse_many((p.document.text, p.document.published) for p in todo)
        with self._stage("minhash"):
            for item, analysis in zip(todo, analyses):
                self._build(item, analysis)
        return pending

    def _check(self, document: Document) -> _Pending:
        try:
            document.text = document.text.strip()
            if not document.text:
                raise InputError(f"{document.origin or 'document'}: no article text")
            if len(document.text) > MAX_TEXT_CHARS:
                raise InputError(f"{document.origin or 'document'}: text over {MAX_TEXT_CHARS:,} characters")
            identifier, digest = article_id(document), _content_hash(document)
            if self.store.content_hash(identifier) == digest:
                return _Pending(IngestOutcome(document.origin, "unchanged", identifier, document.title))
        except NutgrafError as error:
            return _Pending(_failed(document, error))
        return _Pending(None, document, identifier, digest)

    def _build(self, item: _Pending, analysis: Analysis) -> None:
        document = item.document
        if not analysis.sentences:
            problem = InputError(f"{document.origin or 'document'}: no sentences found in the text")
            item.outcome = _failed(document, problem)
            return
        item.article = Article(
            id=item.identifier, text=document.text, title=document.title, url=document.url,
            published=document.published, authors=list(document.authors), source=document.source,
            origin=document.origin, content_hash=item.digest,
            ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            sentences=analysis.sentences, entities=analysis.entities, quotes=analysis.quotes,
            times=analysis.times, signature=fingerprint.signature(document.text),
        )

    def _embed(self, pending: list[_Pending]):
        """Vectors for every sentence of the chunk's articles (runs in the background thread)."""
        articles = [p.article for p in pending if p.outcome is None]
        if self.embed is None or not articles:
            return None
        with self._stage("embed"):
            return self.embed([s.text for a in articles for s in a.sentences])

    def _store(self, pending: list[_Pending], vectors: Future) -> Iterator[IngestOutcome]:
        with self._stage("embed_wait"):
            try:
                matrix, error = vectors.result(), None
            except NutgrafError as failure:
                matrix, error = None, failure
        offset = 0
        for item in pending:
            if item.outcome is None and error is not None:
                item.outcome = _failed(item.document, error)
            if item.outcome is not None:
                yield item.outcome
                continue
            article = item.article
            if matrix is not None:
                article.embeddings = matrix[offset:offset + len(article.sentences)]
                article.embedding_model = self.embedding_model
                offset += len(article.sentences)
            yield self._put(item.document, article)

    def _put(self, document: Document, article: Article) -> IngestOutcome:
        try:
            with self._stage("near_duplicates"):
                duplicates = [
                    (other, score) for other, score in fingerprint.similar(
                        article.signature, self.store.near_duplicate_candidates(article.signature))
                    if other != article.id
                ]
            with self._stage("store"):
                result = self.store.put_article(article)
        except NutgrafError as error:
            return _failed(document, error)
        if duplicates:
            log.info("%s is a near-duplicate of %s", article.id, ", ".join(i for i, _ in duplicates))
        return IngestOutcome(document.origin, result.status, article.id, document.title,
                             near_duplicates=duplicates)


@dataclass
class _Pending:
    """A document on its way through one chunk: its outcome once decided, else its article."""

    outcome: IngestOutcome | None
    document: Document | None = None
    identifier: str = ""
    digest: str = ""
    article: Article | None = None


def _failed(document: Document, error: Exception) -> IngestOutcome:
    return IngestOutcome(document.origin, "failed", title=document.title, error=str(error))


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk
