"""Direct quotes and who said them.

News style puts the speaker right after the quote (``“...,” Zelensky said.``,
``“...,” said Zelensky``) or right before it (``Zelensky expressed hope that “...”``).
A quote is attributed to the person named in that position next to a speech verb; a pronoun
there ("he said") stands for the last person named before the quote.
"""

from __future__ import annotations

import bisect
import re

from ..records import Entity, Quote, Sentence

SPEECH_VERBS = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|stated|states|wrote|writes|warned|warns|"
    r"explained|insisted|argued|asked|noted|declared|claimed|announced|continued|replied|"
    r"recalled|emphasi[sz]ed|stressed|expressed|described|tweeted|posted|urged|"
    r"acknowledged|admitted|according to|called|promised|vowed|conceded|predicted)\b",
    re.IGNORECASE,
)
PRONOUN = re.compile(r"^\W*(?:he|she)\s+(?:\w+\s+)?(?:said|says|told|added|wrote|stated)\b", re.I)
QUOTE_PAIRS = {"“": "”", '"': '"'}
TITLED_SUBJECT = re.compile(
    r"^\W*the\s+(?:[A-Z][\w.’'-]*\s+){0,3}(?:president|minister|leader|chancellor|premier|"
    r"senator|governor|mayor|spokesman|spokeswoman|spokesperson|secretary)\b",
    re.IGNORECASE,
)
MIN_WORDS = 3  # shorter quoted strings are mostly scare quotes ("Waterloo")
NEAR = 60  # characters between a quote and its attribution


def _quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of the text inside each pair of quotation marks in text[start:end]."""
    spans, pos = [], start
    while pos < end:
        opener = min((i for i in (text.find(q, pos, end) for q in QUOTE_PAIRS) if i >= 0), default=-1)
        if opener < 0:
            break
        closer = text.find(QUOTE_PAIRS[text[opener]], opener + 1, end)
        close_at = closer if closer >= 0 else end  # an unclosed quote runs to the paragraph end
        spans.append((opener + 1, close_at))
        pos = close_at + 1
    return spans


def _paragraph_ranges(sentences: list[Sentence]) -> list[tuple[int, int]]:
    ranges: dict[int, tuple[int, int]] = {}
    for s in sentences:
        first = ranges.get(s.paragraph, (s.start, s.end))
        ranges[s.paragraph] = (min(first[0], s.start), max(first[1], s.end))
    return sorted(ranges.values())


def _person_mentions(entities: list[Entity]) -> list[tuple[int, int, str]]:
    return sorted(
        (m.start, m.end, e.name) for e in entities if e.label == "PERSON" for m in e.mentions
    )


def _speaker_after(text: str, q_end: int, sentence_end: int, people) -> str | None:
    window = text[q_end:min(sentence_end, q_end + NEAR)]
    if not SPEECH_VERBS.search(window):
        return None
    for start, _, name in people:
        if q_end <= start < q_end + len(window):
            return name
    if PRONOUN.match(window):
        return _last_person_before(q_end, people)
    return None


def _speaker_before(text: str, q_start: int, sentence_start: int, people) -> str | None:
    candidates = [p for p in people if sentence_start <= p[0] and p[1] <= q_start]
    for start, end, name in reversed(candidates):
        if SPEECH_VERBS.search(text[end:q_start]):
            return name
    # "The Ukrainian President emphasized ... “...”" refers back to the last person named.
    lead_in = text[sentence_start:q_start]
    if TITLED_SUBJECT.match(lead_in) and SPEECH_VERBS.search(lead_in):
        return _last_person_before(q_start, people)
    return None


def _last_person_before(position: int, people) -> str | None:
    earlier = [name for start, _, name in people if start < position]
    return earlier[-1] if earlier else None


def find_quotes(text: str, sentences: list[Sentence], entities: list[Entity]) -> list[Quote]:
    people = _person_mentions(entities)
    starts = [s.start for s in sentences]

    def sentence_at(position: int) -> Sentence:
        return sentences[max(0, bisect.bisect_right(starts, position) - 1)]

    quotes = []
    for p_start, p_end in _paragraph_ranges(sentences):
        for q_start, q_end in _quote_spans(text, p_start, p_end):
            words = text[q_start:q_end].strip(" ,.")
            first, last = sentence_at(q_start), sentence_at(max(q_start, q_end - 1))
            speaker = _speaker_after(text, q_end + 1, last.end, people) or _speaker_before(
                text, q_start - 1, first.start, people
            )
            if len(words.split()) < MIN_WORDS and speaker is None:
                continue
            quotes.append(Quote(text[q_start:q_end], q_start, q_end, first.index, speaker))
    return quotes
