"""The records nutgraf passes between its parts: documents in, analysed articles out.

Offsets are character offsets into ``Article.text``; ``text[start:end]`` is always the
sentence, mention or quote they describe.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np


class Kind(StrEnum):
    """The form of answer a question wants (see ``answering.kinds``)."""

    PHRASE = "phrase"
    YES_NO = "yes-no"
    LIST = "list"
    EXPLANATION = "explanation"
    OVERVIEW = "overview"
    QUOTE = "quote"
    WHO_IS = "who-is"
    WHEN = "when"


class Grade(StrEnum):
    """What the reader is shown (see ``answering.decide``)."""

    ANSWER = "answer"  # the answer, its confidence at the threshold the publisher's risk sets
    CLOSEST = "closest"  # no answer, but the sentence most likely to hold it, cited
    NONE = "none"  # the articles do not say


class Verdict(StrEnum):
    """The verdict of a yes-no answer."""

    YES = "yes"
    NO = "no"
    NOT_DECIDED = "not-decided"  # a plan or an expectation, not a settled fact


@dataclass
class Document:
    """An article as a source gives it, before analysis."""

    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None  # ISO 8601 date or datetime
    authors: list[str] = field(default_factory=list)
    source: str | None = None  # the site or publication name
    origin: str = ""  # the path or URL it was read from


@dataclass
class Sentence:
    index: int
    start: int
    end: int
    paragraph: int
    text: str


@dataclass
class Mention:
    sentence_index: int
    start: int
    end: int
    text: str


@dataclass
class Entity:
    name: str  # the article-level canonical form ("Vladimir Putin" for "Putin")
    label: str  # spaCy label: PERSON, GPE, ORG, LOC, NORP, ...
    mentions: list[Mention] = field(default_factory=list)

    @property
    def sentence_indexes(self) -> list[int]:
        return sorted({m.sentence_index for m in self.mentions})


@dataclass
class Quote:
    text: str  # the words inside the quotation marks
    start: int
    end: int
    sentence_index: int
    speaker: str | None  # canonical entity name when attributed
    # "direct": the words inside quotation marks; "reported": what the speaker said as the
    # sentence reports it ("the Kremlin warned that ..."), the clause after the verb.
    form: str = "direct"
    closed: bool = True  # False: the quotation mark is never closed in its paragraph
    verb: str | None = None  # of a reported statement, as written: "warned", "expressed hope"

    @property
    def verbatim(self) -> bool:
        """Whether ``text`` is the speaker's own words, word for word."""
        return self.form == "direct" and self.closed


@dataclass
class TimeExpression:
    text: str  # "yesterday", "on Friday", "Oct. 16"
    start: int
    end: int
    sentence_index: int
    resolved: str | None  # ISO date when the published date allows resolving it


