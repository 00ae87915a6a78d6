"""The answering pipeline: evidence → short answer → support check → answer or abstain.

The same steps serve every reader: with a language model (local llama.cpp or any
OpenAI-compatible server) the model picks the sentence and the phrase; without one, the best
retrieved sentence and the phrase of the asked-for type. Either way the answer is a span of a
cited sentence and the decision to answer comes from a calibrated confidence.
"""

from __future__ import annotations

import math
import time
import unicodedata
from dataclasses import dataclass
from typing import Iterator

from ..errors import InputError, NotFound
from ..llm.base import LLM, Completion
from ..records import Answer, Citation, Scope
from ..retrieval.search import MAX_QUERY_CHARS, Retriever
from ..store.base import Store
from . import calibration, conversation, reader
from .evidence import Evidence, EvidenceSet, gather
from .extractive import expected_labels, typed_phrase
from .spans import align, answer_in_question, name_coverage, term_coverage, tidy

ALLOWED_CONTROLS = {"\n", "\t", "\r"}


@dataclass
class _Turn:
    """One question on its way through the pipeline."""

    question: str
    resolved: str  # with pronouns resolved against the conversation
    evidence: EvidenceSet
    messages: list
    history: list[conversation.Turn]
    conversation_id: str | None
    started: float
    timings: dict[str, float]
    streamed: Completion | None = None  # the reply, when it was streamed and the backend returned it


@dataclass
class Candidate:
    item: Evidence
    start: int  # offsets into the cited sentence's text
    end: int
    features: dict[str, float]


def validate_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    if len(question) > MAX_QUERY_CHARS:
        raise InputError(f"the question is longer than {MAX_QUERY_CHARS:,} characters")
    if any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS for c in question):
        raise InputError("the question contains control characters")
    return " ".join(question.split())


