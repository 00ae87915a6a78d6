"""Paragraph blocks and sentence boundaries with exact character offsets.

Sentences never cross a block: a block is a paragraph, or one line of it when the line is a
list item, so that "- the demilitarization of Ukraine" is a sentence of its own. A text with
no blank lines at all has one paragraph per line, which keeps a sub-heading from gluing
itself to the next sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Sentence

LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass
class Block:
    start: int
    end: int
    paragraph: int


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for line in text[start:end].split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Blank lines separate paragraphs; a text without any has one paragraph per line."""
    separator = BLANK_LINE if BLANK_LINE.search(text) else re.compile(r"\n")
    spans, pos = [], 0
    for match in separator.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    return [_strip(text, s, e) for s, e in spans if text[s:e].strip()]


def blocks(text: str) -> list[Block]:
    """Split ``text`` into blocks that sentence boundaries may not cross."""
    result: list[Block] = []
    for paragraph, (p_start, p_end) in enumerate(_paragraph_spans(text)):
        pending: tuple[int, int] | None = None
        for l_start, l_end in _lines(text, p_start, p_end):
            line = text[l_start:l_end]
            if not line.strip():
                continue
            if LIST_ITEM.match(line):
                if pending:
                    result.append(Block(*_strip(text, *pending), paragraph))
                    pending = None
                result.append(Block(*_strip(text, l_start, l_end), paragraph))
            else:
                pending = (pending[0], l_end) if pending else (l_start, l_end)
        if pending:
            result.append(Block(*_strip(text, *pending), paragraph))
    return result


def _glue_fragments(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Rejoin pieces a statistical splitter cuts off, such as ``” Zelensky said.``."""
    glued: list[tuple[int, int]] = []
    for start, end in spans:
        piece = text[start:end]
        fragment = piece[:1] in "”’\"'),;:" or piece[:1].islower() or len(piece.split()) == 1
        if glued and fragment and not LIST_ITEM.match(piece):
            glued[-1] = (glued[-1][0], end)
        else:
            glued.append((start, end))
    return glued


def make_sentences(text: str, block_list: list[Block], docs) -> list[Sentence]:
    """Sentences from spaCy docs parsed block by block (``docs[i]`` is ``block_list[i]``)."""
    sentences: list[Sentence] = []
    for block, doc in zip(block_list, docs):
        spans = [
            _strip(text, block.start + sent.start_char, block.start + sent.end_char)
            for sent in doc.sents
        ]
        for start, end in _glue_fragments([s for s in spans if s[1] > s[0]], text):
            sentences.append(Sentence(len(sentences), start, end, block.paragraph, text[start:end]))
    return sentences
