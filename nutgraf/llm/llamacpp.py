"""A local GGUF model run in-process by llama.cpp.

Reading the prompt is nearly all of the latency on a CPU (an 800-token article costs
seconds, a short answer a fraction of that), so what was read is kept: the live sequence
keeps the tokens it evaluated last, and a prompt that names its shared prefix (the article,
ahead of the task and question) has that prefix's evaluated state saved in a
:class:`~nutgraf.llm.prefix_cache.PrefixCache`, which later prompts, processes and servers
restore instead of reading the article again.

Generation is a plain greedy loop over the raw logits. That keeps the per-token
log-probabilities exact and cheap (no full logits matrix is kept for the prompt), and a
grammar, when given, only filters which token may be chosen: the most likely token is
checked against it first, and the whole vocabulary only when the grammar refuses that one.
Several prompts that share a prefix are decoded side by side in one batch
(:meth:`LlamaCppModel.complete_many`): the prefix is read once and its cells are shared by
every sequence (``sequences.py``), and each reply is built token by token as ``replies.py``
describes. A reply decoded alone is drafted ahead from its prompt (``prompt_lookup.py``): the
drafted tokens are read in the decode of the token before them and kept as far as the model
would have written them, so the reply is the same, sooner.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

import llama_cpp
import numpy as np
from llama_cpp import llama_chat_format

from ..errors import InputError, ModelError
from .base import Completion, Message, Stream
from .packaged import known_sha256
from .prefix_cache import PrefixCache
from .prompt_lookup import PromptLookup
from .replies import Reply, Run
from .sequences import KV_TYPES, Sequences

LIVE = 0  # the sequence readers' questions run on; batched prompts use the ones after it
GRAMMAR_CACHE_SIZE = 32
# A saved state is worth its memory only when it spares re-reading a real prompt.
MIN_SAVED_TOKENS = 64
# Drafted tokens read with each token of a reply decoded alone. Two is the most that changes
# nothing: llama.cpp's CPU kernels compute each row of a decode of up to three rows as they
# compute a single token, but from four rows on, weights repacked for the CPU (Q4_K, Q4_0)
# go through a tiled product that rounds differently, so longer drafts move log-probabilities
# (BENCHMARKS.md, "Drafting from the article").
DRAFT_TOKENS = 2


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
        prefix_cache: PrefixCache | None = None,
        kv_type: str = "f16",
        sha256: str | None = None,
        draft_tokens: int = DRAFT_TOKENS,
    ) -> None:
        """``parallel`` sequences can be decoded side by side (see :meth:`complete_many`);
        ``prefix_cache`` keeps evaluated prefixes (default: in memory only); ``kv_type`` "q8_0"
        halves the memory of the kept states; ``sha256`` identifies the file's content
        (computed when not given) so saved states are never restored into another model;
        ``draft_tokens`` are drafted from the prompt ahead of each token of a reply (0: none;
        more than ``DRAFT_TOKENS`` may change log-probabilities in their last digits)."""
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"no model file at {path}")
        if kv_type not in KV_TYPES:
            raise InputError(f"unknown KV cache type {kv_type!r}: choose {', '.join(KV_TYPES)}")
        self.path = path
        self.name = name or path.stem
        self.context_length = n_ctx
        self.parallel = max(1, parallel)
        self.draft_tokens = max(0, draft_tokens)
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
        # The live sequence, one per prompt read side by side, and one for prompts read aside.
        self._seqs = Sequences(self._llama.model, n_ctx, n_batch, self.threads, self.parallel + 2, kv_type)
        self._aside = self.parallel + 1
        self.prefix_cache = prefix_cache if prefix_cache is not None else PrefixCache(None)
        digest = sha256 or known_sha256(path)  # remembered beside the file, hashed once
        self.identity = f"{digest}:{kv_type}:llama-cpp-python-{llama_cpp.__version__}"
        self._grammars: OrderedDict[str, llama_cpp.llama_sampler_p] = OrderedDict()
        self._pieces: dict[int, bytes] = {}
        self._candidate = (llama_cpp.llama_token_data * 1)()  # one token, shown to a grammar
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
            self._seqs.keep(self._aside, 0)

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
        run = Run(prompt_tokens=len(tokens))
        seq = self._home(tokens, shared)
        run.cached_prompt_tokens = self._read(seq, tokens, shared)
        run.prompt_seconds = time.perf_counter() - started
        sampler = self._grammar_sampler(grammar) if grammar else None
        reply = Reply(stop, top_logprobs)
        for _, visible in self._write([seq], [reply], [sampler], [PromptLookup(tokens)], budget, {seq: 0}):
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

    def _home(self, tokens: list[int], shared: int) -> int:
        """The sequence a prompt is read on: the live one, unless the live one holds a long
        prefix (an article) that this prompt does not share and this prompt has none of its
        own to keep (a sentence read on its own between two questions about the article):
        that prompt is read aside, so the article stays read for the next question."""
        held = self._seqs.tokens[LIVE]
        unshared = shared < MIN_SAVED_TOKENS and common_prefix(held, tokens) < MIN_SAVED_TOKENS
        return self._aside if unshared and len(held) >= MIN_SAVED_TOKENS else LIVE

    def _read(self, seq: int, tokens: list[int], shared: int) -> int:
        """Make ``seq`` hold ``tokens`` with logits for the last; how many were not read again
        (reused from what it held or from a saved state)."""
        held, spared = self._restore_prefix(seq, tokens, shared)
        held = min(held, len(tokens) - 1)  # the last token is read, so its logits are this prompt's
        self._seqs.keep(seq, held)
        self._seqs.feed(seq, tokens[held:])
        return min(spared, held)

    def _restore_prefix(self, seq: int, tokens: list[int], shared: int) -> tuple[int, int]:
        """Bring the first ``shared`` tokens into ``seq`` as cheaply as possible: kept, restored
        from a saved state, or read now and saved for next time. Returns how many tokens
        ``seq`` now holds of the prompt, and how many of those were not read now."""
        reused = common_prefix(self._seqs.tokens[seq], tokens)
        if shared < MIN_SAVED_TOKENS or reused >= shared:
            return reused, reused
        prefix = np.asarray(tokens[:shared], dtype=np.int32)
        key = PrefixCache.key(self.identity, prefix)
        state = self.prefix_cache.load(key, prefix)
        if state is not None and self._seqs.restore(seq, state, tokens[:shared]):
            return shared, shared
        self._seqs.keep(seq, reused)
        self._seqs.feed(seq, tokens[reused:shared], logits=False)
        self.prefix_cache.save(key, prefix, self._seqs.save(seq))
        return shared, reused

    def _next(self, index: int, sampler) -> tuple[int, np.ndarray]:
        """The token chosen at batch position ``index`` of the last decode, and the logits."""
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self._seqs.ctx, index), shape=(self._n_vocab,))
        best = int(np.argmax(logits))
        if sampler is None:
            return best, logits
        if self._grammar_allows(sampler, best, logits[best]):
            # The greedy choice among the tokens the grammar allows, found without showing
            # it the whole vocabulary (which costs more than a decode of a small model).
            llama_cpp.llama_sampler_accept(sampler, best)
            return best, logits
        return llama_cpp.llama_sampler_sample(sampler, self._seqs.ctx, index), logits

    def _grammar_allows(self, sampler, token: int, logit: float) -> bool:
        candidate = self._candidate[0]
        candidate.id, candidate.logit, candidate.p = token, logit, 0.0
        shown = llama_cpp.llama_token_data_array(data=self._candidate, size=1, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(llama_cpp.llama_sampler_chain_get(sampler, 0), ctypes.byref(shown))
        return self._candidate[0].logit != -math.inf

    def _write(self, seqs: list[int], replies: list[Reply], samplers: list, lookups: list[PromptLookup],
               budget: int, positions: dict[int, int]) -> Iterator[tuple[int, str]]:
        """Generate the replies on ``seqs``, whose next logits stand at ``positions`` of the
        last decode, up to ``budget`` tokens each; yields (reply number, text released).

        Each sequence holds its prompt and every token of its reply but the last, which the
        next decode reads; a reply decoded alone also reads there the draft that follows it,
        and each drafted token the model would have chosen is a step gained. Cells of drafted
        tokens it would not have chosen are dropped, so the cells are laid out as without drafts.
        """
        steps = [0] * len(seqs)
        drafts: dict[int, list[int]] = {seq: [] for seq in seqs}
        rows = {seq: [positions[seq]] for seq in seqs}
        active = list(range(len(seqs))) if budget > 0 else []
        while active:
            going = []
            for number in active:
                seq, reply, drafted = seqs[number], replies[number], drafts[seqs[number]]
                for row, position in enumerate(rows[seq]):
                    token, logits = self._next(position, samplers[number])
                    steps[number] += 1
                    writing = reply.add(token, logits, self)
                    if not writing:
                        break
                    if visible := reply.visible():
                        yield number, visible
                    writing = steps[number] < budget
                    if not writing or row == len(drafted) or token != drafted[row]:
                        break
                self._seqs.keep(seq, len(self._seqs.tokens[seq]) - (len(drafted) - row))
                if writing:
                    going.append(number)
            active = going
            if not active:
                return
            alone = len(active) == 1  # drafts in a batch of several would change its rows
            drafts = {seqs[n]: self._draft(lookups[n], replies[n], budget - steps[n]) if alone else []
                      for n in active}
            rows = self._seqs.decode_rows({seqs[n]: [replies[n].last] + drafts[seqs[n]] for n in active})

    def _draft(self, lookup: PromptLookup, reply: Reply, steps_left: int) -> list[int]:
        """Tokens drafted after the reply's last, no more than its budget leaves room for."""
        return lookup.draft(reply.ids, min(self.draft_tokens, steps_left - 1))

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
        runs = [Run(prompt_tokens=len(tokens), cached_prompt_tokens=spared if number == 0 else common)
                for number, (tokens, _) in enumerate(encoded)]
        replies = [Reply(stop, top_logprobs) for _ in encoded]
        try:
            for number in range(1, len(encoded) + 1):
                self._seqs.fork(LIVE, number, common)
            positions = self._seqs.feed_many({n: t[common:] for n, (t, _) in enumerate(encoded, start=1)})
            prompt_seconds = time.perf_counter() - started
            budget = min(self._budget(len(t), max_tokens) for t, _ in encoded)
            lookups = [PromptLookup(tokens) for tokens, _ in encoded]
            for _ in self._write(list(range(1, len(encoded) + 1)), replies, samplers, lookups, budget, positions):
                pass
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
