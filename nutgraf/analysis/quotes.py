"""Who said what: direct quotes and their speakers (reported statements are in ``statements``).

**Direct quotes.** News style puts the speaker right after the quote (``“...,” Zelensky
said.``, ``“...,” said Zelensky``) or right before it (``Zelensky expressed hope that “...”``).
A quote is attributed to the person named in that position next to a speech verb; a pronoun
there ("he said") stands for the one person named just before, and a title ("The Ukrainian
President emphasized ...") for the person the story introduced with that title. A quotation
mark never closed in its paragraph is kept with ``closed=False``: what follows it may be the
writer's narrative after a stray mark, so it is nobody's words for certain.

Attribution is strict, since a wrong speaker is worse than none: a speaker is a person the
story names in full (not a scare-quoted word spaCy took for one, not a committee) or, for
reported statements, a named organisation, government or people ("the Kremlin", "Moscow").
A bare title, or a "he said" when nobody or several people were named just before, is no
speaker.
"""

from __future__ import annotations

import bisect
import re

from ..records import Entity, Quote, Sentence
from .entities import TITLES

SPEECH_VERBS = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|stated|states|wrote|writes|warned|warns|"
    r"explained|insisted|argued|asked|noted|declared|claimed|announced|continued|replied|"
    r"recalled|emphasi[sz]ed|stressed|expressed|described|tweeted|posted|urged|"
    r"acknowledged|admitted|according to|called|promised|vowed|conceded|predicted)\b",
    re.IGNORECASE,
)
PRONOUN = re.compile(r"^\W*(he|she)\s+(?:\w+\s+)?(?:said|says|told|added|wrote|stated)\b", re.I)
# Honorifics that say whom "he" or "she" cannot stand for.
HONORIFICS = {"he": re.compile(r"\b(?:Mrs|Ms|Miss)\.?\s+$"), "she": re.compile(r"\bMr\.?\s+$")}
QUOTE_PAIRS = {"“": "”", '"': '"'}
TITLED_SUBJECT = re.compile(
    r"^\W*the\s+(?:[A-Z][\w.’'-]*\s+){0,3}(?:president|minister|leader|chancellor|premier|"
    r"senator|governor|mayor|spokesman|spokeswoman|spokesperson|secretary)\b",
    re.IGNORECASE,
)
MIN_WORDS = 3  # shorter quoted strings are mostly scare quotes ("Waterloo")
NEAR = 60  # characters between a quote and its attribution
# A person's name has a given name and a surname: a single capitalised word that spaCy
# calls a PERSON is as often a place, a team or a quoted word ("Waterloo", "Premiership").
NAME_WORDS = 2
# Words that make a "PERSON" spaCy found a body of people instead ("the Harbour Committee").
INSTITUTION_WORDS = {
    "committee", "council", "commission", "board", "agency", "ministry", "department", "court",
    "government", "parliament", "party", "office", "union", "assembly", "senate", "congress",
    "authority", "administration", "institute", "association", "group", "team", "police",
}
OPENING_MARKS = "“\"‘'"

SPEAKER_LABELS = {"ORG", "GPE", "NORP"}  # besides people, for reported statements