class Answerer:
    def __init__(self, store: Store, retriever: Retriever, llm: LLM | None = None,
                 min_confidence: float | None = None):
        """``min_confidence`` overrides the calibrated threshold below which it abstains."""
        self.store = store
        self.retriever = retriever
        self.llm = llm
        self.mode = f"llm:{llm.name}" if llm else "extractive"
        self.calibration = calibration.load("llm" if llm else "extractive")
        if min_confidence is not None:
            self.calibration.threshold = min_confidence

    def answer(self, question: str, scope: Scope, conversation_id: str | None = None,
               remember: bool = True) -> Answer:
        """The checked answer; ``remember=False`` keeps it out of any conversation."""
        turn = self._prepare(question, scope, conversation_id)
        return self._finish(turn, self._candidate(turn), remember)

    def stream(self, question: str, scope: Scope, conversation_id: str | None = None) -> Iterator[dict]:
        """``{"type": "delta", "text": ...}`` events while the answer is produced, then
        ``{"type": "answer", "answer": Answer}``: the final, checked answer (which may abstain
        even after deltas were sent)."""
        turn = self._prepare(question, scope, conversation_id)
        if self.llm is not None:
            turn.streamed = yield from self._deltas(turn)
        yield {"type": "answer", "answer": self._finish(turn, self._candidate(turn))}

    def _deltas(self, turn: _Turn):
        """Delta events of the model's reply; returns its Completion when the backend gives one."""
        read_started = time.perf_counter()
        pieces = reader.stream_phrase(self.llm.stream(
            turn.messages, max_tokens=reader.MAX_REPLY_TOKENS, stop=["\n"], grammar=reader.GRAMMAR,
            top_logprobs=reader.TOP_LOGPROBS))
        while True:
            try:
                piece = next(pieces)
            except StopIteration as finished:
                turn.timings["stream"] = _ms(read_started)
                return finished.value
            turn.timings.setdefault("first_token", _ms(turn.started))
            yield {"type": "delta", "text": piece}

    def _prepare(self, question: str, scope: Scope, conversation_id: str | None) -> _Turn:
        started = time.perf_counter()
        question = validate_question(question)
        self._check_scope(scope)
        turns = conversation.load(self.store, conversation_id) if conversation_id else []
        resolved = conversation.resolve(question, turns)
        evidence = gather(resolved, scope, self.retriever, self.store)
        history = [(t.question, t.answer or "no answer") for t in turns]
        messages = reader.build_messages(resolved, evidence, history) if self.llm else []
        return _Turn(question, resolved, evidence, messages, turns, conversation_id, started,
                     {"retrieve": _ms(started)})

    def _candidate(self, turn: _Turn) -> Candidate | None:
        read_started = time.perf_counter()
        if self.llm is None:
            candidate = self._extractive(turn.resolved, turn.evidence)
        else:
            candidate = self._read(turn.resolved, turn.evidence, turn.messages, turn.streamed)
        turn.timings["read"] = _ms(read_started)
        return candidate

    def _finish(self, turn: _Turn, candidate: Candidate | None, remember: bool = True) -> Answer:
        result = self._decide(turn.question, candidate, turn.evidence)
        if remember:
            result.conversation_id = turn.conversation_id or conversation.new_id()
            self._remember(result, turn.resolved, turn.history)
        result.timings_ms = {**turn.timings, "total": _ms(turn.started)}
        return result

    # -- reading

    def _read(self, question: str, evidence: EvidenceSet, messages, streamed=None) -> Candidate | None:
        reading = reader.interpret(streamed) if streamed is not None else reader.read(self.llm, messages)
        if reading.phrase is None:
            return None
        candidate = self._align(reading.phrase, evidence.by_number(reading.number or 0), evidence)
        if candidate is None:
            return None
        candidate.features.update(
            none_logodds=math.log(reading.p_number + 1e-3) - math.log(reading.p_none + 1e-3),
            phrase_logprob=reading.phrase_logprob,
            # A whole sentence offered as the answer mostly means the model found none.
            span_fraction=(candidate.end - candidate.start) / max(1, len(candidate.item.sentence.text)),
        )
        return candidate

    def _align(self, phrase: str, cited: Evidence | None, evidence: EvidenceSet) -> Candidate | None:
        """The phrase as a span of the cited sentence, else of the sentence it matches best."""
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
        return Candidate(item, span.start, span.end, {"alignment": span.alignment})

    def _extractive(self, question: str, evidence: EvidenceSet) -> Candidate | None:
        if not evidence.ranked:
            return None
        top = evidence.ranked[0]
        item = next((i for i in evidence.items
                     if i.article_id == top.article_id and i.sentence.index == top.sentence_index), None)
        if item is None:
            return None
        span = typed_phrase(question, item.sentence.text)
        typed = span is not None
        if span is None:
            span = (0, len(item.sentence.text))
        return Candidate(item, *span, {"typed_span": float(typed or expected_labels(question) is None)})

    # -- deciding

    def features(self, question: str, candidate: Candidate, evidence: EvidenceSet) -> dict[str, float]:
        """The signals the calibrated confidence is computed from."""
        context = " ".join(i.sentence.text for i in evidence.neighbours(candidate.item))
        rank = candidate.item.rank
        return {
            **candidate.features,
            "term_coverage": term_coverage(question, context),
            "name_coverage": name_coverage(question, context),
            "answer_echo": answer_in_question(self.phrase(question, candidate), question),
            "retrieval_rr": 1.0 / (1 + rank) if rank is not None else 0.0,
            "dense_similarity": self._similarity(question, candidate.item.sentence.text),
        }

    def _similarity(self, question: str, sentence: str) -> float:
        if self.retriever.embedder is None:
            return 0.0
        question_vector, sentence_vector = self.retriever.embedder.embed([question, sentence])
        return float(question_vector @ sentence_vector)

    @staticmethod
    def phrase(question: str, candidate: Candidate) -> str:
        return tidy(candidate.item.sentence.text[candidate.start:candidate.end], question)

    def _decide(self, question: str, candidate: Candidate | None, evidence: EvidenceSet) -> Answer:
        if candidate is None:
            return self._abstain(question, evidence, 0.0)
        confidence = self.calibration.confidence(self.features(question, candidate, evidence))
        if confidence < self.calibration.threshold:
            return self._abstain(question, evidence, confidence)
        sentence = candidate.item.sentence
        citation = Citation(candidate.item.article_id, sentence.index, sentence.start, sentence.end, sentence.text)
        return Answer(question, self.phrase(question, candidate), True, round(confidence, 3), [citation],
                      explanation=sentence.text, mode=self.mode)

    def _abstain(self, question: str, evidence: EvidenceSet, confidence: float) -> Answer:
        """No answer; the note quotes what the text says that comes closest, and cites it."""
        answer = Answer(question, None, False, round(confidence, 3), mode=self.mode)
        if evidence.ranked:
            closest = evidence.ranked[0]
            subject = "article does" if len(evidence.titles) <= 1 else "articles do"
            answer.note = f"The {subject} not say. The closest it comes: “{closest.text}”"
            answer.citations = [Citation(closest.article_id, closest.sentence_index,
                                         closest.start, closest.end, closest.text)]
        return answer

    # -- scope and memory

    def _check_scope(self, scope: Scope) -> None:
        for article_id in scope.article_ids or []:
            if self.store.content_hash(article_id) is None:
                raise NotFound(f"no article with id {article_id!r}")

    def _remember(self, result: Answer, resolved: str, turns: list[conversation.Turn]) -> None:
        article_ids = sorted({c.article_id for c in result.citations})
        articles = [a for a in (self.store.get_article(i) for i in article_ids) if a]
        cited = [c.text for c in result.citations if result.answerable]
        people = conversation.people_in([resolved, result.answer or "", *cited], articles)
        turns.append(conversation.Turn(result.question, result.answer, article_ids, people))
        conversation.append(self.store, result.conversation_id, turns[-1])


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
