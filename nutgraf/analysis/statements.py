"""Reported statements and their speakers: who said what, in the story's words.

"The Kremlin warned that any U.S. decision ... would be seen as a provocation", "Trump
described his communication with Putin as “productive”": a speech or reaction verb, its
subject (the speaker) and what was said (the clause after "that", the object of "welcomed",
"X as Y" after "described"). They are read off the dependency parse spaCy already makes for
sentence boundaries, and kept as quotes of ``form="reported"`` whose text is the reported
words as they stand in the sentence. A speaker is chosen as strictly as a direct quote's
(see ``quotes``), and may also be a named organisation, government or people.
"""

from __future__ import annotations

import re
from typing import Iterable

from ..records import Entity, Quote, Sentence
from .quotes import (OPENING_MARKS, TITLED_SUBJECT, Sentences, introduced_as, is_named_body, is_named_person,
                     paragraph_ranges, person_meant, person_mentions, quotation_spans, single_quote_spans)

# Verbs whose clause is what was said: "warned that ...", "said the bridge would open".
SAYING = {
    "said", "says", "say", "told", "tells", "stated", "states", "warned", "warns", "claimed",
    "claims", "insisted", "insists", "argued", "argues", "added", "adds", "noted", "notes",
    "declared", "declares", "announced", "announces", "explained", "explains", "stressed",
    "stresses", "emphasized", "emphasised", "emphasizes", "emphasises", "acknowledged",
    "admitted", "conceded", "denied", "denies", "confirmed", "confirms", "predicted", "promised",
    "vowed", "suggested", "reported", "wrote", "writes", "tweeted", "posted", "replied",
    "responded", "cautioned", "maintained", "reiterated", "assured", "signalled", "signaled",
    "adding", "saying", "stressing", "noting", "warning", "insisting", "arguing", "claiming",
    "declaring", "explaining", "emphasizing", "emphasising", "announcing", "suggesting",
    "acknowledging", "admitting", "telling", "writing", "promising", "vowing",
}
# Of these, the ones that take the person spoken to as their object: "told reporters that".
TELLING = {"told", "tells", "telling", "warned", "warns", "warning", "assured", "promised", "promising"}
# Verbs whose object is what the speaker reacted to: "Moscow welcomed the decision".
REACTING = {
    "welcomed", "welcomes", "rejected", "rejects", "condemned", "condemns", "criticized",
    "criticised", "criticizes", "criticises", "praised", "praises", "dismissed", "dismisses",
    "denounced", "denounces", "accused", "accuses", "described", "describes", "hailed", "hails",
    "branded", "slammed", "blamed", "blames", "called", "calls", "thanked", "questioned",
    "endorsed", "demanded", "demands",
}
# "expressed hope that ...": the noun says what kind of statement it is.
EXPRESSING = {"expressed", "expresses", "voiced", "voices"}
FEELINGS = {"hope", "concern", "confidence", "fear", "fears", "doubt", "doubts", "regret",
            "optimism", "frustration", "disappointment", "belief", "satisfaction", "worry"}
STATEMENT_VERBS = SAYING | REACTING | EXPRESSING
# Words a reacting verb's object goes on with: "described X as Y", "accused X of Y".
OBJECT_COMPLEMENTS = {"as", "of", "for"}
# Verbs that judge only with a complement: "called the talks productive", but "called a meeting".
JUDGING = {"described", "describes", "called", "calls", "branded"}
# What was not (yet) said: "did not say", "would warn", "if he says".
MODALS = {"would", "could", "might", "may", "will", "shall", "should", "must", "can", "'ll", "’ll"}
CONDITIONS = {"if", "unless", "whether"}
# Between a verb and the clause it reports: "said on Tuesday in a statement that".
ADJUNCTS = {"advmod", "npadvmod", "prep", "punct", "aux", "auxpass"}
# A clause hung on the end of what was said after a comma, which the rest of it does not
# depend on: the speaker's next act ("..., stressing the need ...") or the writer's contrast
# ("..., although the exact number remains a secret"). A condition ("..., unless ...") or a
# reason stays: without it the rest would say more than the speaker did.
CONTRASTS = {"although", "though", "while", "whereas", "but"}
CLAUSE_PUNCTUATION = {",", ";", "—", "–", "-", "--"}
SPEAKER_PRONOUNS = {"he", "she"}
# A clause opening with these names what was talked about, not what was said: "explained how ...".
TOPIC_WORDS = {"how", "why", "what", "whether", "if", "who", "when", "where", "which"}
# A dateline glued to the first words: "(CNN)An unmanned spacecraft ...".
DATELINE = re.compile(r"\([^()]{1,40}\)\W*")
NON_CONTENT = {"it", "this", "that", "them", "these", "those", "so", "him", "her", "me", "us", "you"}
MIN_STATEMENT_WORDS = 2  # "the proposal" is what was rejected
MIN_CLAUSE_WORDS = 3  # a clause said is a subject, a verb and more: "she was" is a broken parse
# Longer "sentences" are mostly photo captions glued to the text, whose parse joins clauses
# that do not belong together.
MAX_SENTENCE_WORDS = 60


