"""How many questions may wait for one language model at once.

A local model reads one prompt at a time, so the questions that need it take turns. Past a
bound a question is refused at once, saying when to ask again (the server's 429 with
Retry-After), instead of being left to wait for minutes behind the others: a reader who would
wait that long is better told so. A question whose answer needs no model (one read off the
article's structures) never takes a turn, so it is never refused or kept waiting here.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import Busy

# How much each finished turn moves the mean time a question holds its place: enough to
# follow a change of load within a few dozen questions, not one slow answer.
SMOOTHING = 0.2


class ModelQueue:
    def __init__(self, capacity: int):
        """``capacity`` questions may hold a turn (waiting or being read) at once; 0: any number."""
        self.capacity = capacity
        self._holding = 0
        self._mean_seconds = 1.0
        self._lock = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """A place among the questions that use the model, or :class:`Busy` when all are taken."""
        with self._lock:
            if self.capacity and self._holding >= self.capacity:
                raise Busy(f"{self._holding} questions are waiting for the language model; ask again "
                           f"in {self.retry_after()} s", self.retry_after())
            self._holding += 1
        started = time.monotonic()
        try:
            yield
        finally:
            held = time.monotonic() - started
            with self._lock:
                self._holding -= 1
                self._mean_seconds += SMOOTHING * (held - self._mean_seconds)

    @property
    def holding(self) -> int:
        return self._holding

    def retry_after(self) -> int:
        """Whole seconds until a place is likely to free: each question holds one for the mean
        time, and ``capacity`` of them finish in that time."""
        return max(1, math.ceil(self._mean_seconds / max(self.capacity, 1)))
