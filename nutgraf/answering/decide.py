"""The decide stage: one calibrated confidence, and what the reader is shown.

Three grades instead of answer-or-nothing:
- **answer**: the draft, when its confidence reaches the calibrated threshold;
- **closest**: no confident answer, but the sentence the reading settled on most likely
  holds it; the reader gets "The article comes closest here:" and that sentence, cited;
- **none**: the article does not say (with the sentence that comes closest quoted, so the
  reader sees what it does say).
Short answers (phrase, when, who-is) are judged by the phrase calibration, yes/no answers
by the evidence calibration (is the article about it?) times the verdict calibration (is
the verdict right?), answers of other kinds by the sentence calibration; the sentence
offered as the closest by the sentence calibration (or, for a sentence the model did not
choose, the evidence calibration). All are fitted on the tune splits only.
"""

from __future__ import annotations

import math

import numpy as np

from ..records import Answer, AnswerPoint, Citation
from ..retrieval.embedder import Embedder
from . import calibration, kinds
from .evidence import Evidence, EvidenceSet
from .read import Draft
from .request import Request
from .spans import answer_in_question, name_coverage, number_coverage, term_coverage

PHRASE_KINDS = {kinds.PHRASE, kinds.WHEN, kinds.WHO_IS}
# Answers read off the article's structures (a speaker's quotes, the key points, the title
# the story gives a person) are exact matches, not guesses. Their confidence is the share
# of them found right on the sample article's question list (BENCHMARKS.md).
STRUCTURE_CONFIDENCE = 0.95
GRADES = ("answer", "closest", "none")


class Decider:
    def __init__(self, with_model: bool, min_confidence: float | None = None):
        """``min_confidence`` replaces the calibrated thresholds below which it abstains."""
        names = ("phrase", "sentence", "evidence", "verdict") if with_model else ("extractive",) * 4
        self.phrase, self.sentence, self.evidence, self.verdict = (calibration.load(name) for name in names)
        if min_confidence is not None:
            for judge in (self.phrase, self.sentence, self.evidence, self.verdict):
                judge.threshold = min_confidence

    def judge(self, draft: Draft) -> calibration.Calibration:
        """The calibration that rates ``draft``: by how it was read and what form it takes."""
        if draft.source == "search" or draft.kind in PHRASE_KINDS:
            return self.phrase
        return self.verdict if draft.kind == kinds.YES_NO else self.sentence

    def confidence(self, draft: Draft, values: dict[str, float]) -> float:
        """The calibrated probability that ``draft`` is right."""
        if draft.kind == kinds.YES_NO and "verdict_logodds" in values:
            # Two questions, each fitted where it can be told: does the article speak to
            # this at all (the evidence calibration, fitted with on-topic passages that do
            # not hold the answer), and is the model's verdict right where it does (the
            # verdict calibration, fitted on questions their passage answers).
            return self.evidence.confidence(values) * self.verdict.confidence(values)
        return self.judge(draft).confidence(values)

    def signals(self, request: Request, draft: Draft, evidence: EvidenceSet,
                embedder: Embedder | None) -> dict[str, float]:
        """The values the calibrated confidences are computed from."""
        question, item = request.resolved, draft.chosen
        # The article's title, source and date count: "the TechCrunch report" names no sentence.
        context = " ".join([evidence.headers.get(item.article_id, ""),
                            *(i.sentence.text for i in evidence.neighbours(item))])
        claim = draft.points[0].claim if draft.points else item.sentence.text
        values = dict(draft.features)
        values.setdefault("alignment", 1.0)
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
            return self._none(question, draft.kind, evidence, 0.0, mode)
        values = self.signals(request, draft, evidence, embedder)
        if draft.source == "article" and draft.points:
            return self._answer(question, draft, STRUCTURE_CONFIDENCE, mode)
        judge = self.judge(draft)
        confidence = self.confidence(draft, values)
        if draft.points and confidence >= judge.threshold and (draft.verdict or draft.kind != kinds.YES_NO):
            return self._answer(question, draft, confidence, mode)
        item, where = self._likeliest_sentence(request, draft, evidence, embedder, values, judge)
        if item is not None:
            return self._closest(question, draft.kind, item, evidence, where, mode)
        return self._none(question, draft.kind, evidence, confidence, mode)

    def _likeliest_sentence(self, request: Request, draft: Draft, evidence: EvidenceSet,
                            embedder: Embedder | None, values: dict[str, float],
                            judge: calibration.Calibration) -> tuple[Evidence | None, float]:
        """The sentence most likely to hold the answer when the answer itself is unsure: the
        one the reading settled on or the one retrieval ranks first, whichever rates higher,
        if it reaches its calibration's "closest" band."""
        options = []
        reading_judge = self.sentence if draft.reading else self.evidence
        if reading_judge.closest is not None:
            options.append((reading_judge.confidence(values), draft.chosen, reading_judge))
        top = evidence.top
        if top is not None and top is not draft.chosen and self.evidence.closest is not None:
            top_values = self.signals(request, Draft(draft.kind, chosen=top), evidence, embedder)
            options.append((self.evidence.confidence(top_values), top, self.evidence))
        for where, item, rated_by in sorted(options, key=lambda option: -option[0]):
            if where >= rated_by.closest:
                return item, where
        return None, 0.0

    @staticmethod
    def _answer(question: str, draft: Draft, confidence: float, mode: str) -> Answer:
        points = [AnswerPoint(p.text, [i.citation() for i in p.items]) for p in draft.points]
        citations: list[Citation] = []
        for point in points:
            citations += [c for c in point.citations if c not in citations]
        several = len(points) > 1 or draft.kind in (kinds.LIST, kinds.OVERVIEW)
        return Answer(question, draft.one_line, True, round(confidence, 3), kind=draft.kind, grade="answer",
                      verdict=draft.verdict, points=points if several else [], citations=citations,
                      explanation=citations[0].text if citations else None, mode=mode)

    @staticmethod
    def _closest(question: str, kind: str, item: Evidence, evidence: EvidenceSet, confidence: float,
                 mode: str) -> Answer:
        subject = _subject(evidence)
        return Answer(question, None, False, round(confidence, 3), kind=kind, grade="closest",
                      citations=[item.citation()], mode=mode,
                      note=f"The {subject} comes closest here: “{item.sentence.text}”")

    @staticmethod
    def _none(question: str, kind: str, evidence: EvidenceSet, confidence: float, mode: str) -> Answer:
        """No answer; the note quotes what the text says that comes closest, and cites it."""
        answer = Answer(question, None, False, round(confidence, 3), kind=kind, grade="none", mode=mode)
        top = evidence.top
        verb = "does" if len(evidence.headers) <= 1 else "do"
        answer.note = f"The {_subject(evidence)} {verb} not say."
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