def find_statements(text: str, parsed: Iterable[tuple[int, object]], sentences: list[Sentence],
                    entities: list[Entity]) -> list[Quote]:
    """Reported statements in the spaCy docs ``parsed``, given as (offset of the doc in ``text``, doc)."""
    finder = _StatementFinder(text, sentences, entities)
    found = []
    for offset, doc in parsed:
        for sentence in doc.sents:
            if len(sentence) <= MAX_SENTENCE_WORDS:
                found += finder.in_sentence(offset, sentence)
    return found


class _StatementFinder:
    def __init__(self, text: str, sentences: list[Sentence], entities: list[Entity]):
        self.text = text
        self.where = Sentences(sentences)
        self.people = person_mentions(text, entities)
        self.speakers = sorted(
            (m.start, m.end, e.name) for e in entities
            if is_named_person(text, e) or is_named_body(text, e) for m in e.mentions
        )
        self.quoted = [span for p_start, p_end in paragraph_ranges(sentences)
                       for span in quotation_spans(text, p_start, p_end)]

    def in_sentence(self, offset: int, sentence) -> list[Quote]:
        found, previous_speaker = [], None
        for verb in sentence:
            if verb.lower_ not in STATEMENT_VERBS and not _according(verb):
                continue
            speaker = self._speaker(offset, verb, previous_speaker)
            if speaker is None:
                continue
            previous_speaker = speaker  # ", adding that ..." goes on with the same speaker
            if self._not_said(offset, verb):
                continue
            statement = self._statement(offset, verb, speaker)
            if statement is not None:
                found.append(statement)
        return found

    # -- who

    def _speaker(self, offset: int, verb, previous: str | None) -> str | None:
        subject = _subject(verb)
        if subject is None and verb.lower_.endswith("ing") and verb.dep_ == "advcl" and previous:
            return previous  # "..., adding that ...": the speaker of the clause before
        shares_subject = verb.dep_ == "advcl" or (verb.dep_ == "conj" and verb.head.lower_ in STATEMENT_VERBS)
        if subject is None and shares_subject:
            # "opened the bridge, saying ...", "accused Kyiv ... and said ...": the main subject
            subject = _subject(verb.head)
        if subject is None or any(t.dep_ == "conj" for t in subject.children):
            return None  # nobody, or several at once
        if self._named_between(offset, subject, verb):
            return None  # the parse joined a verb to a subject across another name
        position = offset + subject.idx
        if subject.lower_ in SPEAKER_PRONOUNS:
            return person_meant(self.text, position, subject.lower_, self.people,
                                 self.where.previous_start(position))
        for start, end, name in self.speakers:
            if start <= position < end:
                return name
        phrase = self.text[offset + subject.left_edge.idx:position + len(subject.text)]
        titled = TITLED_SUBJECT.match(phrase)
        if titled and titled.end() == len(phrase):
            return introduced_as(self.text, phrase, position, self.people)
        return None

    def _named_between(self, offset: int, subject, verb) -> bool:
        """Whether someone else is named between a subject before its verb and the verb."""
        if subject.i > verb.i:
            return False
        start, end = offset + subject.right_edge.idx + len(subject.right_edge.text), offset + verb.idx
        return any(start <= m_start < end for m_start, _, _ in self.speakers)

    def _not_said(self, offset: int, verb) -> bool:
        """Denied, hypothetical, conditional, reported by someone else ("she insisted the mayor
        had said ..."), or inside quoted words."""
        for child in verb.children:
            if child.dep_ == "neg" or (child.dep_ == "aux" and child.lower_ in MODALS) \
                    or (child.dep_ == "mark" and child.lower_ in CONDITIONS):
                return True
        return _reported_inside(verb) or self._inside_quote(offset + verb.idx)

    def _inside_quote(self, position: int) -> bool:
        return any(start <= position < end for start, end in self.quoted)

    # -- what

    def _statement(self, offset: int, verb, speaker: str) -> Quote | None:
        span = _content(verb)
        if span is None:
            return None
        first, last, introduced = span
        if not _according(verb) and not _attached(verb, first, last):
            return None
        start, end = offset + first.idx, offset + last.idx + len(last.text)
        if start <= offset + verb.idx < end:
            return None  # "which she said is her favourite": the parse took the verb in
        dateline = DATELINE.match(self.text, start, end)
        if dateline:
            start = dateline.end()
        if self._inside_quote(start) or (not introduced and self._quoted_words(start, end, verb.lower_ in SAYING)):
            return None  # "“...,” Zelensky said": a direct quote and its attribution
        end = self._closing_quote(start, end)
        if end is None or not self._says_something(start, end, verb.lower_ in SAYING):
            return None
        return Quote(self.text[start:end], start, end, self.where.at(start).index, speaker,
                     form="reported", verb=_verb_words(verb))

    def _says_something(self, start: int, end: int, said: bool) -> bool:
        """Enough words, not a topic ("explained how ..."), no caption label ("Aftermath: ...")."""
        words = self.text[start:end].split()
        if len(words) < (MIN_CLAUSE_WORDS if said else MIN_STATEMENT_WORDS):
            return False
        if words[0].lower().strip("‘'“\"") in TOPIC_WORDS:
            return False
        text = self.text[start:end]
        if text.count("(") != text.count(")"):
            return False  # cut off inside a bracket: "a hedge with two cubs (stock image"
        return not any(self.text[i] == ":" and not self._inside_quote(i) for i in range(start, end))

    def _quoted_words(self, start: int, end: int, said: bool) -> bool:
        """Words in quotation marks, or (of a verb of saying) ending on a quotation that opened
        inside them: "Kilmarnock will confirm him ‘I’d be over the moon,’ said Locke"."""
        if self.text[start] in OPENING_MARKS or (start > 0 and self.text[start - 1] in OPENING_MARKS):
            return True
        closes_at_end = re.match(r"[,.;:!?]?[”\"’']", self.text[end:end + 2]) is not None
        return said and closes_at_end and any(start < q_start and end <= q_end <= end + 2
                                              for q_start, q_end in self.quoted)

    def _closing_quote(self, start: int, end: int) -> int | None:
        """The end of the span with its quotation marks closed, taking in a closing mark right
        after it ("as “productive" + ",”"); None when they stay open."""
        if _open_quotes(self.text[start:end]):
            closing = re.match(r"[,.;:!?]?[”\"’']", self.text[end:end + 2])
            if closing:
                end += closing.end()
        return None if _open_quotes(self.text[start:end]) else end


