"""Key points of an article: the overview answer ("What is this about?") and the "In short"
bullets of the explore panel.

News is written as an inverted pyramid: the most important facts come first, and each
paragraph opens with what it adds. So the key points are the openings of the story's first
paragraphs, one a paragraph (the bullets come from different parts of the story, never two
from one paragraph), in reading order. A paragraph opens with its first sentence that can
stand as a point: not a photo caption, a question, a fragment, or a line of quotation (one
that opens with a quotation mark, inside a quotation, or hands over to one). A text
without paragraph breaks counts each sentence as its own paragraph, as a news paragraph is a
sentence or two. A sentence that says what a chosen one says is passed over.

Each bullet is a span of its sentence: without the dateline before the story's first words
("(CNN)", "By . Jane Doe ."), the connective that tied it to the one before ("However,"),
or what a missed sentence break glued on after it (a quotation, a photo caption's label), so
every word of it stands in the cited sentence.
"""

from __future__ import annotations

import re

from ..analysis.quotes import quotation_spans
from ..records import Article, Sentence
from .structures import Span, is_bullet, readable

KEY_POINTS = 3
MIN_WORDS, MAX_WORDS = 8, 70  # shorter lines are headings or labels; longer ones are run-ons
NEAR_DUPLICATE = 0.8  # cosine above which two bullets say the same
# A line of quotation: it opens with a quotation mark, or hands over to one after the
# speaker's few words ("He said: ‘...", "Mr Wang added: '...").
QUOTATION = re.compile(r"^(?:[“\"‘']|(?:\S+\s+){0,3}\S+:\s*[“\"‘'])")
ENDINGS = {".", "!", "”", '"', "’", "'", ")"}
# A photo caption or a video pointer set in the text ("Scroll down for video", "Pictured: ...").
CAPTION = re.compile(r"^\W*(?:scroll down|watch the video|video:|photo:|pictured:|click here|read more)", re.I)
# What stands before the story's first words: "(CNN)", "WASHINGTON (Reuters) -- ",
# "By . Jane Doe . ", or a caption's label glued to the lede ("Wanted: Police in ...").
AGENCY = r"\((?:CNN|AP|Reuters|AFP)\)\s*(?:--|—|–|-)?\s*"
DATELINE = re.compile(
    rf"^(?:[A-Z][A-Za-z.,' ]{{0,40}}{AGENCY}|{AGENCY}|By\s+\.\s+[^.]{{1,60}}\.\s+"
    r"|[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,2}:\s+(?=[A-Z]))"
)
# A sentence break the splitter missed, after which the rest is another line: a quotation
# ('... a NASA scientist says. "I think ...') or a photo caption's label ('... country. Retro:').
GLUED = re.compile(r"[.!?][”\"’']?\s+(?=[“\"‘][A-Z]|[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,2}:(?:\s|$))")


def key_points(article: Article, count: int = KEY_POINTS) -> list[Span]:
    """Up to ``count`` paragraph openings in reading order, each from a paragraph of its own."""
    chosen: list[Span] = []
    for point in _openings(article):
        if not _repeats(article, point.sentence, [c.sentence for c in chosen]):
            chosen.append(point)
        if len(chosen) == count:
            break
    return chosen


def bullet_text(span: Span) -> str:
    return readable(span)


def _openings(article: Article) -> list[Span]:
    """The first point of each paragraph, in reading order."""
    paragraphs: dict[int, list[Sentence]] = {}
    for sentence in article.sentences:
        paragraphs.setdefault(sentence.paragraph, []).append(sentence)
    quoted = [span for sentences in paragraphs.values()
              for span in quotation_spans(article.text, sentences[0].start, sentences[-1].end)]
    if len(paragraphs) < KEY_POINTS:  # no paragraph breaks to speak of: a sentence each
        paragraphs = {s.index: [s] for s in article.sentences}
    openings = []
    for sentences in paragraphs.values():
        point = next((p for s in sentences if (p := _point(s, quoted)) is not None), None)
        if point is not None:
            openings.append(point)
    return openings


def _point(sentence: Sentence, quoted: list[tuple[int, int]]) -> Span | None:
    """The sentence as a bullet, or None when it cannot stand as one."""
    text = sentence.text
    dateline = DATELINE.match(text)
    start = dateline.end() if dateline else 0
    glued = GLUED.search(text, start)
    end = glued.start() + 1 if glued else len(text.rstrip())
    words = text[start:end]
    if not MIN_WORDS <= len(words.split()) <= MAX_WORDS or is_bullet(sentence):
        return None
    if words.endswith("?") or words[-1:] not in ENDINGS or CAPTION.match(words):
        return None
    if QUOTATION.match(words) or any(s <= sentence.start + start < e for s, e in quoted):
        return None  # someone's words, or the rest of a quotation opened before
    return Span(sentence, start, _closed(text, end))


def _closed(text: str, end: int) -> int:
    """The end, taking in the closing quotation mark right after a full stop ('... it."')."""
    return end + 1 if end < len(text) and text[end] in "”\"’'" else end


def _repeats(article: Article, sentence: Sentence, chosen: list[Sentence]) -> bool:
    if article.embeddings is None:
        return False
    vector = article.embeddings[sentence.index]
    return any(float(vector @ article.embeddings[c.index]) >= NEAR_DUPLICATE for c in chosen)
