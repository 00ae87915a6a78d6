"""A local GGUF model run in-process by llama.cpp.

Reading the prompt is nearly all of the latency on a CPU (an 800-token article costs
seconds, a short answer a fraction of that), so what was read is kept: the live sequence
keeps the tokens it evaluated last, and a prompt that names its shared prefix (the article,
ahead of the task and question) has that prefix's evaluated state saved in a
:class:`~nutgraf.llm.states.StateStore`, which later prompts, processes and servers restore
instead of reading the article again.

Generation is a plain greedy loop over the raw logits. That keeps the per-token
log-probabilities exact and cheap (no full logits matrix is kept for the prompt), and a
grammar, when given, only filters which token may be chosen. Several prompts that share a
prefix are decoded side by side in one batch (:meth:`LlamaCppModel.complete_many`): the
prefix is read once and its cells are shared by every sequence.
"""

from __future__ import annotations

import codecs
import ctypes
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import llama_cpp
import numpy as np
from llama_cpp import llama_chat_format

from ..errors import InputError, ModelError
from .base import Completion, FinishReason, Message, Stream, TokenChoice
from .states import StateStore

LIVE = 0  # the sequence readers' questions run on; batched prompts use the ones after it
GRAMMAR_CACHE_SIZE = 32
# A saved state is worth its memory only when it spares re-reading a real prompt.
MIN_SAVED_TOKENS = 64
KV_TYPES = {"f16": 1, "q8_0": llama_cpp.GGML_TYPE_Q8_0}


