"""The answering pipeline: typed stages around one request.

    open → resolve → gather → classify → read → check → decide → remember

- **open** validates the question and loads what every later stage shares (the articles,
  the conversation) once;
- **resolve** makes a follow-up stand on its own and a question in another language English;
- **gather** runs one search and chooses the numbered evidence;
- **classify** decides the form of answer the question wants (``kinds``);
- **read** drafts it from the article's structures, the language model or the best sentence;
- **check** drops every point its citations do not support;
- **decide** grades it by a calibrated confidence: an answer, the sentence that comes
  closest, or "the article does not say";
- **remember** keeps the turn for follow-ups.

The same stages serve every reader: the CLI, the HTTP API, streaming, related questions
and the benchmarks call them, with or without a language model.
"""

from __future__ import annotations

import time
from typing import Generator, Iterator

from ..llm.base import LLM
from ..records import Answer, AnswerPoint, Scope, Turn
from ..retrieval.search import Retriever
from ..store.base import Store
from . import conversation, language, reader
from .decide import Decider
from .evidence import EvidenceSet, gather
from .kinds import Asked, classify
from .read import Draft, read, read_many
from .request import Request, open_request
from .support import check

Event = dict


def result_of(steps: Generator):
    """Run a generator stage to its end; what it returns."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


class Answerer:
    def __init__(self, store: Store, retriever: Retriever, llm: LLM | None = None,
                 min_confidence: float | None = None):
        """``min_confidence`` overrides the calibrated thresholds below which it abstains."""
        self.store = store
        self.retriever = retriever
        self.llm = llm
        self.mode = f"llm:{llm.name}" if llm else "extractive"
        self.decider = Decider(llm is not None, min_confidence)

    def answer(self, question: str, scope: Scope, conversation_id: str | None = None,
               remember: bool = True) -> Answer:
        """The checked answer; ``remember=False`` keeps it out of any conversation."""
        return result_of(self.run(self.open(question, scope, conversation_id), remember, stream=False))

    def stream(self, question: str, scope: Scope, conversation_id: str | None = None) -> Iterator[Event]:
        """Events while the answer is made: ``evidence`` (the sentence retrieval ranks first,
        before the model reads), ``delta`` pieces of the model's reply, then ``answer``: the
        final, checked answer (which may abstain even after deltas were sent)."""
        result = yield from self.run(self.open(question, scope, conversation_id), remember=True, stream=True)
        yield {"type": "answer", "answer": result}

    def answer_many(self, questions: list[str], scope: Scope) -> list[Answer]:
        """Answers to several questions about the same articles, through the same stages,
        none of them remembered; what the model reads for them is read side by side (this is
        how related questions are checked)."""
        if not questions:
            return []
        first = self.open(questions[0], scope)
        requests = [first] + [open_request(q, scope, None, self.store, loaded=first.articles) for q in questions[1:]]
        evidence = [self.gather(self.resolve(request)) for request in requests]
        asked = [self.classify(request, found) for request, found in zip(requests, evidence)]
        started = time.perf_counter()
        drafts = read_many(requests, asked, evidence, self.llm, self.retriever.embedder)
        answers = []
        for request, draft, found in zip(requests, drafts, evidence):
            request.timed("read", started)
            answer = self.decide(request, self.check(draft), found)
            answer.timings_ms = {**request.timings, "total": request.elapsed_ms()}
            answers.append(answer)
        return answers

    def run(self, request: Request, remember: bool = True,
            stream: bool = True) -> Generator[Event, None, Answer]:
        """Every stage after ``open``, yielding the stream's events; returns the answer."""
        self.resolve(request)
        evidence = self.gather(request)
        if stream and evidence.top is not None:
            request.timings["evidence"] = request.elapsed_ms()
            yield {"type": "evidence", "citations": [evidence.top.citation().to_dict()]}
        asked = self.classify(request, evidence)
        started = time.perf_counter()
        reading = read(request, asked, evidence, self.llm, self.retriever.embedder)
        draft = yield from self._deltas(reading, request, show=stream and request.language == language.ENGLISH)
        request.timed("read", started)
        answer = self.decide(request, self.check(draft), evidence)
        self.translate(request, answer)
        if remember:
            self.remember(request, answer)
        answer.timings_ms = {**request.timings, "total": request.elapsed_ms()}
        return answer

    # -- the stages

    def open(self, question: str, scope: Scope, conversation_id: str | None = None) -> Request:
        return open_request(question, scope, conversation_id, self.store)

    def resolve(self, request: Request) -> Request:
        """The question made to stand on its own, in English."""
        started = time.perf_counter()
        request.language = language.detect(request.question)
        question = request.question
        if request.language != language.ENGLISH and self.llm is not None:
            question = reader.translate(self.llm, question, "English")
        articles = list(request.articles.values())
        resolved = conversation.resolve(question, request.turns, articles)
        if resolved == question and self.llm is not None and conversation.needs_context(question, request.turns):
            history = [(t.resolved or t.question, t.answer or "no answer") for t in request.turns]
            resolved = reader.rewrite_follow_up(self.llm, history, question)
        request.resolved = resolved
        request.timed("resolve", started)
        return request

    def gather(self, request: Request) -> EvidenceSet:
        started = time.perf_counter()
        evidence = gather(request, self.retriever, self.store)
        request.timed("retrieve", started)
        return evidence

    def classify(self, request: Request, evidence: EvidenceSet) -> Asked:
        return classify(request.resolved, list(request.articles.values()))

    def read(self, request: Request, asked: Asked, evidence: EvidenceSet) -> Draft:
        """The draft answer, without streaming (for callers that want only the result)."""
        return result_of(read(request, asked, evidence, self.llm, self.retriever.embedder))

    def check(self, draft: Draft) -> Draft:
        return check(draft, self.llm)

    def decide(self, request: Request, draft: Draft, evidence: EvidenceSet) -> Answer:
        answer = self.decider.decide(request, draft, evidence, self.retriever.embedder, self.mode)
        if request.resolved != request.question:
            answer.resolved_question = request.resolved
        return answer

    def translate(self, request: Request, answer: Answer) -> None:
        """The answer's words in the reader's language; citations stay the article's."""
        if request.language == language.ENGLISH or self.llm is None:
            return
        started = time.perf_counter()
        target = language.name(request.language)
        if answer.answer:
            answer.answer = reader.translate(self.llm, answer.answer, target)
        answer.points = [AnswerPoint(reader.translate(self.llm, p.text, target), p.citations) for p in answer.points]
        if answer.note:
            answer.note = reader.translate(self.llm, answer.note, target)
        request.timed("translate", started)

    def remember(self, request: Request, answer: Answer) -> None:
        answer.conversation_id = request.conversation_id or conversation.new_id()
        article_ids = sorted({c.article_id for c in answer.citations})
        articles = [a for a in (request.articles.get(i) or self.store.get_article(i) for i in article_ids) if a]
        cited = [c.text for c in answer.citations if answer.answerable]
        people = conversation.people_in([request.resolved, answer.answer or "", *cited], articles)
        conversation.append(self.store, answer.conversation_id,
                            Turn(answer.question, answer.answer, article_ids, people, request.resolved))

    @staticmethod
    def _deltas(reading: Generator[str, None, Draft], request: Request,
                show: bool) -> Generator[Event, None, Draft]:
        while True:
            try:
                text = next(reading)
            except StopIteration as done:
                return done.value
            if show:
                request.timings.setdefault("first_token", request.elapsed_ms())
                yield {"type": "delta", "text": text}
