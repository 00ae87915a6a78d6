"""The demo site (an archive index and article pages, the way a news site shows them) and
the embeddable widget script.

Article pages mark every sentence with ``data-sentence`` inside a ``data-article`` block:
the widget highlights the sentences an answer cites on those elements exactly (a publisher's
page without the markup is searched for the sentences' text instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from ..errors import NotFound
from ..records import Article, Sentence

HERE = Path(__file__).parent
STATIC = HERE / "static"
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
ARCHIVE_PAGE = 50  # stories on one page of the archive
SENTENCE_END = (".", "!", "?", '"', "”", "’", "'", ")", "…")


def long_date(value: str | None) -> str:
    """``15 March 2024`` for an ISO date or datetime; anything else as it is."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{parsed.day} {parsed:%B %Y}"


def web_url(value: str | None) -> bool:
    """Whether ``value`` may become a link: http(s) only, so an ingested ``javascript:`` URL
    stays inert, and not a ``.invalid`` host (RFC 6761), which the sample articles use."""
    if not value:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and not (parts.hostname or "").endswith(".invalid")


templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True))
templates.env.filters.update(long_date=long_date, web_url=web_url)
router = APIRouter(include_in_schema=False)


@dataclass
class Block:
    kind: str  # paragraph | list | heading
    paragraphs: list[list[Sentence]] = field(default_factory=list)


def blocks(article: Article) -> list[Block]:
    """Paragraphs of sentences, with list items and subheadings told apart by their shape.

    Ingest keeps a list item as a paragraph of its own; a run of short unpunctuated
    paragraphs after one ending in a colon reads as a list, a lone one as a subheading.
    """
    result: list[Block] = []
    for _, group in groupby(article.sentences, key=lambda s: s.paragraph):
        paragraph = list(group)
        fragment = len(paragraph) == 1 and not paragraph[0].text.rstrip().endswith(SENTENCE_END)
        previous = result[-1] if result else None
        if fragment and previous and (previous.kind == "list" or _ends_with_colon(previous)):
            if previous.kind != "list":
                previous = Block("list")
                result.append(previous)
            previous.paragraphs.append(paragraph)
        elif fragment and previous and len(paragraph[0].text) <= 80:
            result.append(Block("heading", [paragraph]))
        else:
            result.append(Block("paragraph", [paragraph]))
    return result


def _ends_with_colon(block: Block) -> bool:
    return block.kind == "paragraph" and block.paragraphs[-1][-1].text.rstrip().endswith(":")


@router.get("/", response_class=HTMLResponse)
def archive(request: Request, offset: int = Query(0, ge=0)):
    nutgraf = request.app.state.nutgraf
    context = {
        "articles": nutgraf.articles(limit=ARCHIVE_PAGE, offset=offset),
        "newer": max(offset - ARCHIVE_PAGE, 0) if offset else None,
        "older": offset + ARCHIVE_PAGE if offset + ARCHIVE_PAGE < nutgraf.article_count() else None,
    }
    return templates.TemplateResponse(request, "index.html", context, headers=PAGE_HEADERS)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str):
    try:
        article = request.app.state.nutgraf.article(article_id)
    except NotFound:
        return templates.TemplateResponse(request, "not_found.html", {"article_id": article_id},
                                          status_code=404, headers=PAGE_HEADERS)
    context = {"article": article, "blocks": blocks(article)}
    return templates.TemplateResponse(request, "article.html", context, headers=PAGE_HEADERS)


@router.get("/widget.js")
def widget() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Cross-Origin-Resource-Policy": "cross-origin"})