class LlamaCppModel:
    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        parallel: int = 8,
        states: StateStore | None = None,
        kv_type: str = "f16",
        sha256: str | None = None,
    ) -> None:
        """``parallel`` sequences can be decoded side by side (see :meth:`complete_many`);
        ``states`` keeps evaluated prefixes (default: in memory only); ``kv_type`` "q8_0"
        halves the memory of the kept states; ``sha256`` identifies the file's content
        (computed when not given) so saved states are never restored into another model."""
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"no model file at {path}")
        if kv_type not in KV_TYPES:
            raise InputError(f"unknown KV cache type {kv_type!r}: choose {', '.join(KV_TYPES)}")
        self.path = path
        self.name = name or path.stem
        self.context_length = n_ctx
        self.parallel = max(1, parallel)
        self.threads = default_threads(n_threads)
        try:
            # Weights, vocabulary and chat template; the context that reads is our own.
            self._llama = llama_cpp.Llama(model_path=str(path), n_ctx=64, n_batch=64,
                                          n_threads=self.threads, verbose=False)
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"cannot load model {path}: {error}") from None
        self._vocab = llama_cpp.llama_model_get_vocab(self._llama.model)
        self._n_vocab = self._llama.n_vocab()
        self._format = _chat_formatter(self._llama)
        self._seqs = _Sequences(self._llama.model, n_ctx, n_batch, self.threads, self.parallel + 1, kv_type)
        self.states = states if states is not None else StateStore(None)
        digest = sha256 or file_sha256(path)
        self.identity = f"{digest}:{kv_type}:llama-cpp-python-{llama_cpp.__version__}"
        self._grammars: OrderedDict[str, llama_cpp.llama_sampler_p] = OrderedDict()
        self._pieces: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def complete(self, messages: list[Message], *, max_tokens: int = 64, stop: list[str] | None = None,
                 grammar: str | None = None, top_logprobs: int = 0, prefix: str | None = None) -> Completion:
        return self.stream(messages, max_tokens=max_tokens, stop=stop, grammar=grammar,
                           top_logprobs=top_logprobs, prefix=prefix).drain()

    def stream(self, messages: list[Message], *, max_tokens: int = 64, stop: list[str] | None = None,
               grammar: str | None = None, top_logprobs: int = 0, prefix: str | None = None) -> Stream:
        """Text pieces as they are generated; the stream's ``completion`` once exhausted."""
        return Stream(self._stream(messages, max_tokens, stop, grammar, top_logprobs, prefix))

    def complete_many(self, prompts: list[list[Message]], *, prefix: str, max_tokens: int = 64,
                      stop: list[str] | None = None, grammar: str | list[str | None] | None = None,
                      top_logprobs: int = 0) -> list[Completion]:
        """Replies to prompts that all start with ``prefix``, decoded side by side: the
        prefix is read (or restored) once, each prompt's own tokens and every step of the
        replies go through llama.cpp together. ``grammar`` may be one per prompt."""
        grammars = grammar if isinstance(grammar, list) else [grammar] * len(prompts)
        results: list[Completion] = []
        with self._lock:
            for start in range(0, len(prompts), self.parallel):
                end = start + self.parallel
                results += self._batched(prompts[start:end], prefix, max_tokens, stop, grammars[start:end],
                                         top_logprobs)
        return results

    def forget(self) -> None:
        """Drop what the model holds read, so the next prompt starts from a kept state or from
        nothing (benchmarks compare the two)."""
        with self._lock:
            self._seqs.keep(LIVE, 0)

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def close(self) -> None:
        with self._lock:
            for sampler in self._grammars.values():
                llama_cpp.llama_sampler_free(sampler)
            self._grammars.clear()
            self._seqs.close()
            self._llama.close()

    # -- one prompt

    def _stream(self, *request) -> Generator[str, None, Completion]:
        # The model is held until the stream is exhausted or closed.
        with self._lock:
            return (yield from self._generate(*request))

    def _generate(self, messages, max_tokens, stop, grammar, top_logprobs, prefix) -> Generator[str, None, Completion]:
        started = time.perf_counter()
        tokens, shared = self._prompt(messages, prefix)
        budget = self._budget(len(tokens), max_tokens)
        run = _Run(prompt_tokens=len(tokens))
        run.cached_prompt_tokens = self._read(tokens, shared)
        run.prompt_seconds = time.perf_counter() - started
        sampler = self._grammar_sampler(grammar) if grammar else None
        reply = _Reply(stop, top_logprobs)
        for step in range(budget):
            if step:
                self._seqs.decode({LIVE: [reply.last]})
            if not reply.add(*self._next(0, sampler), self):
                break
            if visible := reply.visible():
                yield visible
        if rest := reply.finish():
            yield rest
        return reply.completion(run, time.perf_counter() - started)

    def _prompt(self, messages: list[Message], prefix: str | None) -> tuple[list[int], int]:
        """The prompt's tokens, and how many of them are the shared prefix."""
        try:
            formatted = self._format(messages=messages)
        except ValueError as error:  # the chat template refused the messages
            raise InputError(f"{self.name} cannot take these messages: {error}") from None
        add_bos = not formatted.added_special
        tokens = self._llama.tokenize(formatted.prompt.encode("utf-8"), add_bos=add_bos, special=True)
        if len(tokens) >= self.context_length:
            raise InputError(f"the prompt has {len(tokens)} tokens; {self.name} reads at most {self.context_length}")
        content = messages[-1]["content"] if messages else ""
        at = formatted.prompt.rfind(content) if prefix and content.startswith(prefix) else -1
        if at < 0:
            return tokens, 0
        head = self._llama.tokenize(formatted.prompt[: at + len(prefix)].encode("utf-8"), add_bos=add_bos, special=True)
        return tokens, common_prefix(head, tokens)

    def _budget(self, prompt_length: int, max_tokens: int) -> int:
        return min(max_tokens, self.context_length - prompt_length)

    def _read(self, tokens: list[int], shared: int) -> int:
        """Make the live sequence hold ``tokens`` with logits for the last; how many were
        not read again (reused from the live sequence or a saved state)."""
        held, spared = self._restore_prefix(LIVE, tokens, shared)
        held = min(held, len(tokens) - 1)  # the last token is read, so its logits are this prompt's
        self._seqs.keep(LIVE, held)
        self._seqs.feed(LIVE, tokens[held:])
        return min(spared, held)

    def _restore_prefix(self, seq: int, tokens: list[int], shared: int) -> tuple[int, int]:
        """Bring the first ``shared`` tokens into ``seq`` as cheaply as possible: kept, restored
        from a saved state, or read now and saved for next time. Returns how many tokens
        ``seq`` now holds of the prompt, and how many of those were not read now."""
        reused = common_prefix(self._seqs.tokens[seq], tokens)
        if shared < MIN_SAVED_TOKENS or reused >= shared:
            return reused, reused
        prefix = np.asarray(tokens[:shared], dtype=np.int32)
        key = StateStore.key(self.identity, prefix)
        state = self.states.load(key, prefix)
        if state is not None and self._seqs.restore(seq, state, tokens[:shared]):
            return shared, shared
        self._seqs.keep(seq, reused)
        self._seqs.feed(seq, tokens[reused:shared], logits=False)
        self.states.save(key, prefix, self._seqs.save(seq))
        return shared, reused

    def _next(self, index: int, sampler) -> tuple[int, np.ndarray]:
        """The token chosen at batch position ``index`` of the last decode, and the logits."""
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self._seqs.ctx, index), shape=(self._n_vocab,))
        if sampler is None:
            return int(np.argmax(logits)), logits
        return llama_cpp.llama_sampler_sample(sampler, self._seqs.ctx, index), logits

    # -- several prompts side by side

    def _batched(self, prompts, prefix, max_tokens, stop, grammars, top_logprobs) -> list[Completion]:
        started = time.perf_counter()
        encoded = [self._prompt(messages, prefix) for messages in prompts]
        shared = min(length for _, length in encoded)
        first = encoded[0][0]
        # The prompts share the prefix, and usually the task after it: all of that is read once.
        common = min(min(common_prefix(first, tokens) for tokens, _ in encoded), min(len(t) for t, _ in encoded) - 1)
        needed = common + sum(len(t) - common + max_tokens for t, _ in encoded)
        if shared < MIN_SAVED_TOKENS or needed > self.context_length:
            return [self._single(messages, max_tokens, stop, grammar, top_logprobs, prefix)
                    for messages, grammar in zip(prompts, grammars)]
        samplers = [_fresh_sampler(self._vocab, grammar) if grammar else None for grammar in grammars]
        held, spared = self._restore_prefix(LIVE, first, shared)
        self._seqs.keep(LIVE, min(held, common))
        self._seqs.feed(LIVE, first[len(self._seqs.tokens[LIVE]):common], logits=False)
        # The first prompt pays for reading what they share; the others reuse it.
        runs = [_Run(prompt_tokens=len(tokens), cached_prompt_tokens=spared if number == 0 else common)
                for number, (tokens, _) in enumerate(encoded)]
        replies = [_Reply(stop, top_logprobs) for _ in encoded]
        try:
            for number in range(1, len(encoded) + 1):
                self._seqs.fork(LIVE, number, common)
            positions = self._seqs.feed_many({n: t[common:] for n, (t, _) in enumerate(encoded, start=1)})
            prompt_seconds = time.perf_counter() - started
            active = list(range(len(encoded)))
            for step in range(min(self._budget(len(t), max_tokens) for t, _ in encoded)):
                if step:
                    positions = self._seqs.decode({i + 1: [replies[i].last] for i in active})
                active = [i for i in active if replies[i].add(*self._next(positions[i + 1], samplers[i]), self)]
                if not active:
                    break
        finally:
            for number in range(1, len(encoded) + 1):
                self._seqs.keep(number, 0)
            for sampler in samplers:
                if sampler is not None:
                    llama_cpp.llama_sampler_free(sampler)
        seconds = time.perf_counter() - started
        for run in runs:
            run.prompt_seconds = prompt_seconds
        for reply in replies:
            reply.finish()
        return [reply.completion(run, seconds) for reply, run in zip(replies, runs)]

    def _single(self, messages, max_tokens, stop, grammar, top_logprobs, prefix) -> Completion:
        return Stream(self._generate(messages, max_tokens, stop, grammar, top_logprobs, prefix)).drain()

    def _grammar_sampler(self, grammar: str) -> llama_cpp.llama_sampler_p:
        """A greedy sampler restricted by ``grammar``, compiled once and reset for each use."""
        sampler = self._grammars.pop(grammar, None)
        if sampler is None:
            sampler = _fresh_sampler(self._vocab, grammar)
            if len(self._grammars) >= GRAMMAR_CACHE_SIZE:
                llama_cpp.llama_sampler_free(self._grammars.popitem(last=False)[1])
        self._grammars[grammar] = sampler
        llama_cpp.llama_sampler_reset(sampler)
        return sampler

    def piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = self._llama.detokenize([token])
        return piece

    def is_end(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))


