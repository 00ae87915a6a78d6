"""A draft answer: the points the reader may be shown, each with the sentences it cites."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ...records import Kind, Verdict
from ...store.query import STOPWORDS
from ..evidence import Evidence
from ..prompts import Reading, SentenceVerdict


class Source(StrEnum):
    """How a draft was read."""

    MODEL = "model"  # the language model's reading
    ARTICLE = "article"  # the article's structures: its quotes, key points, the titles it gives people
    SEARCH = "search"  # no model: the best retrieved sentence


VERDICT_LABELS = {Verdict.YES: "Yes", Verdict.NO: "No", Verdict.NOT_DECIDED: "Not decided yet"}


@dataclass
class Point:
    text: str  # what the reader sees
    items: list[Evidence]  # the sentences it cites, first the one it comes from
    verbatim: bool = True  # ``claim`` stands word for word in the first cited sentence
    claim: str = ""  # the words the citations must support (default: text)

    def __post_init__(self) -> None:
        self.claim = self.claim or self.text


@dataclass
class Draft:
    kind: Kind
    points: list[Point] = field(default_factory=list)
    chosen: Evidence | None = None  # the sentence the reading settled on
    verdict: Verdict | None = None  # yes-no drafts
    reading: Reading | None = None  # the model's reading, when a model read
    source: Source = Source.MODEL
    span: tuple[int, int] | None = None  # the phrase's offsets in the chosen sentence
    features: dict[str, float] = field(default_factory=dict)
    read_alone: SentenceVerdict | None = None  # yes-no drafts: what the chosen sentence alone says

    @property
    def one_line(self) -> str | None:
        """The answer on one line: the phrase, the verdict and its reason, or the points joined."""
        if not self.points:
            return None
        if self.verdict:
            return f"{VERDICT_LABELS[self.verdict]}: {_mid_sentence(self.points[0].text)}"
        if self.kind in (Kind.LIST, Kind.OVERVIEW) or len(self.points) > 1:
            return "; ".join(p.text.rstrip(".") for p in self.points)
        return self.points[0].text


def _mid_sentence(text: str) -> str:
    """A line made to follow "No: ": its first word lowercased unless it is a name."""
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first.lower() in STOPWORDS else text
