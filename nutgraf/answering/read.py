"""The read stage: from the question's kind and the evidence to a draft answer.

Three ways to read, tried in this order:
- the article's own structures, where the form of the question names one (the key points
  for "What is this about?", the speaker's quotes for "What did Zelensky say?", the title
  the story gives a person for "Who is Viktor Orban?");
- the language model, with the task of the question's kind (see ``reader``);
- without a model, the best retrieved sentence and, in it, the phrase of the asked-for type.
Every point of a draft is words of the sentences it cites, except where it says so
(``Point.verbatim``): the check stage holds those to the cited text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Generator

from ..llm.base import LLM
from ..records import Article
from ..retrieval.embedder import Embedder
from . import kinds, reader
from .evidence import Evidence, EvidenceSet
from .extractive import expected_labels, typed_phrase
from .kinds import Asked
from .overview import bullet_text, key_points
from .reader import Reading
from .request import Request
from .spans import align, term_coverage, tidy
from ..store.query import STOPWORDS
from .structures import (Span, best_clause, bullet_items, description, list_intro,
                         quote_sentences, quotes_of, readable, time_in, when_phrase)

# The model reads every kind through one of four tasks.
MODEL_TASK = {kinds.WHEN: kinds.PHRASE, kinds.WHO_IS: kinds.PHRASE, kinds.QUOTE: kinds.EXPLANATION,
              kinds.OVERVIEW: kinds.EXPLANATION}
# Words that make a sentence a plan or an expectation rather than a settled fact.
UNSETTLED = re.compile(
    r"\b(?:expected\s+to|expects|planning|plans?\s+to|planned|reportedly|scheduled|set\s+to|likely\s+to|"
    r"proposed|hopes?\s+to|aims?\s+to|intends?\s+to|considering|under\s+discussion|not\s+yet|yet\s+to)\b",
    re.IGNORECASE,
)
# Questions that ask whether something is settled or will happen.
ASKS_IF_SETTLED = re.compile(
    r"\b(?:confirmed|decided|agreed|settled|final|official|certain|definite|scheduled|happen|"
    r"take\s+place|going\s+to|will|planned)\b",
    re.IGNORECASE,
)
# What an answer to "when" holds when the article's time expressions did not catch it: a
# number, or a time relative to something else ("after the Anchorage summit").
TIME_LIKE = re.compile(
    r"\d|\b(?:before|after|during|since|until|ago|when|while|later|earlier|next|last|soon|once|"
    r"today|tomorrow|yesterday|morning|evening|night|week|month|year|decade|century|season|"
    r"spring|summer|autumn|fall|winter)\b",
    re.IGNORECASE,
)
DETERMINERS = {"the", "a", "an", "this", "these", "those", "its", "his", "her", "their", "our",
               "any", "some", "no", "every", "each"}
QUOTES_SHOWN = 2
LIST_ITEMS = 8


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
    kind: str
    points: list[Point] = field(default_factory=list)
    chosen: Evidence | None = None  # the sentence the reading settled on
    verdict: str | None = None  # yes-no drafts: yes, no or not-decided
    reading: Reading | None = None  # the model's reading, when a model read
    source: str = "model"  # model | article (its structures) | search (no model)
    span: tuple[int, int] | None = None  # the phrase's offsets in the chosen sentence
    features: dict[str, float] = field(default_factory=dict)

    @property
    def one_line(self) -> str | None:
        """The answer on one line: the phrase, the verdict and its reason, or the points joined."""
        if not self.points:
            return None
        if self.verdict:
            label = {"yes": "Yes", "no": "No", "not-decided": "Not decided yet"}[self.verdict]
            return f"{label}: {_mid_sentence(self.points[0].text)}"
        if self.kind in (kinds.LIST, kinds.OVERVIEW) or len(self.points) > 1:
            return "; ".join(p.text.rstrip(".") for p in self.points)
        return self.points[0].text


def read(request: Request, asked: Asked, evidence: EvidenceSet, llm: LLM | None,
         embedder: Embedder | None = None) -> Generator[str, None, Draft]:
    """The draft answer; yields the visible text of the model's reply while it is written."""
    if (draft := from_structures(request, asked, evidence, embedder, llm is not None)) is not None:
        return draft
    if llm is None:
        return from_search(request.resolved, asked, evidence, request.article)
    if asked.kind == kinds.YES_NO:
        return decided(llm, request.resolved, evidence)
    task = MODEL_TASK.get(asked.kind, asked.kind)
    stream = reader.read_stream(llm, task, request.resolved, evidence)
    yield from reader.deltas(stream)
    completion = stream.completion or reader.completion_of(llm, task, request.resolved, evidence)
    return from_reading(reader.interpret(completion), asked.kind, task, request, evidence, asked.subject)


