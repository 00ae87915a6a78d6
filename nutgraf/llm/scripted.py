"""A language model that replies from a script: the fast, deterministic backend for tests.

It is a real implementation of the :class:`~nutgraf.llm.base.LLM` protocol, so every stage
that talks to a model can be exercised without loading one:

    model = ScriptedModel({"How long": "8: more than two and a half hours",
                           "Is the summit": Scripted("7: no", confidence=0.8)})

A script maps a piece of text to the reply for prompts whose last paragraph contains it
(nutgraf ends every prompt with the task and the question), or is a function from the
messages to the reply. Replies come back token by token, with log-probabilities: each
written token gets ``confidence``, and the first step also offers NONE (the abstaining
reply) with the rest, as a real model's alternatives would.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass

from .base import Completion, Message, Stream, TokenChoice

TOKEN = re.compile(r"\s*[^\s:]+|:")  # words with their leading space, and colons on their own
OPPOSITES = {"yes": "no", "no": "yes"}


@dataclass(frozen=True)
class Scripted:
    text: str
    confidence: float = 0.9  # probability of each token written


Script = Mapping[str, "str | Scripted"] | Callable[[list[Message]], "str | Scripted"]


class ScriptedModel:
    def __init__(self, script: Script, *, default: str | Scripted = "NONE", name: str = "scripted"):
        self.script = script
        self.default = default
        self.name = name
        self.calls: list[list[Message]] = []  # every prompt received, for assertions

    def complete(self, messages: list[Message], *, max_tokens: int = 64, stop: list[str] | None = None,
                 grammar: str | None = None, top_logprobs: int = 0, prefix: str | None = None) -> Completion:
        return self.stream(messages, max_tokens=max_tokens, stop=stop, grammar=grammar,
                           top_logprobs=top_logprobs).drain()

    def stream(self, messages: list[Message], *, max_tokens: int = 64, stop: list[str] | None = None,
               grammar: str | None = None, top_logprobs: int = 0, prefix: str | None = None) -> Stream:
        self.calls.append(messages)
        reply = self._reply(messages)
        if isinstance(reply, str):
            reply = Scripted(reply)
        return Stream(self._pieces(reply, max_tokens, stop or []))

    def _reply(self, messages: list[Message]) -> str | Scripted:
        if callable(self.script):
            return self.script(messages)
        last_paragraph = messages[-1]["content"].rsplit("\n\n", 1)[-1]
        return next((reply for key, reply in self.script.items() if key in last_paragraph), self.default)

    def _pieces(self, reply: Scripted, max_tokens: int, stop: list[str]) -> Generator[str, None, Completion]:
        started = time.perf_counter()
        text = reply.text
        for string in stop:
            if string and string in text:
                text = text[: text.index(string)]
        tokens = [_choice(piece, reply.confidence, first=(n == 0))
                  for n, piece in enumerate(TOKEN.findall(text)[:max_tokens])]
        written = ""
        for token in tokens:
            written += token.token
            yield token.token
        return Completion(text=written, tokens=tokens, prompt_tokens=0, completion_tokens=len(tokens),
                          cached_prompt_tokens=0, seconds=time.perf_counter() - started,
                          finish_reason="length" if len(tokens) == max_tokens else "stop")


def _choice(piece: str, confidence: float, first: bool) -> TokenChoice:
    sure, rest = math.log(confidence), math.log(max(1e-6, 1.0 - confidence))
    top = {piece: sure}
    word = piece.strip().lower()
    if first:
        top.setdefault("NONE" if word != "none" else "1", rest)
    elif word in OPPOSITES:
        top[piece.replace(piece.strip(), OPPOSITES[word])] = rest
    return TokenChoice(token=piece, logprob=sure, top=top)
