"""Plain text, Markdown, JSON and JSONL to Documents.

Text and Markdown may open with YAML front matter between ``---`` lines (title, url,
published or date, source, authors or author). JSON holds one object or a list of
objects and JSONL one object a line, with the same fields plus text, body or content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timezone
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml
from dateutil import parser as dateparser
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import InputError
from ..records import Document
from .html import html_fragment_text
from .results import Failed, Loaded

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HTML_TAG = re.compile(r"<(?:p|div|br|h[1-6]|ul|ol|li|article|section|blockquote)\b", re.I)
_SENTENCE_END = (".", ",", ";", ":")
# Interface text a page leaves after the story when it is saved as text: widget and share
# labels ("Ask me anything", "Explore related questions", "Share on Facebook"). A line that
# closes a story ends like a sentence; these are a few words with no closing punctuation.
_CHROME_MAX_WORDS = 6
_CLOSING = (".", "!", "?", "…", ":", ";", '"', "”", "’", "'", ")", "]")
_STRUCTURE = re.compile(r"\s*(?:[-*+•]\s|\d{1,3}[.)]\s|\||```|~~~|<)")  # list, table, code, HTML
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_LEAD = re.compile(r"^\s*(?:#{1,6}|>)\s*")


# --- plain text -------------------------------------------------------------------------


def text_document(text: str, name: str) -> Document:
    """A ``.txt`` file; ``name`` is its path or URL, for a title when nothing else gives one.

    The body is kept as written, so offsets into it are offsets into the file after its
    front matter and title line: the analysis reads both blank-line paragraphs and text
    with one paragraph per line.
    """
    fields, body = split_front_matter(text)
    document = _document_from_fields(fields, without_trailing_chrome(body.strip("\n")))
    first_line, rest = _split_first_line(document.text)
    if document.title is None and _reads_as_heading(first_line, rest, document.text):
        document.title, document.text = first_line.strip(), rest
    elif document.title is not None and first_line.strip() == document.title:
        document.text = rest  # the title repeated as the first line
    document.title = document.title or title_from_name(name)
    return _require_text(document)


def _split_first_line(text: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n")
    return first, rest.lstrip(" \t\n")


def _reads_as_heading(line: str, rest: str, text: str) -> bool:
    """A short line with no closing period, standing alone: followed by a blank line, or in
    a text that has one paragraph per line. The first line of a wrapped paragraph is not."""
    words = line.split()
    if not rest.strip() or not words or len(words) > 20 or len(line) > 150:
        return False
    if line.rstrip().endswith(_SENTENCE_END) or _BULLET.match(line):
        return False
    return bool(_BLANK_LINE.match(text, len(line))) or not _BLANK_LINE.search(text)


def without_trailing_chrome(text: str, markdown: bool = False) -> str:
    """``text`` without the interface lines after its last paragraph (see ``_CHROME_MAX_WORDS``).

    Only the end is cut, so offsets into what is kept do not move; a short line inside the
    story (a subheading) is followed by more story and stays. Lists, tables and code are
    content, and a text made only of such short lines is left whole.
    """
    lines = text.rstrip().split("\n")
    end = len(lines)
    while end and (not lines[end - 1].strip() or _is_chrome(lines[end - 1], markdown)):
        end -= 1
    if end == 0 or end == len(lines):
        return text
    return "\n".join(lines[:end])


def _is_chrome(line: str, markdown: bool) -> bool:
    if _STRUCTURE.match(line):
        return False
    if markdown:
        line = _MARKDOWN_LEAD.sub("", _MARKDOWN_LINK.sub(r"\1", line)).strip("*_ \t")
    words = line.split()
    return 0 < len(words) <= _CHROME_MAX_WORDS and not line.rstrip().endswith(_CLOSING)


def title_from_name(name: str) -> str | None:
    """``budapest-summit.txt`` -> ``Budapest summit``."""
    path = urlsplit(name).path if "://" in name else name
    stem = PurePosixPath(path.replace("\\", "/").rstrip("/")).stem
    words = re.sub(r"[-_.]+", " ", stem).strip()
    if not words:
        return None
    return words[0].upper() + words[1:] if words.islower() else words


# --- Markdown ---------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark").enable("table")


def markdown_document(text: str, name: str) -> Document:
    fields, body = split_front_matter(text)
    heading, paragraphs = markdown_paragraphs(without_trailing_chrome(body, markdown=True))
    document = _document_from_fields(fields, "\n\n".join(paragraphs))
    if heading is not None and document.title in (None, heading):
        document.title = heading
    elif heading is not None:
        document.text = "\n\n".join([heading, *paragraphs])
    document.title = document.title or title_from_name(name)
    return _require_text(document)


def markdown_paragraphs(text: str) -> tuple[str | None, list[str]]:
    """Plain-text paragraphs of a Markdown text, and its opening heading if it has one.

    Headings, list items and table rows each become a paragraph; links keep their text;
    images, HTML comments and markup characters go.
    """
    tokens = _MARKDOWN.parse(text)
    opening = None
    if len(tokens) > 2 and tokens[0].type == "heading_open":
        opening, tokens = _inline_text(tokens[1]).strip(), tokens[3:]
    paragraphs: list[str] = []
    row: list[str] | None = None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            paragraphs.append(" | ".join(cell for cell in row if cell))
            row = None
        elif token.type == "inline":
            content = _inline_text(token).strip()
            if row is not None:
                row.append(content)
            elif content:
                paragraphs.append(content)
        elif token.type in ("fence", "code_block") and token.content.strip():
            paragraphs.append(token.content.strip("\n"))
        elif token.type == "html_block":
            paragraphs.extend(p for p in html_fragment_text(token.content).split("\n\n") if p)
    return opening or None, paragraphs


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")  # a wrapped line, not a break the writer asked for
        elif child.type == "hardbreak":
            parts.append("\n")
    return "".join(parts)


# --- JSON and JSONL ---------------------------------------------------------------------


def json_documents(text: str, origin: str) -> Iterator[Loaded | Failed]:
    """One object, or a list of objects (origin ``path#N``, counted from 1)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg.lower()}: line {exc.lineno})") from None
    if isinstance(data, dict):
        yield _loaded_or_failed(data, origin)
    elif isinstance(data, list):
        for number, item in enumerate(data, 1):
            yield _loaded_or_failed(item, f"{origin}#{number}")
    else:
        raise InputError("JSON must be an object or a list of objects")


def jsonl_documents(text: str, origin: str) -> Iterator[Loaded | Failed]:
    """One object a line; a bad line fails alone, as ``path:LINE``."""
    found = False
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        found = True
        where = f"{origin}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Failed.of(where, f"invalid JSON ({exc.msg.lower()}: column {exc.colno})")
            continue
        yield _loaded_or_failed(item, where)
    if not found:
        raise InputError("empty file")


def _loaded_or_failed(item: Any, origin: str) -> Loaded | Failed:
    try:
        document = json_document(item)
    except InputError as exc:
        return Failed.of(origin, exc)
    document.origin = origin
    return Loaded(origin, document)


def json_document(item: Any) -> Document:
    if not isinstance(item, dict):
        raise InputError(f"expected an object, found {type(item).__name__}")
    body = _first_field(item, ("text", "body", "content"))
    if not isinstance(body, str) or not body.strip():
        raise InputError("no article text (a non-empty text, body or content field)")
    text = html_fragment_text(body) if _HTML_TAG.search(body) else body.strip()
    return _require_text(_document_from_fields(item, text))


# --- fields shared by front matter and JSON ---------------------------------------------


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        fields = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise InputError(f"front matter is not valid YAML{where}") from None
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise InputError("front matter must be a set of fields (title: ..., url: ...)")
    return fields, text[match.end() :]


def _document_from_fields(fields: Mapping[str, Any], text: str) -> Document:
    return Document(
        text=text,
        title=_string(fields.get("title")),
        url=_string(fields.get("url")),
        published=iso_date(_first_field(fields, ("published", "date", "published_at"))),
        authors=_authors(_first_field(fields, ("authors", "author"))),
        source=_string(fields.get("source")),
    )


def iso_date(value: Any) -> str | None:
    """An ISO 8601 date or datetime from a YAML date, a string or a Unix time."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc).isoformat()
    if isinstance(value, str):
        try:
            parsed = dateparser.parse(value)
        except (ValueError, OverflowError):
            raise InputError(f"unrecognised date {value!r}") from None
        # A bare date stays a date: inventing midnight would claim a precision it lacks.
        has_time = bool(re.search(r"\d:\d", value))
        return parsed.isoformat() if has_time else parsed.date().isoformat()
    raise InputError(f"unrecognised date {value!r}")


def _authors(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(";")
    if isinstance(value, list):
        return [name for name in (_string(v) for v in value) if name]
    return []


def _string(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _first_field(fields: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if fields.get(name) not in (None, ""):
            return fields[name]
    return None


def _require_text(document: Document) -> Document:
    if not document.text.strip():
        raise InputError("no article text")
    return document
