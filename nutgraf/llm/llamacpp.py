"""A local GGUF model run in-process by llama.cpp.

Reading the prompt is nearly all of the latency on a CPU (an 800-token article costs
seconds, a short answer a fraction of that), so the evaluated prompt is reused: llama.cpp
keeps the tokens it evaluated last, and :class:`PrefixStates` keeps the evaluated state
of earlier prompts in RAM, so that questions alternating between a few articles still
skip re-reading each article.

Generation is a plain greedy loop over the raw logits. That keeps the per-token
log-probabilities exact and cheap (no full logits matrix is kept for the prompt), and a
grammar, when given, only filters which token may be chosen.
"""

from __future__ import annotations

import codecs
import ctypes
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import llama_cpp
import numpy as np
from llama_cpp import llama_chat_format

from ..errors import InputError, ModelError
from ..settings import current
from .base import Completion, FinishReason, Message, TokenChoice

SEQUENCE = 0  # nutgraf evaluates one sequence at a time
GRAMMAR_CACHE_SIZE = 32
# A saved state is worth its memory only when it spares re-reading a real prompt.
MIN_SAVED_TOKENS = 64


class LlamaCppModel:
    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        prefix_cache_mb: int = 512,
    ) -> None:
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"no model file at {path}")
        self.path = path
        self.name = name or path.stem
        self.context_length = n_ctx
        threads = n_threads or default_threads()
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"cannot load model {path}: {error}") from None
        self._vocab = llama_cpp.llama_model_get_vocab(self._llama.model)
        self._n_vocab = self._llama.n_vocab()
        self._format = _chat_formatter(self._llama)
        self._states = PrefixStates(prefix_cache_mb << 20)
        self._grammars: OrderedDict[str, llama_cpp.llama_sampler_p] = OrderedDict()
        self._pieces: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 64,
        stop: list[str] | None = None,
        grammar: str | None = None,
        top_logprobs: int = 0,
    ) -> Completion:
        pieces = self.stream(
            messages, max_tokens=max_tokens, stop=stop, grammar=grammar, top_logprobs=top_logprobs
        )
        while True:
            try:
                next(pieces)
            except StopIteration as finished:
                return finished.value

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 64,
        stop: list[str] | None = None,
        grammar: str | None = None,
        top_logprobs: int = 0,
    ) -> Generator[str, None, Completion]:
        """Text pieces as they are generated; the finished Completion is the return value."""
        # The model is held until the stream is exhausted or closed.
        with self._lock:
            started = time.perf_counter()
            run = _Run()
            text = []
            for piece in self._generate(messages, run, max_tokens, stop, grammar, top_logprobs):
                text.append(piece)
                yield piece
            return Completion(
                text="".join(text),
                tokens=run.tokens,
                prompt_tokens=run.prompt_tokens,
                completion_tokens=len(run.tokens),
                cached_prompt_tokens=run.cached_prompt_tokens,
                seconds=time.perf_counter() - started,
                prompt_seconds=run.prompt_seconds,
                finish_reason=run.finish_reason,
            )

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def close(self) -> None:
        with self._lock:
            for sampler in self._grammars.values():
                llama_cpp.llama_sampler_free(sampler)
            self._grammars.clear()
            self._states.clear()
            self._llama.close()

    def _generate(
        self,
        messages: list[Message],
        run: _Run,
        max_tokens: int,
        stop: list[str] | None,
        grammar: str | None,
        top_logprobs: int,
    ) -> Iterator[str]:
        """The reply's text, piece by piece, as soon as it cannot be part of a stop string."""
        prompt = self._prompt_tokens(messages)
        run.prompt_tokens = len(prompt)
        if len(prompt) >= self.context_length:
            raise InputError(
                f"the prompt has {len(prompt)} tokens; "
                f"{self.name} reads at most {self.context_length}"
            )
        budget = min(max_tokens, self.context_length - len(prompt))
        sampler = self._grammar_sampler(grammar) if grammar else None
        started = time.perf_counter()
        run.cached_prompt_tokens = self._evaluate_prompt(prompt)
        run.prompt_seconds = time.perf_counter() - started
        text = _StopFilter(stop or [])
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        token = -1
        for step in range(budget):
            if step:
                self._llama.eval([token])
            logits = np.ctypeslib.as_array(
                llama_cpp.llama_get_logits_ith(self._llama.ctx, -1), shape=(self._n_vocab,)
            )
            if sampler is None:
                token = int(np.argmax(logits))
            else:
                token = llama_cpp.llama_sampler_sample(sampler, self._llama.ctx, -1)
            if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                run.finish_reason = "stop"
                break
            piece = self._piece(token)
            run.tokens.append(_token_choice(logits, token, piece, top_logprobs, self._piece))
            if visible := text.add(decoder.decode(piece)):
                yield visible
            if text.stopped:
                run.finish_reason = "stop"
                break
        if rest := text.finish(decoder.decode(b"", final=True)):
            yield rest

    def _prompt_tokens(self, messages: list[Message]) -> list[int]:
        try:
            formatted = self._format(messages=messages)
        except ValueError as error:  # the chat template refused the messages
            raise InputError(f"{self.name} cannot take these messages: {error}") from None
        return self._llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )

    def _evaluate_prompt(self, prompt: list[int]) -> int:
        """Make the model's state hold ``prompt``; returns how many tokens were reused."""
        tokens = np.asarray(prompt, dtype=np.intc)
        live = self._llama.input_ids[: self._llama.n_tokens]
        reused = common_prefix(live, tokens)
        saved, saved_reuse = self._states.best(tokens)
        lost = len(live) - reused
        if lost * 2 > len(live) and lost >= MIN_SAVED_TOKENS:
            self._states.put(self._save_state(live))
        if saved is not None and saved_reuse > reused:
            self._states.discard(saved)  # it becomes the live state
            reused = saved_reuse if self._restore_state(saved) else 0
        # At least one token is evaluated so that the logits belong to this prompt.
        reused = min(reused, len(prompt) - 1)
        self._llama.n_tokens = reused
        self._llama.eval(prompt[reused:])
        return reused

    def _save_state(self, tokens: np.ndarray) -> SavedState:
        ctx = self._llama.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE)
        data = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, data, size, SEQUENCE)
        return SavedState(tokens=tokens.copy(), data=data, size=written)

    def _restore_state(self, saved: SavedState) -> bool:
        if not llama_cpp.llama_state_seq_set_data(
            self._llama.ctx, saved.data, saved.size, SEQUENCE
        ):
            self._llama.n_tokens = 0  # the sequence may be half-written: read the prompt afresh
            return False
        self._llama.input_ids[: len(saved.tokens)] = saved.tokens
        self._llama.n_tokens = len(saved.tokens)
        return True

    def _grammar_sampler(self, grammar: str) -> llama_cpp.llama_sampler_p:
        """A greedy sampler restricted by ``grammar``, compiled once and reset for each use."""
        sampler = self._grammars.pop(grammar, None)
        if sampler is None:
            constraint = llama_cpp.llama_sampler_init_grammar(
                self._vocab, grammar.encode("utf-8"), b"root"
            )
            if not constraint:
                raise InputError("the grammar does not parse as llama.cpp GBNF with a 'root' rule")
            sampler = llama_cpp.llama_sampler_chain_init(
                llama_cpp.llama_sampler_chain_default_params()
            )
            llama_cpp.llama_sampler_chain_add(sampler, constraint)
            llama_cpp.llama_sampler_chain_add(sampler, llama_cpp.llama_sampler_init_greedy())
            if len(self._grammars) >= GRAMMAR_CACHE_SIZE:
                llama_cpp.llama_sampler_free(self._grammars.popitem(last=False)[1])
        self._grammars[grammar] = sampler
        llama_cpp.llama_sampler_reset(sampler)
        return sampler

    def _piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = self._llama.detokenize([token])
        return piece