def _fresh_sampler(vocab, grammar: str) -> llama_cpp.llama_sampler_p:
    constraint = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
    if not constraint:
        raise InputError("the grammar does not parse as llama.cpp GBNF with a 'root' rule")
    sampler = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    llama_cpp.llama_sampler_chain_add(sampler, constraint)
    llama_cpp.llama_sampler_chain_add(sampler, llama_cpp.llama_sampler_init_greedy())
    return sampler


class _Sequences:
    """A llama.cpp context whose sequences share one pool of cells, and what each holds.

    ``tokens[seq]`` mirrors the cells of sequence ``seq``: what it has read, in order.
    """

    def __init__(self, model, n_ctx: int, n_batch: int, threads: int, sequences: int, kv_type: str):
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = n_batch
        params.n_seq_max = sequences
        params.kv_unified = True  # sequences forked from one prefix share its cells
        params.n_threads = params.n_threads_batch = threads
        params.type_k = params.type_v = KV_TYPES[kv_type]
        if kv_type != "f16":  # llama.cpp quantises the value cache only with flash attention
            params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
        self.ctx = llama_cpp.llama_init_from_model(model, params)
        if not self.ctx:
            raise ModelError("llama.cpp could not create a context (out of memory?)")
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_batch = n_batch
        self.batch = llama_cpp.llama_batch_init(n_batch, 0, sequences)
        self.tokens: list[list[int]] = [[] for _ in range(sequences)]

    def keep(self, seq: int, count: int) -> None:
        """Drop what ``seq`` read after its first ``count`` tokens."""
        if count < len(self.tokens[seq]):
            llama_cpp.llama_memory_seq_rm(self.memory, seq, count, -1)
            del self.tokens[seq][count:]

    def fork(self, source: int, target: int, count: int) -> None:
        """``target`` starts as the first ``count`` tokens of ``source``, sharing their cells."""
        self.keep(target, 0)
        llama_cpp.llama_memory_seq_cp(self.memory, source, target, 0, count)
        self.tokens[target] = self.tokens[source][:count]

    def feed(self, seq: int, tokens: list[int], logits: bool = True) -> None:
        """Read ``tokens`` after what ``seq`` holds; the logits of the last are at position 0
        of the last decode when ``logits``."""
        if not tokens:
            return
        body, last = (tokens[:-1], tokens[-1:]) if logits else (tokens, [])
        for start in range(0, len(body), self.n_batch):
            self.decode({seq: body[start:start + self.n_batch]}, logits=False)
        if last:
            self.decode({seq: last})

    def feed_many(self, work: dict[int, list[int]]) -> dict[int, int]:
        """Read each sequence's tokens; the last token of each is decoded in one final batch,
        so that all their logits stand together: returns each sequence's position in it."""
        body = [(seq, token) for seq, tokens in work.items() for token in tokens[:-1]]
        for start in range(0, len(body), self.n_batch):
            chunk: dict[int, list[int]] = {}
            for seq, token in body[start:start + self.n_batch]:
                chunk.setdefault(seq, []).append(token)
            self.decode(chunk, logits=False)
        return self.decode({seq: tokens[-1:] for seq, tokens in work.items() if tokens})

    def decode(self, work: dict[int, list[int]], logits: bool = True) -> dict[int, int]:
        """One llama_decode of each sequence's tokens; where each sequence's last logits are."""
        batch = self.batch
        position = 0
        last: dict[int, int] = {}
        for seq, tokens in work.items():
            start = len(self.tokens[seq])
            for offset, token in enumerate(tokens):
                batch.token[position] = token
                batch.pos[position] = start + offset
                batch.n_seq_id[position] = 1
                batch.seq_id[position][0] = seq
                batch.logits[position] = 0
                position += 1
            if logits and tokens:
                batch.logits[position - 1] = 1
                last[seq] = position - 1
        batch.n_tokens = position
        status = llama_cpp.llama_decode(self.ctx, batch)
        if status != 0:
            for seq in work:  # what this decode may have half-written is dropped
                llama_cpp.llama_memory_seq_rm(self.memory, seq, len(self.tokens[seq]), -1)
            raise ModelError(f"llama.cpp could not read the prompt (llama_decode returned {status})")
        for seq, tokens in work.items():
            self.tokens[seq] += tokens
        return last

    def save(self, seq: int) -> bytes:
        size = llama_cpp.llama_state_seq_get_size(self.ctx, seq)
        data = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(self.ctx, data, size, seq)
        return bytes(data[:written])

    def restore(self, seq: int, state: bytes, tokens: list[int]) -> bool:
        self.keep(seq, 0)
        buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if not llama_cpp.llama_state_seq_set_data(self.ctx, buffer, len(state), seq):
            llama_cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)  # maybe half-written
            return False
        self.tokens[seq] = list(tokens)
        return True

    def close(self) -> None:
        llama_cpp.llama_batch_free(self.batch)
        llama_cpp.llama_free(self.ctx)