def read_many(requests: list[Request], asked: list[Asked], evidence: list[EvidenceSet], llm: LLM | None,
              embedder: Embedder | None = None) -> list[Draft]:
    """Drafts for several questions; the ones the model reads on the same evidence with the
    same task are read side by side."""
    drafts: list[Draft | None] = [None] * len(requests)
    batches: dict[tuple[str, str], list[int]] = {}
    for index, (request, form, found) in enumerate(zip(requests, asked, evidence)):
        drafts[index] = from_structures(request, form, found, embedder, llm is not None)
        if drafts[index] is None and llm is None:
            drafts[index] = from_search(request.resolved, form, found, request.article)
        elif drafts[index] is None:
            task = form.kind if form.kind == kinds.YES_NO else MODEL_TASK.get(form.kind, form.kind)
            batches.setdefault((task, reader.numbered_sentences(found)), []).append(index)
    for (task, _), indexes in batches.items():
        pairs = [(requests[i].resolved, evidence[i]) for i in indexes]
        if task == kinds.YES_NO:
            for i, (p_yes, answering) in zip(indexes, reader.verdicts(llm, pairs)):
                drafts[i] = with_verdict(p_yes, answering, requests[i].resolved, evidence[i])
        else:
            for i, reading in zip(indexes, reader.readings(llm, task, pairs)):
                drafts[i] = from_reading(reading, asked[i].kind, task, requests[i], evidence[i], asked[i].subject)
    return drafts


# -- the article's structures


def from_structures(request: Request, asked: Asked, evidence: EvidenceSet,
                    embedder: Embedder | None, with_model: bool = False) -> Draft | None:
    article = request.article
    if article is None:
        return None
    if asked.kind == kinds.OVERVIEW:
        return overview(article, evidence)
    if asked.kind == kinds.QUOTE and asked.subject is not None:
        return quoted(article, asked, evidence, embedder)
    if asked.kind == kinds.WHO_IS and asked.subject is not None:
        span = description(article, asked.subject)
        if span is not None and (item := evidence.find(article.id, span.sentence.index)):
            return Draft(kinds.WHO_IS, [Point(span.text, [item])], chosen=item, source="article",
                         span=(span.start, span.end))
    if asked.kind == kinds.WHEN and not with_model:
        # A model chooses the sentence that says when (its words resolved the same way);
        # without one, the date of the sentence retrieval ranks first is the best guess.
        return dated(article, evidence, request.resolved)
    return None


def dated(article: Article, evidence: EvidenceSet, question: str) -> Draft | None:
    """The one date the best sentence for a "when" question gives, resolved."""
    top = evidence.top
    if top is None:
        return None
    found = [t for t in article.times if t.sentence_index == top.sentence.index
             and t.text.lower() not in question.lower()]
    days = [t for t in found if t.resolved] or found  # a day over a duration ("three years")
    if len(days) != 1:
        return None  # none, or several to choose from: the model reads
    expression = days[0]
    start = expression.start - top.sentence.start
    return Draft(kinds.WHEN, [Point(when_phrase(expression), [top], verbatim=False, claim=expression.text)],
                 chosen=top, source="search", span=(start, start + len(expression.text)),
                 features={"typed_span": 1.0})


def overview(article: Article, evidence: EvidenceSet) -> Draft | None:
    points = []
    for span in key_points(article):
        if item := evidence.find(article.id, span.sentence.index):
            points.append(Point(bullet_text(span), [item]))
    if not points:
        return None
    return Draft(kinds.OVERVIEW, points, chosen=points[0].items[0], source="article")


def quote_context(article: Article, quote) -> str:
    """The quote's sentences and the one before: "said the bridge would connect ... “This is
    the missing link”" is about the bridge though the quoted words never name it."""
    sentences = quote_sentences(article, quote)
    before = [article.sentences[sentences[0].index - 1]] if sentences and sentences[0].index > 0 else []
    return " ".join(s.text for s in before + sentences)


