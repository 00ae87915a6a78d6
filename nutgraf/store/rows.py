"""Articles to rows and back, the same for every backend: an Article is built in one place.

Both backends keep an article in the same tables (``articles``, ``sentences``, ``entities``,
``quotes``, ``times``); they differ in how a parameter is written, how a vector is stored and
which column keeps the order rows were written in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..records import Article, Entity, Mention, Quote, Sentence, TimeExpression

ARTICLE_COLUMNS = ("id, url, title, published, source, authors, origin, content_hash, ingested_at, text,"
                   " signature, embedding_model")
SENTENCE_COLUMNS = 'idx, start, "end", paragraph, text, embedding'
ENTITY_COLUMNS = "name, label, mentions"
QUOTE_COLUMNS = 'text, start, "end", sentence_index, speaker, form, closed, verb'
TIME_COLUMNS = 'text, start, "end", sentence_index, resolved'
START = 1  # where a quote's or a time's row holds its start


def utc_text(moment: datetime) -> str:
    """The one text form of a time in the stores, so that comparing texts compares times."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def now_text() -> str:
    return utc_text(datetime.now(timezone.utc))


def article_values(a: Article) -> tuple:
    """The row of ``articles`` for ``a``, in the order of ARTICLE_COLUMNS."""
    return (a.id, a.url, a.title, a.published, a.source, json.dumps(a.authors), a.origin, a.content_hash,
            a.ingested_at or now_text(), a.text,
            None if a.signature is None else a.signature.astype(np.uint64).tobytes(),
            a.embedding_model if a.embeddings is not None else None)


def mentions_json(entity: Entity) -> str:
    return json.dumps([mention.__dict__ for mention in entity.mentions])


def article_queries(placeholder: str, written: str) -> tuple[str, ...]:
    """The SELECTs whose rows :func:`article_from_rows` takes, with a backend's
    ``placeholder`` and the column that keeps the order rows were written in."""
    where = f"WHERE article_id = {placeholder}"
    return (f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = {placeholder}",
            f"SELECT {SENTENCE_COLUMNS} FROM sentences {where} ORDER BY idx",
            f"SELECT {ENTITY_COLUMNS} FROM entities {where} ORDER BY {written}",
            f"SELECT {QUOTE_COLUMNS} FROM quotes {where} ORDER BY {written}",
            f"SELECT {TIME_COLUMNS} FROM times {where} ORDER BY {written}")


def article_from_rows(row: Sequence, sentences: Sequence[Sequence], entities: Sequence[Sequence],
                      quotes: Sequence[Sequence], times: Sequence[Sequence],
                      vector: Callable[[Any], np.ndarray]) -> Article:
    """The article of the rows :func:`article_queries` reads; ``vector`` reads a stored embedding.

    Quotes and times come in the order they start in the text, and in the order they were
    written where two start at once (a quote inside a quote, a date range)."""
    (identifier, url, title, published, source, authors, origin, digest, ingested_at, text, signature,
     embedding_model) = row
    embedded = bool(sentences) and all(r[5] is not None for r in sentences)
    return Article(
        id=identifier, text=text, title=title, url=url, published=published, authors=json.loads(authors),
        source=source, origin=origin, content_hash=digest, ingested_at=ingested_at,
        sentences=[Sentence(*r[:5]) for r in sentences],
        entities=[Entity(name, label, [Mention(**m) for m in json.loads(mentions)])
                  for name, label, mentions in entities],
        quotes=[Quote(*r[:6], bool(r[6]), r[7]) for r in sorted(quotes, key=lambda r: r[START])],
        times=[TimeExpression(*r) for r in sorted(times, key=lambda r: r[START])],
        embeddings=np.vstack([vector(r[5]) for r in sentences]) if embedded else None,
        embedding_model=embedding_model,
        signature=np.frombuffer(signature, np.uint64) if signature else None,
    )
