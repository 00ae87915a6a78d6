"""The answering pipeline: typed stages around one request.

    open → resolve → gather → classify → read → check → decide → translate → remember

- **open** validates the question and loads what every later stage shares (the articles,
  the conversation) once;
- **resolve** makes a follow-up stand on its own and a question in another language English;
- **gather** runs one search and chooses the numbered evidence;
- **classify** decides the form of answer the question wants (``kinds``);
- **read** drafts it from the article's structures, the language model or the best sentence
  (``drafts``);
- **check** drops every point its citations do not support (``support``);
- **decide** grades it by a calibrated confidence at the publisher's risk: an answer, the
  sentence that comes closest, or "the article does not say" (``decide``);
- **translate** gives the answer in the reader's language, quotes kept as said (``translation``);
- **remember** keeps the turn for follow-ups.

The stages are written once, for a batch of requests read side by side; one reader's question
is the batch of one, which also yields the stream's events. The CLI, the HTTP API, streaming,
related questions and the benchmarks all go through :meth:`Answerer.run`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextlib import ExitStack
from typing import Callable, Generator, Iterator

from ..llm.base import LLM
from ..llm.queue import ModelQueue
from ..records import Answer, Scope, Turn
from ..retrieval.search import Retriever
from ..store.base import Store
from . import conversation, language, prompts
from .decide import DEFAULT_CLOSEST_RISK, DEFAULT_RISK, Decider
from .drafts import Draft, article_drafts, read_all
from .events import Event
from .evidence import EvidenceSet, gather
from .kinds import Asked, classify
from .request import Request, open_request
from .support import check
from .translation import translate_answer

# Readers' questions in other languages kept with their English: a popular story is asked the
# same questions again, and translating one costs as much as reading a short answer.
TRANSLATIONS_KEPT = 1024


def result_of(steps: Generator):
    """Run a generator stage to its end; what it returns."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


