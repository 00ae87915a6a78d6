"""Answers read off an article's own structures, found at ingest: bullet lists, quotes and
their speakers, the titles a story gives people, dates resolved against publication, and
the clauses of a sentence.

Everything here returns spans of the article's text, so what it answers is grounded by
construction; deciding whether the span answers the question is the pipeline's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..records import Article, Entity, Quote, Sentence, TimeExpression
from .spans import term_coverage

BULLET = re.compile(r"^\s*(?:[-–—•*▪◦·]|\d{1,2}[.)])\s+")
# Where a sentence breaks into clauses a reader can take on their own.
CLAUSE_BREAK = re.compile(
    r"(?:[;:]\s+|\s+[—–]\s+|,[”\"’]?\s+(?=(?:while|whereas|but|although|though|as|since|because|"
    r"after|before|which|who|adding|saying|so|yet|and|with)\b))",
    re.IGNORECASE,
)
# Openers that tie a sentence to the one before ("Nevertheless, ..."): a bullet or a
# clause read on its own is clearer without them.
CONNECTIVE = re.compile(
    r"^(?:(?:and|but|so|yet|while|whereas|still|also|meanwhile|nevertheless|nonetheless|however|moreover|"
    r"furthermore|in addition|at the same time|in this context|from this perspective|"
    r"for this reason|as a result|in turn|instead|indeed|by contrast|on the other hand|"
    r"given these developments|this time, however|this time)\s*,?\s+)+",
    re.IGNORECASE,
)
TITLE_WORD = re.compile(r"^(?:[A-Z][\w.’'-]*|of|the|and|for)$")
MIN_CLAUSE_WORDS = 4
MAX_ITEM_WORDS = 25  # a list line longer than this is a paragraph


@dataclass
class Span:
    """Words of one sentence: ``sentence.text[start:end]``."""

    sentence: Sentence
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.sentence.text[self.start:self.end]


def strip_bullet(sentence: Sentence) -> Span:
    match = BULLET.match(sentence.text)
    return Span(sentence, match.end() if match else 0, len(sentence.text))


def is_bullet(sentence: Sentence) -> bool:
    return bool(BULLET.match(sentence.text))


def _item_like(sentence: Sentence, previous: Sentence) -> bool:
    """A line of a list: marked as one, or a short paragraph of its own without a full stop
    (Markdown and HTML lists arrive without their markers)."""
    if is_bullet(sentence):
        return True
    return (sentence.paragraph != previous.paragraph and len(sentence.text.split()) <= MAX_ITEM_WORDS
            and sentence.text.rstrip()[-1:] not in {".", "!", "?"})


def bullet_items(sentences: list[Sentence], intro: int) -> list[Span]:
    """The list right after sentence ``intro``, when it introduces one."""
    if intro + 1 >= len(sentences) or is_bullet(sentences[intro]):
        return []
    following = sentences[intro + 1]
    if not (is_bullet(following) or sentences[intro].text.rstrip().endswith(":")):
        return []
    items = []
    for previous, sentence in zip(sentences[intro:], sentences[intro + 1:]):
        if not _item_like(sentence, previous):
            break
        items.append(strip_bullet(sentence))
    return items


def is_list_item(sentences: list[Sentence], index: int) -> bool:
    intro = list_intro(sentences, index)
    return intro is not None and intro != index


def list_intro(sentences: list[Sentence], index: int) -> int | None:
    """The sentence introducing the list that sentence ``index`` is in or introduces."""
    position = index
    while position > 0 and _item_like(sentences[position], sentences[position - 1]) \
            and not bullet_items(sentences, position):
        position -= 1
    return position if bullet_items(sentences, position) else None


def clauses(sentence: Sentence) -> list[Span]:
    """The sentence cut at clause boundaries; pieces too short to stand alone stay joined."""
    text = sentence.text
    cuts = [0] + [m.end() for m in CLAUSE_BREAK.finditer(text)] + [len(text)]
    pieces: list[Span] = []
    for start, end in zip(cuts, cuts[1:]):
        if pieces and len(text[pieces[-1].start:start].split()) < MIN_CLAUSE_WORDS:
            pieces[-1] = Span(sentence, pieces[-1].start, end)
        else:
            pieces.append(Span(sentence, start, end))
    if len(pieces) > 1 and len(pieces[-1].text.split()) < MIN_CLAUSE_WORDS:
        pieces[-2:] = [Span(sentence, pieces[-2].start, pieces[-1].end)]
    return [_tidy(piece) for piece in pieces]


def best_clause(question: str, sentence: Sentence) -> Span:
    """The clause of ``sentence`` that shares most with the question (the first on ties)."""
    return max(clauses(sentence), key=lambda span: term_coverage(question, span.text))


def _tidy(span: Span) -> Span:
    text = span.sentence.text
    start, end = span.start, span.end
    opener = CONNECTIVE.match(text[start:end])
    if opener and opener.end() < end - start:
        start += opener.end()
    while start < end and text[start] in " ,;:—–-\"“”":
        start += 1
    while end > start and text[end - 1] in " ,;:—–-":
        end -= 1
    return Span(span.sentence, start, end)


def readable(span: Span) -> str:
    """A span as a line a reader can take alone: connective dropped, first letter capital."""
    text = _tidy(span).text.rstrip()
    return text[:1].upper() + text[1:] if text else text


# -- people and things


def entity_named(question: str, article: Article, labels: set[str] | None = None) -> Entity | None:
    """The article's entity the question names (by its name or any mention), longest name first."""
    lowered = question.lower()
    best: tuple[int, Entity] | None = None
    for entity in article.entities:
        if labels and entity.label not in labels:
            continue
        for variant in {entity.name, *(m.text for m in entity.mentions)}:
            if len(variant) > 2 and re.search(rf"\b{re.escape(variant.lower())}\b", lowered):
                if best is None or len(variant) > best[0]:
                    best = (len(variant), entity)
    return best[1] if best else None