def _quote_spans(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of the text inside each pair of quotation marks in text[start:end];
    an unclosed quote runs to the paragraph end, with ``closed`` False."""
    spans, pos = [], start
    while pos < end:
        opener = min((i for i in (text.find(q, pos, end) for q in QUOTE_PAIRS) if i >= 0), default=-1)
        if opener < 0:
            break
        closer = text.find(QUOTE_PAIRS[text[opener]], opener + 1, end)
        close_at = closer if closer >= 0 else end
        spans.append((opener + 1, close_at, closer >= 0))
        pos = close_at + 1
    return spans


def single_quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The text inside single quotation marks (‘...’ or '...'), told apart from apostrophes
    ("Russia’s", "don't") by what stands on either side of the mark."""
    spans, opened = [], None
    for i in range(start, end):
        mark = text[i]
        if mark not in "‘’'":
            continue
        before = text[i - 1] if i > start else " "
        after = text[i + 1] if i + 1 < end else " "
        if opened is None and mark in "‘'" and not before.isalnum() and not after.isspace():
            opened = i
        elif opened is not None and mark in "’'" and not after.isalnum() and not before.isspace():
            spans.append((opened + 1, i))
            opened = None
    if opened is not None:
        spans.append((opened + 1, end))
    return spans


def quotation_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The text inside every pair of quotation marks, double or single, in text[start:end]."""
    return [(s, e) for s, e, _ in _quote_spans(text, start, end)] + single_quote_spans(text, start, end)


def paragraph_ranges(sentences: list[Sentence]) -> list[tuple[int, int]]:
    ranges: dict[int, tuple[int, int]] = {}
    for s in sentences:
        first = ranges.get(s.paragraph, (s.start, s.end))
        ranges[s.paragraph] = (min(first[0], s.start), max(first[1], s.end))
    return sorted(ranges.values())


def _only_in_quotation_marks(text: str, entity: Entity) -> bool:
    """Every mention opens a quotation: “Waterloo” is a word the story quotes, not a person."""
    return all(m.start > 0 and text[m.start - 1] in OPENING_MARKS for m in entity.mentions)


def is_named_person(text: str, entity: Entity) -> bool:
    """A PERSON named in full: a given name and a surname besides any title, not a body of people."""
    if entity.label != "PERSON" or _only_in_quotation_marks(text, entity):
        return False
    words = entity.name.split()
    if any(w.strip(".,’'").lower() in INSTITUTION_WORDS for w in words):
        return False
    named = [w for w in words if w[:1].isupper() and w.strip(".,’'").lower() not in TITLES]
    return len(named) >= NAME_WORDS


def is_named_body(text: str, entity: Entity) -> bool:
    """An organisation, a government or a people the story names: "the Kremlin", "Moscow"."""
    return entity.label in SPEAKER_LABELS and not _only_in_quotation_marks(text, entity)


def person_mentions(text: str, entities: list[Entity]) -> list[tuple[int, int, str]]:
    return sorted(
        (m.start, m.end, e.name) for e in entities if is_named_person(text, e) for m in e.mentions
    )


def _speaker_after(text: str, q_end: int, sentence_end: int, people, since: int) -> str | None:
    window = text[q_end:min(sentence_end, q_end + NEAR)]
    if not SPEECH_VERBS.search(window):
        return None
    for start, _, name in people:
        if q_end <= start < q_end + len(window):
            return name
    pronoun = PRONOUN.match(window)
    if pronoun:
        return person_meant(text, q_end, pronoun.group(1).lower(), people, since)
    return None


def _speaker_before(text: str, q_start: int, sentence_start: int, people) -> str | None:
    candidates = [p for p in people if sentence_start <= p[0] and p[1] <= q_start]
    for start, end, name in reversed(candidates):
        if SPEECH_VERBS.search(text[end:q_start]):
            return name
    lead_in = text[sentence_start:q_start]
    titled = TITLED_SUBJECT.match(lead_in)
    if titled and SPEECH_VERBS.search(lead_in):
        return introduced_as(text, titled.group(), q_start, people)
    return None


def person_meant(text: str, position: int, pronoun: str, people, since: int) -> str | None:
    """Whom "he" or "she" at ``position`` stands for: the one person named from ``since`` (the
    sentence before) on, else the one person named before it at all; nobody when several are,
    or when the story calls that one "Mr" and the pronoun is "she" (or the other way round)."""
    earlier = [p for p in people if p[0] < position]
    named = {name for start, _, name in earlier if start >= since} or {name for _, _, name in earlier}
    if len(named) != 1:
        return None
    name = next(iter(named))
    honorific = HONORIFICS[pronoun]
    if any(honorific.search(text[max(0, start - 6):start]) for start, _, other in people if other == name):
        return None
    return name


def introduced_as(text: str, subject: str, position: int, people) -> str | None:
    """The person a titled subject ("The Ukrainian President") stands for: the last one named
    before ``position`` right after that title ("Ukrainian President Volodymyr Zelensky")."""
    title = [w.lower() for w in re.sub(r"^\W*the\s+", "", subject, flags=re.IGNORECASE).split()]
    for start, _, name in reversed([p for p in people if p[0] < position]):
        before = text[max(0, start - NEAR):start].split()
        if [w.lower() for w in before[-len(title):]] == title:
            return name
    return None


class Sentences:
    def __init__(self, sentences: list[Sentence]):
        self.sentences = sentences
        self.starts = [s.start for s in sentences]

    def at(self, position: int) -> Sentence:
        return self.sentences[max(0, bisect.bisect_right(self.starts, position) - 1)]

    def previous_start(self, position: int) -> int:
        """Where the sentence before the one at ``position`` starts: how far back "he" looks."""
        return self.sentences[max(0, self.at(position).index - 1)].start


def find_quotes(text: str, sentences: list[Sentence], entities: list[Entity]) -> list[Quote]:
    """The direct quotes: the words inside quotation marks, with their speakers."""
    people = person_mentions(text, entities)
    where = Sentences(sentences)
    quotes = []
    for p_start, p_end in paragraph_ranges(sentences):
        for q_start, q_end, closed in _quote_spans(text, p_start, p_end):
            words = text[q_start:q_end].strip(" ,.")
            first, last = where.at(q_start), where.at(max(q_start, q_end - 1))
            speaker = _speaker_after(text, q_end + 1, last.end, people, where.previous_start(q_start)) \
                or _speaker_before(text, q_start - 1, first.start, people)
            if len(words.split()) < MIN_WORDS and speaker is None:
                continue
            quotes.append(Quote(text[q_start:q_end], q_start, q_end, first.index, speaker, closed=closed))
    return quotes