def _subject(verb):
    if _according(verb):
        to = next((t for t in verb.children if t.lower_ == "to"), None)
        return next((t for t in to.children if t.dep_ == "pobj"), None) if to is not None else None
    return next((t for t in verb.children if t.dep_ == "nsubj"), None)


def _according(verb) -> bool:
    """A sentence that opens "According to X, ...": X is the speaker of the rest."""
    return verb.lower_ == "according" and verb.i == verb.sent.start


def _reported_inside(verb) -> bool:
    """Whether the verb stands in a clause that another verb reports."""
    token = verb
    while token.head.i != token.i:
        if token.dep_ in ("ccomp", "acl") and token.head.lower_ in STATEMENT_VERBS | FEELINGS:
            return True
        token = token.head
    return False


def _content(verb):
    """(first token, last token, introduced by "that") of what the verb reports, or None."""
    word, children = verb.lower_, list(verb.children)
    if _according(verb):
        comma = next((t for t in verb.sent if t.i > verb.i and t.text == ","), None)
        if comma is None or comma.i + 1 >= verb.sent.end or comma.i + 1 > verb.head.right_edge.i:
            return None
        return _clause(verb.doc[comma.i + 1], verb.head, introduced=True)
    if word in SAYING:
        clause = next((t for t in children if t.dep_ == "ccomp"), None)
        return _clause_of(clause) if clause is not None else None
    if word in EXPRESSING:
        feeling = next((t for t in children if t.dep_ == "dobj" and t.lower_ in FEELINGS), None)
        clause = feeling and next((t for t in feeling.children if t.dep_ in ("acl", "ccomp")
                                   and _mark(t) == "that"), None)
        return _clause_of(clause) if clause is not None else None
    thing = next((t for t in children if t.dep_ == "dobj"), None)
    if thing is None or thing.i < verb.i or thing.lower_ in NON_CONTENT | SPEAKER_PRONOUNS:
        return None
    complement = next((child for child in children if child.i > thing.i and (
        child.dep_ == "oprd" or (child.dep_ == "prep" and child.lower_ in OBJECT_COMPLEMENTS))), None)
    if complement is None and word in JUDGING:
        return None
    # "described X as Y", "accused X of Y", "called X Y"
    return thing.left_edge, (complement or thing).right_edge, False


