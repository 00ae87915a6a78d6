"""Drafts copied from the prompt (prompt-lookup decoding).

nutgraf's replies copy their prompt: the words of an answer are words of the article it was
given. Where the last few tokens of a reply also stand in the prompt, the tokens that follow
them there are a good guess at what comes next, at no cost. The model reads such a draft in
the same decode as the token before it and keeps the drafted tokens up to the first it would
not have chosen itself (see ``LlamaCppModel``), so a reply is the one it writes without drafts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The longest ending of the reply looked up. A match of three tokens is nearly always the
# passage being copied; longer ones are found less often and are no surer.
LONGEST_MATCH = 3


class PromptLookup:
    """Drafts for one reply to one prompt."""

    def __init__(self, prompt: Sequence[int]):
        self._prompt = np.asarray(prompt, dtype=np.int32)

    def draft(self, reply: Sequence[int], count: int) -> list[int]:
        """Up to ``count`` tokens that followed the longest ending of ``reply`` (at most
        ``LONGEST_MATCH`` tokens) where it last stood before, in the prompt or the reply."""
        if count <= 0 or not reply:
            return []
        text = np.concatenate([self._prompt, np.asarray(reply, dtype=np.int32)])
        for length in range(min(LONGEST_MATCH, len(reply)), 0, -1):
            start = _last_match(text, length)
            if start is not None:
                return text[start + length:start + length + count].tolist()
        return []


def _last_match(text: np.ndarray, length: int) -> int | None:
    """Where the last ``length`` tokens of ``text`` stood last before, followed by a token."""
    ending = text[-length:]
    candidates = len(text) - length  # starts that leave at least one token after the match
    found = np.ones(candidates, dtype=bool)
    for offset in range(length):
        found &= text[offset:offset + candidates] == ending[offset]
    hits = np.flatnonzero(found)
    return int(hits[-1]) if hits.size else None