@dataclass
class Article:
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    origin: str = ""
    content_hash: str = ""
    ingested_at: str = ""
    sentences: list[Sentence] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    times: list[TimeExpression] = field(default_factory=list)
    # One row per sentence, L2-normalised; None until an embedder has seen the article.
    embeddings: np.ndarray | None = field(default=None, repr=False)
    embedding_model: str | None = None
    signature: np.ndarray | None = field(default=None, repr=False)  # MinHash, for near-duplicates

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "authors": self.authors,
            "source": self.source,
            "sentences": len(self.sentences),
            "ingested_at": self.ingested_at,
        }

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of ``nutgraf show --json``."""
        data = self.summary()
        data.update(
            origin=self.origin,
            content_hash=self.content_hash,
            text=self.text,
            sentences=[asdict(s) for s in self.sentences],
            entities=[
                {
                    "name": e.name,
                    "label": e.label,
                    "sentences": e.sentence_indexes,
                    "mentions": [asdict(m) for m in e.mentions],
                }
                for e in self.entities
            ],
            quotes=[asdict(q) for q in self.quotes],
            times=[asdict(t) for t in self.times],
        )
        return data


@dataclass
class ArticleSummary:
    id: str
    title: str | None
    url: str | None
    published: str | None
    source: str | None
    sentences: int
    ingested_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Turn:
    """One question of a conversation and what it was answered."""

    question: str
    answer: str | None
    article_ids: list[str]  # the articles its citations came from
    people: list[str] = field(default_factory=list)  # persons the turn was about, most salient first
    resolved: str = ""  # the question as it was answered, made to stand on its own


@dataclass
class Conversation:
    id: str
    created_at: str  # ISO 8601, UTC
    last_used_at: str  # when its last turn was added; it expires some days after
    article_ids: list[str]  # every article its turns cited, in order of first citation
    turns: int


@dataclass
class Feedback:
    """A reader's rating of an answer: the publisher's data, never expired."""

    rating: str  # helpful | not_helpful | wrong_citation
    question: str
    answer: str | None = None  # the answer shown, or the note when it abstained
    comment: str | None = None  # the reader's reason, in their words
    citations: list[dict[str, Any]] = field(default_factory=list)  # {article_id, sentence_index, text}
    article_id: str | None = None
    conversation_id: str | None = None
    id: str = ""  # given when it is stored
    received_at: str = ""  # ISO 8601, UTC; given when it is stored
    ask_id: str | None = None  # the ask rated, as its answer gave it (see ``Answer.ask_id``)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoggedAsk:
    """One question asked, as the question log keeps it. Nothing names the reader: no
    address, browser, cookie or conversation."""

    question: str  # the wording grouped: the question as resolved, else as asked
    key: str  # what the same wording typed again shares with it (see ``insights.grouping``)
    form: str  # what it asks for, as its question word says ("when", "yes-no", ...)
    asked: str | None  # the question as typed, when it differs from that wording
    kind: str
    grade: str
    confidence: float
    latency_ms: int | None
    language: str
    article_id: str | None  # the article asked about; None: the whole archive
    panel_key: str | None = None  # the explore panel's question clicked (its wording key), else typed
    sample: bool = False  # asked by the demo's seed, not by a reader
    asked_at: datetime | None = None  # None: now


@dataclass
class AskCounts:
    """Asks counted by how they were answered, where they came from and how they were rated."""

    asks: int = 0
    answer: int = 0
    closest: int = 0
    none: int = 0  # the articles do not say
    panel: int = 0  # clicked in the explore panel
    helpful: int = 0
    not_helpful: int = 0
    wrong_citation: int = 0
    sample: int = 0

    @property
    def unanswered(self) -> int:
        return self.closest + self.none


@dataclass
class QuestionGroup:
    """Near-identical questions about one article (or the whole archive), counted."""

    id: int
    article_id: str | None
    article_title: str | None
    counts: AskCounts
    last_asked: int  # when, in seconds since 1970 (UTC)
    wordings: list[tuple[str, int]] = field(default_factory=list)  # (wording, asks), most asked first


@dataclass
class DayCounts:
    day: str  # YYYY-MM-DD, UTC
    counts: AskCounts


@dataclass
class PanelPull:
    """How often the explore panel showed a question, and how often a reader opened it."""

    article_id: str
    question: str
    shown: int
    clicks: int


@dataclass
class Scope:
    """Which part of the archive a search or question covers."""

    article_ids: list[str] | None = None  # None: the whole archive
    source: str | None = None
    published_from: str | None = None  # ISO date, inclusive
    published_to: str | None = None  # ISO date, inclusive


@dataclass
class Hit:
    article_id: str
    sentence_index: int
    score: float


@dataclass
class Citation:
    article_id: str
    sentence_index: int
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AnswerPoint:
    """One part of an answer of several parts (a list item, a bullet, a quote), with its citations."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    # A quote's words in the reader's language, shown labelled beside ``text``, which stays the
    # speaker's own words; None when the reader asked in the article's language.
    translation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": [c.to_dict() for c in self.citations],
                "translation": self.translation}


@dataclass
class Answer:
    """The JSON shape of ``nutgraf ask --json`` (see PRODUCT.md and docs/cli.md)."""

    question: str
    answer: str | None  # None when the articles do not answer the question; always one line
    answerable: bool
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    kind: Kind = Kind.PHRASE  # the form of the answer
    # ANSWER; CLOSEST (no confident answer, but the cited sentence most likely holds it,
    # shown in ``note``); NONE (the articles do not say).
    grade: Grade = Grade.ANSWER
    verdict: Verdict | None = None  # yes-no answers
    points: list[AnswerPoint] = field(default_factory=list)  # answers of several parts, each cited
    explanation: str | None = None  # at most two grounded sentences behind the short answer
    note: str | None = None  # when abstaining: what the text does say instead
    related: list[dict[str, Any]] = field(default_factory=list)
    conversation_id: str | None = None
    mode: str = "extractive"  # extractive | llm:<model name>
    # The question that was answered: a follow-up made to stand on its own, or a translation.
    resolved_question: str | None = None
    language: str = "en"  # ISO 639-1 code of the language the reader asked in, and was answered in
    # What rated the answer's confidence: a calibration (phrase, sentence, verdict, extractive),
    # or "structure" for words read off the article's own structures.
    judge: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The ask in the question log, for linking a reader's rating to it; None when not logged.
    ask_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [c.to_dict() for c in self.citations]
        data["points"] = [p.to_dict() for p in self.points]
        return data
