"""RSS and Atom feeds: one Document per entry, each entry failing on its own.

An entry that carries the article (``content:encoded``, Atom ``content``) is read from the
feed; one that carries only a summary is read from the page it links to. What the feed
says about an entry (title, link, date, authors) wins over what the page says.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import feedparser

from ..errors import InputError, NutgrafError
from ..records import Document
from .decode import decode
from .fetch import Fetcher
from .files import iso_date
from .html import extract_article, html_fragment_text
from .options import IngestOptions
from .results import Failed, Loaded

# Shorter than this, an entry's text is a teaser and the linked page holds the article.
FULL_TEXT_CHARS = 500


def feed_documents(
    data: bytes,
    origin: str,
    options: IngestOptions,
    fetcher: Fetcher,
    base_url: str | None = None,
) -> Iterator[Loaded | Failed]:
    """``base_url``, where the feed was fetched from, resolves relative entry links."""
    # A stream, never a string: feedparser would take a string for a URL or a path to open.
    headers = {"content-location": base_url} if base_url else {}
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    if not parsed.entries:
        if parsed.bozo:
            detail = str(parsed.get("bozo_exception") or "unreadable XML").splitlines()[0]
            raise InputError(f"malformed feed ({detail})")
        raise InputError("feed has no entries")
    feed_title = _clean(parsed.feed.get("title"))
    for number, entry in enumerate(parsed.entries, 1):
        where = entry.get("link") or f"{origin}#{number}"
        try:
            document = entry_document(entry, options, fetcher)
        except NutgrafError as exc:
            yield Failed.of(where, exc)
            continue
        document.source = document.source or feed_title
        document.origin = where
        yield Loaded(where, document)


def entry_document(entry: Any, options: IngestOptions, fetcher: Fetcher) -> Document:
    text = _entry_text(entry)
    link = entry.get("link")
    if len(text) >= FULL_TEXT_CHARS:
        document = Document(text=text)
    elif link and options.fetch_feed_links:
        fetched = fetcher.fetch(link)
        document = extract_article(decode(fetched.content, fetched.charset), url=fetched.url)
    elif text:
        document = Document(text=text)
    else:
        raise InputError("entry has no text and no link to fetch")
    return _with_entry_metadata(document, entry)


def _entry_text(entry: Any) -> str:
    """The longest text the entry carries, as paragraphs."""
    parts = [*entry.get("content", []), entry.get("summary_detail") or {}]
    texts = []
    for part in parts:
        value = part.get("value") or ""
        if part.get("type", "text/html") == "text/plain":
            texts.append(value.strip())
        else:
            texts.append(html_fragment_text(value) if value.strip() else "")
    return max(texts, key=len, default="")


def _with_entry_metadata(document: Document, entry: Any) -> Document:
    title = _clean(entry.get("title"))
    if title and document.text.startswith(title + "\n\n"):
        document.text = document.text[len(title) + 2 :]  # the headline repeated in the body
    document.title = title or document.title
    document.url = entry.get("link") or document.url
    document.published = _entry_date(entry) or document.published
    names = [_clean(a.get("name")) for a in entry.get("authors", [])]
    document.authors = [n for n in names if n] or document.authors
    return document


def _entry_date(entry: Any) -> str | None:
    for key in ("published", "updated"):
        parsed = entry.get(f"{key}_parsed")
        if parsed:  # feedparser normalises to UTC
            return datetime(*parsed[:6], tzinfo=timezone.utc).isoformat()
        if entry.get(key):
            try:
                return iso_date(entry[key])
            except InputError:
                continue  # a date only a human can read; the page may have a better one
    return None


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None
