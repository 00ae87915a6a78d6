"""The one small contract every language model backend satisfies.

Decoding is always greedy (temperature 0), so the same messages give the same reply.
A backend needs only :meth:`LLM.complete` and :meth:`LLM.stream`; everything else in
nutgraf (option probabilities, abstention scores) is built on those two.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}

FinishReason = Literal["stop", "length"]

# OpenAI-compatible servers accept at most 20 alternatives per step.
MAX_TOP_LOGPROBS = 20


@dataclass
class TokenChoice:
    """One generated token, its log-probability and the most likely alternatives at that step.

    Log-probabilities come from the model's own distribution, before any grammar
    constrained the choice: they say what the model wanted to write.
    """

    token: str
    logprob: float
    top: dict[str, float] = field(default_factory=dict)


@dataclass
class Completion:
    text: str
    tokens: list[TokenChoice]  # every generated token, including any that formed a stop string
    prompt_tokens: int
    completion_tokens: int
    cached_prompt_tokens: int  # prompt tokens whose evaluation was reused, not redone
    seconds: float
    prompt_seconds: float = 0.0  # part of ``seconds`` spent reading the prompt, when known
    finish_reason: FinishReason = "stop"


class Stream(Iterator[str]):
    """The text pieces of one reply, as they are generated.

    Once the pieces are exhausted, ``completion`` holds the finished :class:`Completion` when
    the backend can give one (with log-probabilities), else None. Backends wrap a generator
    that returns its Completion; callers only iterate and then read ``completion``.
    """

    def __init__(self, pieces: Generator[str, None, Completion | None]) -> None:
        self._pieces = pieces
        self.completion: Completion | None = None
        self.finished = False

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> str:
        try:
            return next(self._pieces)
        except StopIteration as done:
            self.completion = done.value
            self.finished = True
            raise

    def drain(self) -> Completion | None:
        """Read the rest of the reply; its Completion."""
        for _ in self:
            pass
        return self.completion

    def close(self) -> None:
        self._pieces.close()


class LLM(Protocol):
    name: str

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 64,
        stop: list[str] | None = None,
        grammar: str | None = None,
        top_logprobs: int = 0,
        prefix: str | None = None,
    ) -> Completion:
        """The greedy reply to ``messages``.

        ``grammar`` is a llama.cpp GBNF grammar the reply must match (backends that cannot
        enforce one ignore it, so callers still parse the reply defensively).
        ``top_logprobs`` > 0 fills each ``TokenChoice.top`` with that many alternatives.
        ``prefix`` is the start of the last message that other prompts share (the article,
        ahead of the task): a backend that can keeps what it read of it for them.
        """

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 64,
        stop: list[str] | None = None,
        grammar: str | None = None,
        top_logprobs: int = 0,
        prefix: str | None = None,
    ) -> Stream:
        """The same reply as :meth:`complete`, as text pieces while they are generated.

        A backend that can fills the stream's ``completion`` (with ``top_logprobs``
        alternatives) once it is exhausted, sparing the caller a second generation.
        """


def complete_all(llm: LLM, prompts: list[list[Message]], *, prefix: str, grammar: str | list | None = None,
                 **options) -> list[Completion]:
    """Replies to several prompts that start with the same ``prefix`` (``grammar`` may be one
    per prompt): decoded side by side by a backend that can (``complete_many``), one after
    another by any other."""
    many = getattr(llm, "complete_many", None)
    if many is not None:
        return many(prompts, prefix=prefix, grammar=grammar, **options)
    grammars = grammar if isinstance(grammar, list) else [grammar] * len(prompts)
    return [llm.complete(messages, prefix=prefix, grammar=g, **options) for messages, g in zip(prompts, grammars)]


def option_logprobs(llm: LLM, messages: list[Message], options: list[str],
                    prefix: str | None = None) -> dict[str, float]:
    """The log-probability that the reply to ``messages`` starts with each of ``options``.

    Read from the first generated step's alternatives, so options must differ in their
    first token ("yes"/"no", "1".."9"). Case and surrounding spaces are ignored, and the
    variants of one option ("Yes", " yes") add up. An option the model ranks below all
    listed alternatives gets the lowest listed log-probability, an upper bound on its own.
    The values are not renormalised: their sum says how much the model wanted any option.
    """
    completion = llm.complete(messages, max_tokens=1, top_logprobs=MAX_TOP_LOGPROBS, prefix=prefix)
    return options_in(completion, options)


def options_in(completion: Completion, options: list[str]) -> dict[str, float]:
    """:func:`option_logprobs` read off a one-token completion made with ``MAX_TOP_LOGPROBS``."""
    if not completion.tokens:
        return {option: -math.inf for option in options}
    first = completion.tokens[0]
    alternatives = dict(first.top) or {first.token: first.logprob}
    keys = {option: option.strip().lower() for option in options}
    mass: dict[str, list[float]] = {option: [] for option in options}
    for token, logprob in alternatives.items():
        option = _matching_option(token.strip().lower(), keys)
        if option is not None:
            mass[option].append(logprob)
    floor = min(alternatives.values())
    return {option: _logsumexp(values) if values else floor for option, values in mass.items()}


def _matching_option(token: str, keys: dict[str, str]) -> str | None:
    """The option this first token starts, when it starts exactly one (or equals one)."""
    if not token:
        return None
    for option, key in keys.items():
        if key == token:
            return option
    starting = [option for option, key in keys.items() if key.startswith(token)]
    return starting[0] if len(starting) == 1 else None


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(value - top) for value in values))