def _clause_of(clause):
    introduced = _mark(clause) == "that"
    first = clause.left_edge
    if introduced and first.lower_ == "that":
        first = first.doc[first.i + 1]
    return _clause(first, clause, introduced)


def _clause(first, head, introduced: bool):
    """From ``first`` to the end of ``head``'s clause, without a clause hung on after a comma."""
    last = _without_end_punctuation(first, head.right_edge)
    for token in head.doc[first.i:last.i + 1]:
        before = token.doc[token.left_edge.i - 1] if token.left_edge.i > first.i else None
        if before is not None and before.text in CLAUSE_PUNCTUATION and token.right_edge.i >= last.i \
                and _hung_on(token):
            last = _without_end_punctuation(first, token.doc[before.i - 1])
            break
    return first, last, introduced


def _without_end_punctuation(first, last):
    while last.i > first.i and last.is_punct and last.text not in "”\"’'":
        last = last.doc[last.i - 1]
    return last


def _hung_on(clause) -> bool:
    """A clause the words before it do not need: a participle ("stressing ..."), a contrast
    ("although ..."), the writer's source ("according to ...", "the Tribune reported")."""
    opening = clause.left_edge
    if clause.dep_ == "advcl":
        return opening.lower_ in CONTRASTS or (opening.i == clause.i and opening.lower_.endswith("ing"))
    if clause.dep_ == "prep":
        return opening.i == clause.i and opening.lower_ == "according"
    return clause.dep_ in ("ccomp", "conj", "parataxis") and clause.lower_ in SAYING \
        and _subject(clause) is not None


def _attached(verb, first, last) -> bool:
    """Whether the reported words sit next to their verb with nothing else in between but
    its adjuncts ("said on Tuesday that"), the person told ("told reporters") or the subject
    ("The talks were productive, Kowalski said"); a colon introduces a direct quote instead."""
    doc = verb.doc
    if verb.i + 1 < len(doc) and doc[verb.i + 1].text == ":":
        return False
    if first.i > verb.i:
        between = doc[verb.i + 1:first.i]
    else:
        between = doc[last.i + 1:verb.i]
    allowed = ADJUNCTS | {"nsubj"}
    if verb.lower_ in TELLING | EXPRESSING:
        allowed = allowed | {"dobj", "dative"}  # the person told, the hope expressed
    for token in between:
        if token.text == ":":
            return False
        if token.is_punct or (token.lower_ == "that" and token.dep_ == "mark"):
            continue
        child = token
        while child.head.i not in (verb.i, child.i):
            child = child.head
        if child.head.i != verb.i or child.dep_ not in allowed:
            return False
    return True


def _mark(clause) -> str | None:
    """The word introducing a clause ("that", "whether"), lowercased."""
    return next((t.lower_ for t in clause.children if t.dep_ == "mark"), None)


def _verb_words(verb) -> str:
    if _according(verb):
        return "according to"
    if verb.lower_ in EXPRESSING:
        feeling = next(t for t in verb.children if t.dep_ == "dobj")
        return f"{verb.text} {feeling.text}"
    return verb.text


def _open_quotes(text: str) -> bool:
    """Whether a quotation opened in ``text`` is not closed in it."""
    single = single_quote_spans(text, 0, len(text))
    unclosed_single = bool(single) and single[-1][1] == len(text)
    return text.count("“") != text.count("”") or text.count('"') % 2 == 1 or unclosed_single