def quoted(article: Article, asked: Asked, evidence: EvidenceSet, embedder: Embedder | None) -> Draft | None:
    """The speaker's own words; about the asked topic first when the question names one."""
    quotes = quotes_of(article, asked.subject)
    if asked.topic:
        # The speaker's words on the topic; else words said right where the topic is named.
        quotes = [q for q in quotes if term_coverage(asked.topic, q.text) > 0] or \
            [q for q in quotes if term_coverage(asked.topic, quote_context(article, q)) > 0]
    if not quotes:
        return None
    shown = quotes[:1] if asked.topic else quotes[:QUOTES_SHOWN]
    points = []
    for quote in shown:
        items = [i for s in quote_sentences(article, quote) if (i := evidence.find(article.id, s.index))]
        if items:
            words = quote.text.strip().rstrip(",")
            points.append(Point(f"“{words}”", items, claim=words))
    if not points:
        return None
    return Draft(kinds.QUOTE, points, chosen=points[0].items[0], source="article")


# -- the model's reading


def _attributed(article: Article, item: Evidence, speaker) -> bool:
    """Whether the sentence, or the one before it, names the speaker."""
    near = {item.sentence.index, item.sentence.index - 1}
    return any(m.sentence_index in near for m in speaker.mentions)


def from_reading(reading: Reading, kind: str, task: str, request: Request, evidence: EvidenceSet,
                 asked_subject=None) -> Draft:
    question = request.resolved
    draft = Draft(kind, reading=reading)
    if not reading.lines:
        return draft
    if task == kinds.LIST:
        return _listed(draft, reading, evidence, request.article)
    aligned = align_phrase(reading.phrase, evidence.by_number(reading.number), evidence)
    if aligned is None:
        return draft
    item, start, end, alignment = aligned
    draft.chosen, draft.features["alignment"] = item, alignment
    if kind == kinds.QUOTE and request.article is not None and asked_subject is not None \
            and not _attributed(request.article, item, asked_subject):
        return draft  # words of someone else: not what the question asked for
    if task == kinds.EXPLANATION:
        return _explained(draft, item, start, end, question, evidence, request.article)
    draft.span = (start, end)
    text = tidy(item.sentence.text[start:end], question)
    if kind == kinds.WHEN and request.article is not None:
        expression = time_in(request.article, item.sentence.index, start, end)
        if expression is not None:
            draft.points = [Point(when_phrase(expression), [item], verbatim=False, claim=expression.text)]
            return draft
        if not TIME_LIKE.search(text):
            return draft  # "Budapest" is no answer to "when": the reading missed
    draft.points = [Point(text, [item])]
    return draft


def align_phrase(phrase: str | None, cited: Evidence | None,
                 evidence: EvidenceSet) -> tuple[Evidence, int, int, float] | None:
    """The phrase as a span of the cited sentence, else of the sentence it matches best."""
    if not phrase:
        return None
    options = ([cited] if cited else []) + [i for i in evidence.items if i is not cited]
    best = None
    for item in options:
        span = align(phrase, item.sentence.text)
        if span and (best is None or span.alignment > best[1].alignment + 0.05):
            best = (item, span)
        if span and span.alignment == 1.0:
            break
    if best is None:
        return None
    item, span = best
    return item, span.start, span.end, span.alignment


def _explained(draft: Draft, item: Evidence, start: int, end: int, question: str, evidence: EvidenceSet,
               article: Article | None) -> Draft:
    if article is not None and (listed := _bullets_of(article, item, evidence)):
        draft.kind, draft.points = kinds.LIST, listed
        return draft
    draft.points = [Point(readable(_whole_phrase(item, start, end)), [item])]
    return draft


def _whole_phrase(item: Evidence, start: int, end: int) -> Span:
    """The copied words with the start of the phrase they begin inside: a reader gets "this
    weapons system is capable of ...", not "system is capable of ..."."""
    text = item.sentence.text
    before = list(re.finditer(r"[\w’'-]+", text[:start]))[-3:]
    for word in reversed(before):
        if re.search(r"[,;:.!?“”\"()]", text[word.end():start]):
            break  # not across punctuation: that is another phrase
        if word.group().lower() in DETERMINERS:
            return Span(item.sentence, word.start(), end)
    return Span(item.sentence, start, end)


