"""llama.cpp sequences over one pool of cells: what several prompts read side by side.

A prompt's prefix read once is shared by every sequence forked from it (the cells are
shared, not copied), and one ``llama_decode`` reads the next tokens of many sequences.
"""

from __future__ import annotations

import ctypes

import llama_cpp

from ..errors import ModelError

KV_TYPES = {"f16": 1, "q8_0": llama_cpp.GGML_TYPE_Q8_0}


class Sequences:
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
        rows = self._decode(work, "last" if logits else "none")
        return {seq: positions[-1] for seq, positions in rows.items() if positions}

    def decode_rows(self, work: dict[int, list[int]]) -> dict[int, list[int]]:
        """One llama_decode of each sequence's tokens with the logits of every one (a token
        and the draft after it): where each sequence's logits are, in order."""
        return self._decode(work, "all")

    def _decode(self, work: dict[int, list[int]], logits: str) -> dict[int, list[int]]:
        batch = self.batch
        position = 0
        rows: dict[int, list[int]] = {}
        for seq, tokens in work.items():
            start = len(self.tokens[seq])
            for offset, token in enumerate(tokens):
                wanted = logits == "all" or (logits == "last" and offset == len(tokens) - 1)
                batch.token[position] = token
                batch.pos[position] = start + offset
                batch.n_seq_id[position] = 1
                batch.seq_id[position][0] = seq
                batch.logits[position] = int(wanted)
                if wanted:
                    rows.setdefault(seq, []).append(position)
                position += 1
        batch.n_tokens = position
        status = llama_cpp.llama_decode(self.ctx, batch)
        if status != 0:
            for seq in work:  # what this decode may have half-written is dropped
                llama_cpp.llama_memory_seq_rm(self.memory, seq, len(self.tokens[seq]), -1)
            raise ModelError(f"llama.cpp could not read the prompt (llama_decode returned {status})")
        for seq, tokens in work.items():
            self.tokens[seq] += tokens
        return rows

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
