"""What ``nutgraf ingest`` is given (paths, folders, globs, URLs, feeds) to Documents.

:func:`load` yields a :class:`Loaded` or a :class:`Failed` for every item and never raises
for one bad item, so one unreadable file cannot stop the rest of a batch.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError, NutgrafError
from ..records import Document
from .decode import decode
from .feeds import feed_documents
from .fetch import Fetched, Fetcher
from .files import json_documents, jsonl_documents, markdown_document, text_document
from .html import extract_article
from .options import IngestOptions, human_size
from .results import Failed, Loaded

__all__ = ["Failed", "Loaded", "expand_inputs", "load"]

KIND_BY_EXTENSION = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "sniff",  # a feed or an XHTML page: the content tells
}

KIND_BY_MEDIA_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/rdf+xml": "feed",
    "application/xml": "feed",
    "text/xml": "feed",
    "application/json": "json",
    "application/feed+json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB = re.compile(r"[*?\[]")
_XML_PROLOGUE = re.compile(rb"^(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?! html)[^>]*>)*", re.S | re.I)
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]")
_HTML_START = re.compile(rb"<(?:!DOCTYPE html|html|head|body|article|div|p)[\s>]", re.I)


def expand_inputs(inputs: list[str]) -> list[str]:
    """Folders become the supported files under them (sorted), globs their matches; URLs
    and paths that do not exist stay as given, for :func:`load` to fetch or report."""
    expanded: list[str] = []
    for item in inputs:
        if is_url(item):
            expanded.append(item)
        elif os.path.isdir(item):
            expanded.extend(_supported_files(item))
        elif _GLOB.search(item) and not os.path.exists(item):
            matches = sorted(glob.glob(item, recursive=True))
            for match in matches:
                expanded.extend(_supported_files(match) if os.path.isdir(match) else [match])
            if not matches:
                expanded.append(item)
        else:
            expanded.append(item)
    return list(dict.fromkeys(expanded))


def load(inputs: list[str], options: IngestOptions | None = None) -> Iterator[Loaded | Failed]:
    options = options or IngestOptions()
    with Fetcher(options) as fetcher:
        for item in expand_inputs(inputs):
            yield from _load_one(item, options, fetcher)


def is_url(item: str) -> bool:
    return bool(_URL.match(item))


def _load_one(item: str, options: IngestOptions, fetcher: Fetcher) -> Iterator[Loaded | Failed]:
    try:
        if is_url(item):
            yield from _load_url(item, options, fetcher)
        else:
            yield from _load_file(item, options, fetcher)
    except NutgrafError as exc:
        yield Failed.of(item, exc)
    except Exception as exc:  # a bug on one odd input must not end the batch
        yield Failed.of(item, f"unexpected error ({type(exc).__name__}: {exc})")


def _load_url(url: str, options: IngestOptions, fetcher: Fetcher) -> Iterator[Loaded | Failed]:
    fetched = fetcher.fetch(url)
    yield from _documents(
        _url_kind(fetched), fetched.content, url, options, fetcher, fetched.charset, fetched.url
    )


def _load_file(path: str, options: IngestOptions, fetcher: Fetcher) -> Iterator[Loaded | Failed]:
    data = _read(path, options)
    kind = _kind_by_extension(path)
    if kind == "sniff":
        kind = sniff(data) or "feed"  # XML that is neither: feedparser says what is wrong
    elif kind is None:
        kind = sniff(data) or "text"
    yield from _documents(kind, data, path, options, fetcher)


def _documents(
    kind: str,
    data: bytes,
    origin: str,
    options: IngestOptions,
    fetcher: Fetcher,
    charset: str | None = None,
    url: str | None = None,  # where it was fetched from, after redirects
) -> Iterator[Loaded | Failed]:
    text = decode(data, charset)  # refuses empty and binary input alike for every kind
    if kind == "feed":
        # feedparser reads the bytes itself, to honour the feed's own encoding declaration
        yield from feed_documents(data, origin, options, fetcher, base_url=url)
    elif kind == "json":
        yield from json_documents(text, origin)
    elif kind == "jsonl":
        yield from jsonl_documents(text, origin)
    elif kind == "html":
        document = extract_article(text, url=url)
        document.url = document.url or url
        yield _loaded(origin, document)
    elif kind == "markdown":
        yield _loaded(origin, markdown_document(text, origin))
    else:
        yield _loaded(origin, text_document(text, origin))


def sniff(data: bytes) -> str | None:
    """``feed``, ``html`` or ``json`` from the first bytes, or None when they do not tell."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    prologue = _XML_PROLOGUE.match(head)
    start = head[prologue.end() :] if prologue else head
    if _FEED_ROOT.match(start):
        return "feed"
    if _HTML_START.match(start):
        return "html"
    if start[:1] in (b"{", b"["):
        return "json"
    return None


def _read(path: str, options: IngestOptions) -> bytes:
    file = Path(path)
    if not file.exists():
        raise InputError("no files match" if _GLOB.search(path) else "no such file or directory")
    try:
        if file.stat().st_size > options.max_bytes:
            raise InputError(f"file over the size limit ({human_size(options.max_bytes)})")
        return file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({(exc.strerror or str(exc)).lower()})") from None


def _url_kind(fetched: Fetched) -> str:
    """Markup decides first (feeds are often served as text/html or text/xml), then the
    file extension in the URL, then the media type the server sent."""
    sniffed = sniff(fetched.content)
    if sniffed in ("feed", "html"):
        return sniffed
    extension = _kind_by_extension(fetched.url)
    if extension not in (None, "sniff"):
        return extension
    return KIND_BY_MEDIA_TYPE.get(fetched.content_type) or sniffed or "text"


def _kind_by_extension(name: str) -> str | None:
    path = re.sub(r"[?#].*$", "", name) if is_url(name) else name
    return KIND_BY_EXTENSION.get(os.path.splitext(path)[1].lower())


def _supported_files(folder: str) -> list[str]:
    root = Path(folder)
    return sorted(
        str(path)
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix.lower() in KIND_BY_EXTENSION
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def _loaded(origin: str, document: Document) -> Loaded:
    document.origin = origin
    return Loaded(origin, document)
