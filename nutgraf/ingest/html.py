"""HTML to a Document with trafilatura: the article body as paragraphs, plus its metadata.

Paragraphs are separated by a blank line and list items and table rows get a paragraph
each, because the analysis splits paragraphs on blank lines and a sentence must never run
from one list item into the next.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree
from trafilatura import bare_extraction

from ..errors import InputError
from ..records import Document

# Comments are not the article; tables often are. favor_precision was chosen on the first
# half of the scrapinghub pages (benchmarks.extraction), where it beat the default and
# favor_recall: boilerplate in the text becomes wrong citations later.
EXTRACTION = {
    "include_comments": False,
    "include_tables": True,
    "favor_precision": True,
}


def extract_article(html: str | bytes, url: str | None = None) -> Document:
    """The article in a whole page: body text, title, authors, date, site name, URL."""
    result = bare_extraction(html, url=url, with_metadata=True, **EXTRACTION)
    paragraphs = _body_paragraphs(result)
    if not paragraphs:
        raise InputError("HTML with no article text")
    title = _title(result)
    if title and _same_text(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline is kept as the title, not as body text
        if not paragraphs:
            raise InputError("HTML with no article text")
    return Document(
        text="\n\n".join(paragraphs),
        title=title,
        url=result.url or url,
        published=result.date,
        authors=split_authors(result.author),
        source=_clean(result.sitename),
    )


def html_fragment_text(html: str) -> str:
    """The text of an HTML fragment that is all article (a feed entry's content, a JSON
    body): every paragraph is kept, since there is no page chrome to remove."""
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    for junk in tree.xpath(".//script|.//style|.//noscript|.//template"):
        junk.drop_tree()
    return "\n\n".join(_html_paragraphs(tree))


def split_authors(author: str | None) -> list[str]:
    """trafilatura joins authors as ``A; B``."""
    if not author:
        return []
    return [name.strip() for name in author.split(";") if name.strip()]


def _title(result: Any) -> str | None:
    """The headline the reader sees: the ``<h1>`` that opens the article, else the page
    title without the `` | Site Name`` it often carries."""
    title = _clean(result.title)
    sitename = _clean(result.sitename)
    first = result.body[0]
    heading = _clean(_inline(first)) if first.tag == "head" else None
    if heading and (first.get("rend") == "h1" or not title or _key(title) == _key(sitename)):
        return heading
    return _without_site_suffix(title, sitename, result.hostname) if title else None


_SEPARATOR = re.compile(r"\s+(?:[|\-–—·»]|::|//)\s+")


def _without_site_suffix(title: str, sitename: str | None, hostname: str | None) -> str:
    for match in _SEPARATOR.finditer(title):
        following = _SEPARATOR.split(title[match.end() :])[0]
        if match.start() > 0 and _names_site(following, sitename, hostname):
            return title[: match.start()].strip()
    return title


def _names_site(segment: str, sitename: str | None, hostname: str | None) -> bool:
    key = _key(segment)
    if len(key) < 3 or len(segment.split()) > 6:
        return False
    if key == _key(sitename):
        return True
    labels = (hostname or "").lower().removeprefix("www.").split(".")[:-1]  # no TLD
    return any(len(label) >= 3 and (label in key or key in label) for label in map(_key, labels))


def _key(text: str | None) -> str:
    return re.sub(r"\W+", "", text or "").casefold()


def _body_paragraphs(result: Any) -> list[str]:
    if result is None or result.body is None:
        return []
    paragraphs: list[str] = []
    for element in result.body:
        _collect(element, paragraphs)
    return paragraphs


def _collect(element: etree._Element, out: list[str]) -> None:
    """Paragraphs of one element of trafilatura's output tree, in reading order."""
    tag = element.tag
    if tag == "table":
        for row in element.iter("row"):
            cells = [_inline(cell) for cell in row.iter("cell")]
            _add(" | ".join(c for c in cells if c), out)
    elif tag in ("list", "quote") and any(child.tag in _BLOCKS for child in element):
        _add(_inline(element, stop_at_blocks=True), out)
        for child in element:
            _collect(child, out)
            _add(child.tail or "", out)
    else:
        _add(_inline(element, stop_at_blocks=True), out)
        for child in element:
            if child.tag in _BLOCKS:
                _collect(child, out)


_BLOCKS = {"p", "head", "list", "item", "quote", "table", "code"}


def _inline(element: etree._Element, stop_at_blocks: bool = False) -> str:
    """The text of ``element`` with ``<lb/>`` as a newline, nested blocks left out if asked."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif not (stop_at_blocks and child.tag in _BLOCKS):
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


# The HTML elements that start a new paragraph of their own in a fragment.
_HTML_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "aside", "main", "blockquote",
    "pre", "li", "dt", "dd", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption",
    "ul", "ol", "dl", "table", "tbody", "thead", "figure", "hr", "address",
}  # fmt: skip


def _html_paragraphs(tree: etree._Element) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        block = tag in _HTML_BLOCKS
        if block:
            _add("".join(current), paragraphs)
            current.clear()
        if tag == "br":
            current.append("\n")
        elif tag in ("td", "th"):
            current.append(" | ")
        if tag:  # comments and processing instructions hold no text to show
            current.append(element.text or "")
        for child in element:
            walk(child)
            current.append(child.tail or "")
        if block:
            _add("".join(current), paragraphs)
            current.clear()

    walk(tree)
    _add("".join(current), paragraphs)
    return paragraphs


def _add(raw: str, out: list[str]) -> None:
    """Normalise spaces; a blank line inside ``raw`` (two ``<lb/>``) splits it in two."""
    lines = [" ".join(line.split()).strip(" |") for line in raw.split("\n")]
    paragraph: list[str] = []
    for line in [*lines, ""]:
        if line:
            paragraph.append(line)
        elif paragraph:
            out.append("\n".join(paragraph))
            paragraph = []


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