class Answerer:
    def __init__(self, store: Store, retriever: Retriever, llm: LLM | None = None, *,
                 risk: float = DEFAULT_RISK, closest_risk: float = DEFAULT_CLOSEST_RISK,
                 min_confidence: float | None = None, queue: ModelQueue | None = None):
        """``risk`` is the largest share of wrong answers among those shown that the tune
        questions allowed; ``min_confidence`` overrides the thresholds it sets; ``queue``
        bounds the questions waiting for the model at once (default: no bound)."""
        self.store = store
        self.retriever = retriever
        self.llm = llm
        self.queue = queue or ModelQueue(0)
        self._english: OrderedDict[str, str] = OrderedDict()
        self._english_lock = threading.Lock()
        self.mode = f"llm:{llm.name}" if llm else "extractive"
        self.decider = Decider(llm is not None, risk, closest_risk, min_confidence)

    def answer(self, question: str, scope: Scope, conversation_id: str | None = None,
               remember: bool = True) -> Answer:
        """The checked answer; ``remember=False`` keeps it out of any conversation."""
        return result_of(self.run([self.open(question, scope, conversation_id)], remember))[0]

    def stream(self, question: str, scope: Scope, conversation_id: str | None = None) -> Iterator[Event]:
        """The events of one answer as it is made (see ``events``)."""
        answers = yield from self.run([self.open(question, scope, conversation_id)], remember=True)
        yield {"type": "answer", "answer": answers[0]}

    def answer_many(self, questions: list[str], scope: Scope) -> list[Answer]:
        """Answers to several questions about the same articles, none of them remembered; what
        the model reads for them is read side by side (this is how related questions are checked)."""
        if not questions:
            return []
        first = self.open(questions[0], scope)
        requests = [first] + [open_request(q, scope, None, self.store, loaded=first.articles) for q in questions[1:]]
        return result_of(self.run(requests, remember=False))

    def run(self, requests: list[Request], remember: bool = True) -> Generator[Event, None, list[Answer]]:
        """Every stage after ``open``; yields the events of a single request, returns the answers.

        The model's turn (see ``ModelQueue``) is taken before the first event, so that a
        question the model has no room for is refused before its answer starts, and only by
        questions that need the model: answers read off the article never wait for it."""
        with ExitStack() as turn:
            answers = yield from self._run(requests, remember, lambda: turn.enter_context(self.queue.turn()))
        return answers

    def _run(self, requests: list[Request], remember: bool,
             take_turn: Callable[[], None]) -> Generator[Event, None, list[Answer]]:
        single = len(requests) == 1
        taken = []

        def before_model() -> None:
            if not taken:
                taken.append(take_turn())

        for request in requests:
            self.resolve(request, before_model)
        evidence = [self.gather(request) for request in requests]
        asked = [self.classify(request, found) for request, found in zip(requests, evidence)]
        started = time.perf_counter()
        drafts = article_drafts(requests, asked, evidence, self.retriever.embedder, self.llm is not None)
        if self.llm is not None and (None in drafts or any(r.language != language.ENGLISH for r in requests)):
            before_model()  # to read, or to give the answer in the reader's language
        if single and evidence[0].top is not None:
            requests[0].timings["evidence"] = requests[0].elapsed_ms()
            yield {"type": "evidence", "citations": [evidence[0].top.citation().to_dict()]}
        drafts = read_all(requests, asked, evidence, self.llm, self.retriever.embedder, drafts)
        answers = []
        for request, draft, found in zip(requests, drafts, evidence):
            request.timed("read", started)
            answer = self.decide(request, self.check(draft), found)
            self.translate(request, answer)
            if remember:
                self.remember(request, answer)
            answer.timings_ms = {**request.timings, "total": request.elapsed_ms()}
            answers.append(answer)
        if single and answers[0].answer:
            yield {"type": "delta", "text": answers[0].answer}
        return answers

    # -- the stages

    def open(self, question: str, scope: Scope, conversation_id: str | None = None) -> Request:
        return open_request(question, scope, conversation_id, self.store)

    def resolve(self, request: Request, before_model: Callable[[], None] = lambda: None) -> Request:
        """The question made to stand on its own, in English; ``before_model`` is called before
        the model is first asked to."""
        started = time.perf_counter()
        request.language = language.detect(request.question)
        question = request.question
        if request.language != language.ENGLISH and self.llm is not None:
            question = self._in_english(question, before_model)
        articles = list(request.articles.values())
        resolved = conversation.resolve(question, request.turns, articles)
        if resolved == question and self.llm is not None and conversation.needs_context(question, request.turns):
            before_model()
            history = [(t.resolved or t.question, t.answer or "no answer") for t in request.turns]
            resolved = prompts.rewrite_follow_up(self.llm, history, question)
        request.resolved = resolved
        request.timed("resolve", started)
        return request

    def _in_english(self, question: str, before_model: Callable[[], None]) -> str:
        """The question translated into English once, then kept."""
        with self._english_lock:
            if question in self._english:
                self._english.move_to_end(question)
                return self._english[question]
        before_model()
        english = prompts.translate(self.llm, question, "English")
        with self._english_lock:
            self._english[question] = english
            while len(self._english) > TRANSLATIONS_KEPT:
                self._english.popitem(last=False)
        return english

    def gather(self, request: Request) -> EvidenceSet:
        started = time.perf_counter()
        evidence = gather(request, self.retriever, self.store)
        request.timed("retrieve", started)
        return evidence

    def classify(self, request: Request, evidence: EvidenceSet) -> Asked:
        return classify(request.resolved, list(request.articles.values()))

    def read(self, request: Request, asked: Asked, evidence: EvidenceSet) -> Draft:
        """The draft answer to one request (for callers that look at drafts, such as calibration)."""
        return read_all([request], [asked], [evidence], self.llm, self.retriever.embedder)[0]

    def check(self, draft: Draft) -> Draft:
        return check(draft, self.llm)

    def decide(self, request: Request, draft: Draft, evidence: EvidenceSet) -> Answer:
        answer = self.decider.decide(request, draft, evidence, self.retriever.embedder, self.mode)
        answer.language = request.language
        if request.resolved != request.question:
            answer.resolved_question = request.resolved
        return answer

    def translate(self, request: Request, answer: Answer) -> None:
        """The answer's own words in the reader's language; the article's words stay its own."""
        if request.language == language.ENGLISH or self.llm is None:
            return
        started = time.perf_counter()
        translate_answer(self.llm, answer, language.name(request.language))
        request.timed("translate", started)

    def remember(self, request: Request, answer: Answer) -> None:
        answer.conversation_id = request.conversation_id or conversation.new_id()
        article_ids = sorted({c.article_id for c in answer.citations})
        articles = [a for a in (request.articles.get(i) or self.store.get_article(i) for i in article_ids) if a]
        cited = [c.text for c in answer.citations if answer.answerable]
        people = conversation.people_in([request.resolved, answer.answer or "", *cited], articles)
        conversation.append(self.store, answer.conversation_id,
                            Turn(answer.question, answer.answer, article_ids, people, request.resolved))