@dataclass
class _Run:
    """What one generation reports besides its text."""

    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    prompt_seconds: float = 0.0
    finish_reason: FinishReason = "length"
    tokens: list[TokenChoice] = field(default_factory=list)


@dataclass
class SavedState:
    tokens: np.ndarray
    data: ctypes.Array
    size: int


class PrefixStates:
    """Evaluated model states of earlier prompts, most recently used last, within a byte budget.

    States that share at least half of their tokens with a newer one are taken to be the
    same article and dropped: keeping one state per article is enough to skip re-reading it.
    """

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self._states: list[SavedState] = []

    @property
    def size(self) -> int:
        return sum(state.size for state in self._states)

    def __len__(self) -> int:
        return len(self._states)

    def best(self, tokens: np.ndarray) -> tuple[SavedState | None, int]:
        """The saved state sharing the longest prefix with ``tokens``, and that length."""
        best: SavedState | None = None
        longest = 0
        for state in self._states:
            shared = common_prefix(state.tokens, tokens)
            if shared > longest:
                best, longest = state, shared
        return best, longest

    def put(self, state: SavedState) -> None:
        if state.size > self.capacity_bytes:
            return
        self._states = [
            kept
            for kept in self._states
            if common_prefix(kept.tokens, state.tokens) * 2 < len(kept.tokens)
        ]
        self._states.append(state)
        while self.size > self.capacity_bytes:
            self._states.pop(0)

    def discard(self, state: SavedState) -> None:
        self._states = [kept for kept in self._states if kept is not state]

    def clear(self) -> None:
        self._states.clear()


def default_threads() -> int:
    """The ``llm_threads`` setting (``NUTGRAF_LLM_THREADS``), else half the cores (at least one).

    llama.cpp's threads spin while they wait for one another, so a thread per core
    collapses (ten times slower and worse) as soon as anything else wants a core: the
    embedder, another request, another process. On a machine that runs nothing else,
    set ``NUTGRAF_LLM_THREADS`` to the number of cores.
    """
    return current().llm_threads or max(1, len(os.sched_getaffinity(0)) // 2)


def common_prefix(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> int:
    n = min(len(a), len(b))
    differs = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
    return int(differs[0]) if differs.size else n


class _StopFilter:
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


def _token_choice(
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


def _chat_formatter(llama: llama_cpp.Llama) -> llama_chat_format.Jinja2ChatFormatter:
    """The chat template the GGUF file carries (ChatML when it carries none)."""
    template = (
        llama.metadata.get("tokenizer.chat_template") or llama_chat_format.CHATML_CHAT_TEMPLATE
    )
    return llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=_special_text(llama, llama.token_eos()),
        bos_token=_special_text(llama, llama.token_bos()),
    )


def _special_text(llama: llama_cpp.Llama, token: int) -> str:
    return (
        llama.detokenize([token], special=True).decode("utf-8", errors="replace")
        if token >= 0
        else ""
    )
