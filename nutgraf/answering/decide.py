"""The decide stage: one rule for every kind of answer, at the risk the publisher sets.

An answer is shown when its calibrated probability of being right reaches the threshold
that, on the tune questions, kept wrong answers among those shown within the risk setting
(``risk``, default 5%). Three grades:
- **answer**: the draft, when it passes that rule and is of the type the question asks for;
- **closest**: no answer, but the sentence the reading settled on (or retrieval's first) is
  likely enough to hold it, by a threshold chosen the same way for ``closest_risk``; the
  reader gets "The article comes closest here:" and that sentence, cited;
- **none**: the article does not say (with the sentence that comes closest quoted, so the
  reader sees what it does say; for a yes-or-no question, "does not say whether …").

Each kind is rated by the calibration fitted for it: short answers (phrase, when, who-is)
by "phrase", verdicts by "verdict", other answers by "sentence"; without a model, by
"extractive". Answers read off the article's structures carry a fixed probability measured
on the sample article (``STRUCTURE_CONFIDENCE``) and are shown when it reaches 1 - risk.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..records import Answer, AnswerPoint, Citation, Grade, Kind
from ..retrieval.embedder import Embedder
from . import calibration
from .asked_type import of_asked_type
from .drafts import Draft, Source
from .evidence import Evidence, EvidenceSet
from .request import Request
from .spans import answer_in_question, name_coverage, number_coverage, term_coverage
from .verdicts import whether_clause

PHRASE_KINDS = {Kind.PHRASE, Kind.WHEN, Kind.WHO_IS}
# Answers read off the article's structures (a speaker's quotes, the key points, the title
# the story gives a person) are exact matches, not guesses. Their probability is the share of
# them found right on the sample article's question list and panel (BENCHMARKS.md).
STRUCTURE_CONFIDENCE = 0.95
STRUCTURE = "structure"  # the judge named for answers read off the article's structures
# Signals a draft may lack: a phrase not aligned by fuzzy matching is aligned exactly; a draft
# with no answer has none that its sentence confirms.
SIGNAL_DEFAULTS = {"alignment": 1.0, "answer_confirmed": 0.0}
DEFAULT_RISK = 0.05
DEFAULT_CLOSEST_RISK = 0.3


class Decider:
    def __init__(self, with_model: bool, risk: float = DEFAULT_RISK, closest_risk: float = DEFAULT_CLOSEST_RISK,
                 min_confidence: float | None = None):
        """``min_confidence`` replaces every threshold the risk would set."""
        names = ("phrase", "sentence", "evidence", "verdict") if with_model else ("extractive",) * 4
        self.phrase, self.sentence, self.evidence, self.verdict = (calibration.load(name) for name in names)
        self.risk, self.closest_risk, self.min_confidence = risk, closest_risk, min_confidence

    def judge(self, draft: Draft) -> calibration.Calibration | None:
        """The calibration that rates ``draft`` (None: the article's structures, not rated)."""
        if draft.source == Source.ARTICLE:
            return None
        if draft.source == Source.SEARCH or draft.kind in PHRASE_KINDS:
            return self.phrase
        return self.verdict if draft.kind == Kind.YES_NO else self.sentence

    def confidence(self, draft: Draft, values: dict[str, float]) -> float:
        """The calibrated probability that ``draft`` is right."""
        judge = self.judge(draft)
        return STRUCTURE_CONFIDENCE if judge is None else judge.confidence(values)

    def threshold(self, judge: calibration.Calibration | None) -> float:
        if self.min_confidence is not None:
            return self.min_confidence
        return 1 - self.risk if judge is None else judge.threshold_for(self.risk)

    def closest_threshold(self, judge: calibration.Calibration) -> float:
        return self.min_confidence if self.min_confidence is not None else judge.closest_for(self.closest_risk)

    def signals(self, request: Request, draft: Draft, evidence: EvidenceSet,
                embedder: Embedder | None) -> dict[str, float]:
        """The values the calibrated confidences are computed from."""
        question, item = request.resolved, draft.chosen
        # The article's title, source and date count: "the TechCrunch report" names no sentence.
        context = " ".join([evidence.headers.get(item.article_id, ""),
                            *(i.sentence.text for i in evidence.neighbours(item))])
        claim = draft.points[0].claim if draft.points else item.sentence.text
        values = {**SIGNAL_DEFAULTS, **draft.features}
        values.update(
            term_coverage=term_coverage(question, context),
            name_coverage=name_coverage(question, context),
            number_coverage=number_coverage(question, context),
            answer_echo=answer_in_question(claim, question),
            retrieval_rr=1.0 / (1 + item.rank) if item.rank is not None else 0.0,
            dense_similarity=_similarity(request, item, evidence, embedder),
        )
        reading = draft.reading
        if reading is not None:
            start, end = draft.span or (0, len(item.sentence.text))
            answering = min(max(1.0 - reading.p_none, 1e-3), 1 - 1e-3)
            values.update(
                # How much the model wanted to answer at all, against replying NONE. (Not
                # against the sentence number it chose: over a long article the numbers
                # share the probability, and a 30-sentence story would look unsure.)
                answer_logodds=math.log(answering / (1 - answering)),
                # The sentence it chose against NONE: a short answer stands in one sentence,
                # and a model torn between sentences has mostly found none of them.
                choice_logodds=math.log(reading.p_number + 1e-3) - math.log(reading.p_none + 1e-3),
                phrase_logprob=reading.phrase_logprob,
                # A whole sentence offered as the answer mostly means the model found none.
                span_fraction=(end - start) / max(1, len(item.sentence.text)),
            )
        return values

    def decide(self, request: Request, draft: Draft, evidence: EvidenceSet, embedder: Embedder | None,
               mode: str) -> Answer:
        question = request.question
        if draft.chosen is None:
            return self._none(request, draft.kind, evidence, 0.0, mode)
        values = self.signals(request, draft, evidence, embedder)
        judge = self.judge(draft)
        confidence = self.confidence(draft, values)
        judged_by = judge.name if judge is not None else STRUCTURE
        if self._complete(request, draft) and confidence >= self.threshold(judge):
            return replace(self._answer(question, draft, confidence, mode), judge=judged_by)
        # A yes-or-no question its sentence does not decide is one the article does not say.
        item, where = (None, 0.0) if draft.kind == Kind.YES_NO else \
            self._likeliest_sentence(request, draft, evidence, embedder, values)
        if item is not None:
            return self._closest(question, draft.kind, item, evidence, where, mode)
        return replace(self._none(request, draft.kind, evidence, confidence, mode), judge=judged_by)

    @staticmethod
    def _complete(request: Request, draft: Draft) -> bool:
        """Whether the draft is an answer at all: it has points, a yes-or-no answer has its
        verdict, and a short answer is of the type its question asks for, not an echo of it."""
        if not draft.points or (draft.kind == Kind.YES_NO and draft.verdict is None):
            return False
        if draft.kind not in PHRASE_KINDS or draft.source == Source.ARTICLE:
            return True
        point = draft.points[0]
        article = request.articles.get(point.items[0].article_id)
        return of_asked_type(request.resolved, point.text, article, point.items[0].sentence.index)

    def _likeliest_sentence(self, request: Request, draft: Draft, evidence: EvidenceSet,
                            embedder: Embedder | None, values: dict[str, float]) -> tuple[Evidence | None, float]:
        """The sentence most likely to hold the answer when the answer itself is unsure: the
        one the reading settled on or the one retrieval ranks first, whichever rates higher,
        if it reaches its calibration's "closest" band."""
        options = []
        reading_judge = self.sentence if draft.reading else self.evidence
        if draft.source != Source.ARTICLE:
            options.append((reading_judge.confidence(values), draft.chosen, reading_judge))
        top = evidence.top
        if top is not None and top is not draft.chosen:
            top_values = self.signals(request, Draft(draft.kind, chosen=top), evidence, embedder)
            options.append((self.evidence.confidence(top_values), top, self.evidence))
        for where, item, rated_by in sorted(options, key=lambda option: -option[0]):
            if where >= self.closest_threshold(rated_by):
                return item, where
        return None, 0.0

    @staticmethod
    def _answer(question: str, draft: Draft, confidence: float, mode: str) -> Answer:
        points = [AnswerPoint(p.text, [i.citation() for i in p.items]) for p in draft.points]
        citations: list[Citation] = []
        for point in points:
            citations += [c for c in point.citations if c not in citations]
        several = len(points) > 1 or draft.kind in (Kind.LIST, Kind.OVERVIEW)
        return Answer(question, draft.one_line, True, round(confidence, 3), kind=draft.kind, grade=Grade.ANSWER,
                      verdict=draft.verdict, points=points if several else [], citations=citations,
                      explanation=citations[0].text if citations else None, mode=mode)

    @staticmethod
    def _closest(question: str, kind: Kind, item: Evidence, evidence: EvidenceSet, confidence: float,
                 mode: str) -> Answer:
        subject = _subject(evidence)
        return Answer(question, None, False, round(confidence, 3), kind=kind, grade=Grade.CLOSEST,
                      citations=[item.citation()], mode=mode,
                      note=f"The {subject} comes closest here: “{item.sentence.text}”")

    @staticmethod
    def _none(request: Request, kind: Kind, evidence: EvidenceSet, confidence: float, mode: str) -> Answer:
        """No answer; the note says what the articles do not say, quotes what comes closest, and cites it."""
        answer = Answer(request.question, None, False, round(confidence, 3), kind=kind, grade=Grade.NONE, mode=mode)
        verb = "does" if len(evidence.headers) <= 1 else "do"
        clause = whether_clause(request.resolved) if kind == Kind.YES_NO else None
        answer.note = f"The {_subject(evidence)} {verb} not say {clause}." if clause else \
            f"The {_subject(evidence)} {verb} not say."
        top = evidence.top
        if top is not None:
            answer.note += f" The closest it comes: “{top.sentence.text}”"
            answer.citations = [top.citation()]
        return answer


def _subject(evidence: EvidenceSet) -> str:
    return "article" if len(evidence.headers) <= 1 else "articles"


def _similarity(request: Request, item: Evidence, evidence: EvidenceSet, embedder: Embedder | None) -> float:
    """Cosine of the question and the sentence, from vectors already at hand where possible."""
    if embedder is None:
        return 0.0
    for hit in evidence.ranked:
        if (hit.article_id, hit.sentence_index) == (item.article_id, item.sentence.index) and hit.dense_score is not None:
            return float(hit.dense_score)
    article = request.articles.get(item.article_id)
    if article is not None and article.embeddings is not None:
        vector = article.embeddings[item.sentence.index]
    else:
        vector = embedder.embed_one(item.sentence.text)
    return float(np.dot(request.vector(embedder), vector))
