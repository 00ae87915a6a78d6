"""Drafts from the language model's reading: its words aligned to the sentences they copy,
and, for yes-or-no questions, its verdict checked against the sentence it would cite."""

from __future__ import annotations

import math
import re

from ...llm.base import LLM
from ...records import Article, Kind, Verdict
from .. import prompts, verdicts
from ..evidence import Evidence, EvidenceSet
from ..kinds import Asked
from ..prompts import Reading
from ..request import Request
from ..spans import align, tidy
from ..structures import Span, best_clause, list_intro, readable, time_in, when_phrase
from .article import bullets_of, dated
from .draft import Draft, Point, Source

# The model reads every kind through one of four tasks.
MODEL_TASK = {Kind.WHEN: Kind.PHRASE, Kind.WHO_IS: Kind.PHRASE, Kind.QUOTE: Kind.EXPLANATION,
              Kind.OVERVIEW: Kind.EXPLANATION}
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
LIST_ITEMS = 8


def read_with_model(llm: LLM, requests: list[Request], asked: list[Asked], evidence: list[EvidenceSet],
                    drafts: list[Draft | None]) -> None:
    """Fill in the drafts not read off the article: questions on the same evidence with the
    same task are read side by side."""
    batches: dict[tuple[Kind, str], list[int]] = {}
    for index, (form, found) in enumerate(zip(asked, evidence)):
        if drafts[index] is None:
            task = form.kind if form.kind == Kind.YES_NO else MODEL_TASK.get(form.kind, form.kind)
            batches.setdefault((task, prompts.numbered_sentences(found)), []).append(index)
    for (task, _), indexes in batches.items():
        pairs = [(requests[i].resolved, evidence[i]) for i in indexes]
        if task == Kind.YES_NO:
            for i, (p_yes, answering) in zip(indexes, prompts.verdicts(llm, pairs)):
                drafts[i] = with_verdict(p_yes, answering, evidence[i])
        else:
            for i, reading in zip(indexes, prompts.read_together(llm, task, pairs)):
                drafts[i] = from_reading(reading, asked[i].kind, task, requests[i], evidence[i], asked[i].subject)


def check_sentences(llm: LLM, requests: list[Request], evidence: list[EvidenceSet], drafts: list[Draft]) -> None:
    """Have the model read the sentence each draft of its reading cites, on its own: whether
    it answers the question, and for a yes-or-no question which verdict it gives."""
    read = [i for i, d in enumerate(drafts) if d.source == Source.MODEL and d.chosen is not None]
    decided = [i for i in read if drafts[i].kind == Kind.YES_NO]
    answered = [i for i in read if drafts[i].kind != Kind.YES_NO]
    if answered:
        pairs = [(requests[i].resolved, drafts[i].chosen.sentence.text) for i in answered]
        for i, probability in zip(answered, prompts.sentence_answers(llm, pairs)):
            drafts[i].features["sentence_answers"] = probability
        confirmed = [i for i in answered if drafts[i].points]
        triples = [(requests[i].resolved, drafts[i].points[0].claim, drafts[i].chosen.sentence.text) for i in confirmed]
        for i, probability in zip(confirmed, prompts.answers_confirmed(llm, triples) if triples else []):
            drafts[i].features["answer_confirmed"] = probability
    if decided:
        pairs = [(requests[i].resolved, drafts[i].chosen.sentence.text) for i in decided]
        for i, alone in zip(decided, prompts.sentence_verdicts(llm, pairs)):
            judge_verdict(drafts[i], requests[i].resolved, evidence[i], alone)


# -- yes or no


def with_verdict(p_yes: float, answering: float, evidence: EvidenceSet) -> Draft:
    """The model's verdict read from the whole article, for the sentence retrieval ranks
    first: the one the reader was shown while the model read, and the one the verdict must
    come from."""
    item = evidence.top
    draft = Draft(Kind.YES_NO, chosen=item)
    if item is None:
        return draft
    # How much of its first step the model gave to yes or no at all, as log-odds: the
    # difference between 0.99 and 0.999 is the difference between reading on and guessing.
    mass = min(max(answering, 1e-4), 1 - 1e-4)
    draft.features.update(verdict_margin=abs(p_yes - 0.5) * 2, verdict_logodds=math.log(mass / (1 - mass)),
                          p_yes=p_yes)
    return draft


