"""A reply as a local model generates it: its tokens and their log-probabilities, its text
cut at the first stop string, and what it reports when it is done."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .base import Completion, FinishReason, TokenChoice


class Vocabulary(Protocol):
    """What a reply needs of its model's vocabulary."""

    def piece(self, token: int) -> bytes: ...

    def is_end(self, token: int) -> bool: ...


@dataclass
class Run:
    """What one generation reports besides its text."""

    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    prompt_seconds: float = 0.0


class Reply:
    """One reply being generated: its tokens, its text and when it stops."""

    def __init__(self, stop: list[str] | None, top_logprobs: int):
        self.text = StopFilter(stop or [])
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.top_logprobs = top_logprobs
        self.tokens: list[TokenChoice] = []
        self.ids: list[int] = []  # the tokens written, as the model numbers them
        self.pieces: list[str] = []
        self.last = -1
        self.finish_reason: FinishReason = "length"
        self._released = ""

    def add(self, token: int, logits: np.ndarray, model: Vocabulary) -> bool:
        """Take the next token; False when the reply is over."""
        if model.is_end(token):
            self.finish_reason = "stop"
            return False
        piece = model.piece(token)
        self.last = token
        self.ids.append(token)
        self.tokens.append(token_choice(logits, token, piece, self.top_logprobs, model.piece))
        self._released = self.text.add(self.decoder.decode(piece))
        if self._released:
            self.pieces.append(self._released)
        if self.text.stopped:
            self.finish_reason = "stop"
            return False
        return True

    def visible(self) -> str:
        """Text released by the last token (held back while it may start a stop string)."""
        released, self._released = self._released, ""
        return released

    def finish(self) -> str:
        rest = self.text.finish(self.decoder.decode(b"", final=True))
        if rest:
            self.pieces.append(rest)
        return rest

    def completion(self, run: Run, seconds: float) -> Completion:
        return Completion(text="".join(self.pieces), tokens=self.tokens, prompt_tokens=run.prompt_tokens,
                          completion_tokens=len(self.tokens), cached_prompt_tokens=run.cached_prompt_tokens,
                          seconds=seconds, prompt_seconds=run.prompt_seconds, finish_reason=self.finish_reason)


class StopFilter:
    """Accumulates generated text, cuts it at the first stop string, and releases only
    text that cannot turn out to be the start of one."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = [stop for stop in stops if stop]
        self.text = ""
        self.released = 0
        self.stopped = False

    def add(self, piece: str) -> str:
        self.text += piece
        cuts = [i for stop in self.stops if (i := self.text.find(stop, self.released)) >= 0]
        if cuts:
            self.text = self.text[: min(cuts)]
            self.stopped = True
            return self._release(len(self.text))
        return self._release(len(self.text) - self._held_back())

    def finish(self, piece: str) -> str:
        if self.stopped:
            return ""
        return self.add(piece) + self._release(len(self.text))

    def _held_back(self) -> int:
        """Length of the longest ending of the text that begins some stop string."""
        longest = 0
        for stop in self.stops:
            for length in range(min(len(stop) - 1, len(self.text)), longest, -1):
                if self.text.endswith(stop[:length]):
                    longest = length
                    break
        return longest

    def _release(self, upto: int) -> str:
        released = self.text[self.released : upto]
        self.released = max(self.released, upto)
        return released


def token_choice(
    logits: np.ndarray,
    token: int,
    piece: bytes,
    top_logprobs: int,
    piece_of: Callable[[int], bytes],
) -> TokenChoice:
    shifted = logits - logits.max()
    logprobs = shifted - np.log(np.exp(shifted).sum())
    top: dict[str, float] = {}
    if top_logprobs > 0:
        count = min(top_logprobs, len(logprobs) - 1)
        candidates = np.argpartition(-logprobs, count)[:count]
        for candidate in candidates[np.argsort(-logprobs[candidates])]:
            top.setdefault(_text(piece_of(int(candidate))), float(logprobs[candidate]))
    return TokenChoice(token=_text(piece), logprob=float(logprobs[token]), top=top)


def _text(piece: bytes) -> str:
    return piece.decode("utf-8", errors="replace")