def decided(llm: LLM, question: str, evidence: EvidenceSet) -> Draft:
    """A yes or no from the model, explained by the sentence that decides it: the one
    retrieval ranks first, which is also what the reader was shown while the model read."""
    if evidence.top is None:
        return Draft(kinds.YES_NO)
    return with_verdict(*reader.verdict(llm, question, evidence), question, evidence)


def with_verdict(p_yes: float, answering: float, question: str, evidence: EvidenceSet) -> Draft:
    item = evidence.top
    draft = Draft(kinds.YES_NO, chosen=item)
    if item is None:
        return draft
    # How much of its first step the model gave to yes or no at all, as log-odds: the
    # difference between 0.99 and 0.999 is the difference between reading on and guessing.
    mass = min(max(answering, 1e-4), 1 - 1e-4)
    draft.features.update(verdict_margin=abs(p_yes - 0.5) * 2, verdict_logodds=math.log(mass / (1 - mass)))
    if UNSETTLED.search(item.sentence.text) and ASKS_IF_SETTLED.search(question):
        draft.verdict = "not-decided"
    else:
        draft.verdict = "yes" if p_yes >= 0.5 else "no"
    draft.points = [Point(readable(best_clause(question, item.sentence)), [item])]
    return draft


def _listed(draft: Draft, reading: Reading, evidence: EvidenceSet, article: Article | None) -> Draft:
    points: list[Point] = []
    seen: set[str] = set()
    for number, words in reading.lines:
        aligned = align_phrase(words, evidence.by_number(number), evidence)
        if aligned is None:
            continue
        item, start, end, _ = aligned
        if article is not None and (listed := _bullets_of(article, item, evidence)):
            new = listed
            # The line that introduces the bullets is what the question matches ("thorny
            # issues remain:"), not a bullet of three words: the answer is rated on it.
            item = evidence.find(article.id, list_intro(article.sentences, item.sentence.index)) or item
        else:
            new = [Point(readable(Span(item.sentence, start, end)), [item])]
        for point in new:
            if point.text.lower() not in seen:
                seen.add(point.text.lower())
                points.append(point)
        draft.chosen = draft.chosen or item
    draft.points = points[:LIST_ITEMS]
    return draft


def _bullets_of(article: Article, item: Evidence, evidence: EvidenceSet) -> list[Point]:
    """The bulleted list the item introduces or belongs to, one point per bullet."""
    intro = list_intro(article.sentences, item.sentence.index)
    if intro is None:
        return []
    points = []
    for span in bullet_items(article.sentences, intro):
        if cited := evidence.find(article.id, span.sentence.index):
            points.append(Point(readable(span), [cited]))
    return points


# -- without a model


def from_search(question: str, asked: Asked, evidence: EvidenceSet, article: Article | None) -> Draft:
    """The best retrieved sentence, and in it the phrase of the asked-for type."""
    top = evidence.top
    # A sentence or list offered whole is of the asked-for type; only phrases are typed.
    draft = Draft(asked.kind, chosen=top, source="search", features={"typed_span": 1.0})
    if top is None:
        return draft
    if article is not None and (listed := _bullets_of(article, top, evidence)):
        draft.kind, draft.points = kinds.LIST, listed
        return draft
    if asked.kind in (kinds.PHRASE, kinds.WHEN, kinds.WHO_IS):
        span = typed_phrase(question, top.sentence.text)
        typed = span is not None or expected_labels(question) is None
        start, end = span or (0, len(top.sentence.text))
        draft.span, draft.features["typed_span"] = (start, end), float(typed)
        draft.points = [Point(tidy(top.sentence.text[start:end], question), [top])]
        return draft
    if asked.kind == kinds.YES_NO:
        draft.points = [Point(readable(best_clause(question, top.sentence)), [top])]
        return draft  # no verdict without a model: at best the sentence that comes closest
    draft.points = [Point(readable(best_clause(question, top.sentence)), [top])]
    return draft


def _mid_sentence(text: str) -> str:
    """A line made to follow "No: ": its first word lowercased unless it is a name."""
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first.lower() in STOPWORDS else text