@dataclass
class _Run:
    """What one generation reports besides its text."""

    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    prompt_seconds: float = 0.0


class _Reply:
    """One reply being generated: its tokens, its text and when it stops."""

    def __init__(self, stop: list[str] | None, top_logprobs: int):
        self.text = _StopFilter(stop or [])
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.top_logprobs = top_logprobs
        self.tokens: list[TokenChoice] = []
        self.pieces: list[str] = []
        self.last = -1
        self.finish_reason: FinishReason = "length"
        self._released = ""

    def add(self, token: int, logits: np.ndarray, model: LlamaCppModel) -> bool:
        """Take the next token; False when the reply is over."""
        if model.is_end(token):
            self.finish_reason = "stop"
            return False
        piece = model.piece(token)
        self.last = token
        self.tokens.append(_token_choice(logits, token, piece, self.top_logprobs, model.piece))
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

    def completion(self, run: _Run, seconds: float) -> Completion:
        return Completion(text="".join(self.pieces), tokens=self.tokens, prompt_tokens=run.prompt_tokens,
                          completion_tokens=len(self.tokens), cached_prompt_tokens=run.cached_prompt_tokens,
                          seconds=seconds, prompt_seconds=run.prompt_seconds, finish_reason=self.finish_reason)


def file_sha256(path: Path) -> str:
    """The sha256 of a model file, remembered beside it by size and time of change."""
    from .packaged import known_sha256

    return known_sha256(path)


def default_threads(configured: int | None = None) -> int:
    """``configured`` (the ``llm_threads`` setting), else every core.

    A process answering one reader at a time (the command line, the Python API, an
    evaluation) is fastest on every core: a warm answer took 0.83 s on two threads against
    1.33 s on one. A server, which shares the cores with other readers' requests, takes half
    of them by default instead (``nutgraf.server.app``): llama.cpp's threads spin while they
    wait for one another, and beside a second client the same answer took 1.68 s on two
    threads and 1.39 s on one (BENCHMARKS.md, "llama.cpp threads").
    """
    return configured or len(os.sched_getaffinity(0))


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