def judge_verdict(draft: Draft, question: str, evidence: EvidenceSet, alone: prompts.SentenceVerdict) -> None:
    """The verdict the cited sentence gives, if its premise is stated and the sentence gives one."""
    item = draft.chosen
    context = " ".join([evidence.headers.get(item.article_id, ""), *(i.sentence.text for i in evidence.neighbours(item))])
    stated = verdicts.premise_stated(question, context)
    draft.read_alone = alone
    p_yes = draft.features.pop("p_yes", 0.5)
    draft.features.update(sentence_yes=alone.yes, sentence_no=alone.no, sentence_unknown=alone.unknown,
                          premise=float(stated))
    verdict = verdicts.verdict_of(question, item.sentence.text, alone) if stated else None
    # How far the verdict read from the whole article agrees with the sentence's.
    draft.features["verdict_agreement"] = {Verdict.YES: p_yes, Verdict.NO: 1 - p_yes}.get(verdict, 0.5)
    if verdict is not None:
        draft.verdict = verdict
        draft.points = [Point(readable(best_clause(question, item.sentence)), [item])]


# -- the other tasks


def _attributed(item: Evidence, speaker) -> bool:
    """Whether the sentence, or the one before it, names the speaker."""
    near = {item.sentence.index, item.sentence.index - 1}
    return any(m.sentence_index in near for m in speaker.mentions)


def from_reading(reading: Reading, kind: Kind, task: Kind, request: Request, evidence: EvidenceSet,
                 asked_subject=None) -> Draft:
    draft = _read(reading, kind, task, request, evidence, asked_subject)
    if kind == Kind.WHEN and not draft.points and request.article is not None:
        # The reading found no date: the one date of the sentence retrieval ranks first is
        # the next guess, rated like any other reading (the model's reading still says how
        # much it wanted to answer at all).
        fallback = dated(request.article, evidence, request.resolved)
        if fallback is not None:
            fallback.reading, fallback.source = reading, Source.MODEL
            fallback.features.pop("typed_span", None)
            return fallback
    return draft


def _read(reading: Reading, kind: Kind, task: Kind, request: Request, evidence: EvidenceSet,
          asked_subject=None) -> Draft:
    question = request.resolved
    draft = Draft(kind, reading=reading)
    if not reading.lines:
        return draft
    if task == Kind.LIST:
        return _listed(draft, reading, evidence, request.article)
    aligned = align_phrase(reading.phrase, evidence.by_number(reading.number), evidence)
    if aligned is None:
        return draft
    item, start, end, alignment = aligned
    draft.chosen, draft.features["alignment"] = item, alignment
    if kind == Kind.QUOTE and request.article is not None and asked_subject is not None \
            and not _attributed(item, asked_subject):
        return draft  # words of someone else: not what the question asked for
    if task == Kind.EXPLANATION:
        return _explained(draft, item, start, end, evidence, request.article)
    draft.span = (start, end)
    if kind == Kind.WHEN and request.article is not None:
        return _dated(draft, item, start, end, question, request.article)
    draft.points = [Point(tidy(item.sentence.text[start:end], question), [item])]
    return draft


def _dated(draft: Draft, item: Evidence, start: int, end: int, question: str, article: Article) -> Draft:
    """A "when" answer: the article's date expression in the words the model chose, else the
    one date the chosen sentence gives, resolved against the publication date."""
    expression = time_in(article, item.sentence.index, start, end)
    if expression is None:
        found = [t for t in article.times if t.sentence_index == item.sentence.index
                 and t.text.lower() not in question.lower()]
        expression = found[0] if len(found) == 1 else None
    if expression is not None:
        local = expression.start - item.sentence.start
        draft.span = (local, local + len(expression.text))
        draft.points = [Point(when_phrase(expression), [item], verbatim=False, claim=expression.text)]
        return draft
    text = tidy(item.sentence.text[start:end], question)
    if TIME_LIKE.search(text):  # "after the Anchorage summit"
        draft.points = [Point(text, [item])]
    return draft  # "Budapest" is no answer to "when": the reading missed


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


def _explained(draft: Draft, item: Evidence, start: int, end: int, evidence: EvidenceSet,
               article: Article | None) -> Draft:
    if article is not None and (listed := bullets_of(article, item, evidence)):
        draft.kind, draft.points = Kind.LIST, listed
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


def _listed(draft: Draft, reading: Reading, evidence: EvidenceSet, article: Article | None) -> Draft:
    points: list[Point] = []
    seen: set[str] = set()
    for number, words in reading.lines:
        aligned = align_phrase(words, evidence.by_number(number), evidence)
        if aligned is None:
            continue
        item, start, end, _ = aligned
        if article is not None and (listed := bullets_of(article, item, evidence)):
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