def description(article: Article, entity: Entity) -> Span | None:
    """How the story introduces ``entity``: the title before a mention ("Hungarian Prime
    Minister Viktor Orban") or an apposition after it ("Viktor Orban, Hungary's Prime Minister,")."""
    for mention in entity.mentions:
        sentence = article.sentences[mention.sentence_index]
        start, end = mention.start - sentence.start, mention.end - sentence.start
        found = _title_before(sentence, start) or _apposition_after(sentence, end) or \
            _apposition_before(sentence, start)
        if found:
            return found
    return None


def _title_before(sentence: Sentence, name_start: int) -> Span | None:
    words = list(re.finditer(r"\S+", sentence.text[:name_start]))
    taken = []
    for word in reversed(words):
        if not TITLE_WORD.match(word.group()) or word.group().endswith(","):
            break
        taken.append(word)
    while taken and taken[-1].group() in {"of", "the", "and", "for"}:
        taken.pop()  # the title starts at a capitalised word
    if not taken or not any(w.group()[0].isupper() for w in taken):
        return None
    if len(taken) == 1 and taken[0].group() in {"Mr.", "Mrs.", "Ms.", "Dr.", "President"}:
        return None  # an honorific alone says nothing about who it is
    return Span(sentence, taken[-1].start(), taken[0].end())


def _apposition_after(sentence: Sentence, name_end: int) -> Span | None:
    rest = sentence.text[name_end:]
    match = re.match(r",\s+((?:the|a|an|his|her|its|their)\s+[^,;]{3,80}?|[A-Z][\w’']+’s\s+[^,;]{3,60}?),", rest)
    if not match:
        return None
    return Span(sentence, name_end + match.start(1), name_end + match.end(1))


def _apposition_before(sentence: Sentence, name_start: int) -> Span | None:
    """"The museum's director, Felix Amadi": the description just before the name."""
    match = re.search(r"(?:^|[,;:]\s+|\b(?:by|to|from|with|and)\s+)((?:the|a|an|[A-Z][\w’']+[’']s)\s+[^,;:“”\"]{3,60}?),"
                      r"\s+(?:(?:Dr|Mr|Mrs|Ms|Prof)\.\s+)?$", sentence.text[:name_start], re.IGNORECASE)
    if not match:
        return None
    return Span(sentence, match.start(1), match.end(1))


def quotes_of(article: Article, speaker: Entity) -> list[Quote]:
    """The speaker's own words, word for word."""
    return [quote for quote in article.quotes if quote.verbatim and quote.speaker == speaker.name]


def statements_of(article: Article, speaker: Entity) -> list[Quote]:
    """What the story reports the speaker said ("the Kremlin warned that ..."), where it does not
    quote the same words."""
    direct = [q for q in article.quotes if q.verbatim]
    return [q for q in article.quotes if q.form == "reported" and q.speaker == speaker.name
            and not any(d.start < q.end and q.start < d.end for d in direct)]


def reported_span(article: Article, statement: Quote, speaker: Entity) -> Span:
    """A reported statement as the words of its sentence that say who said it and what: from the
    speaker's name ("the Kremlin warned that ...") or, when a pronoun or a title stands for it,
    from the start of the sentence."""
    sentence = article.sentences[statement.sentence_index]
    local_end = statement.end - sentence.start
    named = [m for m in speaker.mentions if m.sentence_index == sentence.index and m.end <= statement.start]
    if not named:
        return Span(sentence, 0, local_end)
    start = named[-1].start - sentence.start
    if sentence.text[:start].lower().endswith("the "):
        start -= len("the ")
    return Span(sentence, start, local_end)


def quote_sentences(article: Article, quote: Quote) -> list[Sentence]:
    """The sentences a quote runs through, in order."""
    return [s for s in article.sentences if s.end > quote.start and s.start < quote.end]


# -- dates


def time_in(article: Article, sentence_index: int, start: int, end: int) -> TimeExpression | None:
    """The date expression overlapping ``[start, end)`` of a sentence (offsets in the sentence)."""
    sentence = article.sentences[sentence_index]
    for expression in article.times:
        if expression.sentence_index != sentence_index:
            continue
        local_start, local_end = expression.start - sentence.start, expression.end - sentence.start
        if local_start < end and start < local_end:
            return expression
    return None


RELATIVE_DAYS = {"today": "the day the article was published", "tonight": "the day the article was published",
                 "yesterday": "the day before the article was published",
                 "tomorrow": "the day after the article was published"}


def when_phrase(expression: TimeExpression) -> str:
    """A date as a reader can use it on any day: the calendar day where known, else the
    day relative to publication, always with the article's own words."""
    words = expression.text
    if expression.resolved:
        day = date.fromisoformat(expression.resolved)
        calendar = f"{day.day} {day.strftime('%B %Y')}"
        return calendar if calendar.lower() in words.lower() or words[:1].isdigit() else f"{calendar} (“{words}”)"
    relative = RELATIVE_DAYS.get(words.lower())
    return f"{relative} (“{words}”)" if relative else words
