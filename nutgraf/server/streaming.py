"""Blocking event generators (a model producing an answer) consumed from the event loop.

The generator runs start to finish on one thread of its own: a llama.cpp stream holds the
model's lock between pieces and SQLite connections are per thread, so it must neither hop
threads nor be left suspended. When the client goes away the thread is told to stop and
closes the generator itself, which releases the model for the next request.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

_END = object()


async def iterate_in_thread(produce: Callable[[], Iterator[Any]]) -> AsyncIterator[Any]:
    """Items of ``produce()``, computed on a worker thread; its exceptions re-raised here."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def hand_over(item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop has closed: nobody is listening any more
            stop.set()

    def run() -> None:
        try:
            items = produce()
            try:
                for item in items:
                    hand_over((None, item))
                    if stop.is_set():
                        break
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
        except Exception as error:  # handed to the request, which turns it into a response
            hand_over((error, None))
        finally:
            hand_over(_END)

    threading.Thread(target=run, name="nutgraf-stream", daemon=True).start()
    try:
        while (entry := await queue.get()) is not _END:
            error, item = entry
            if error is not None:
                raise error
            yield item
    finally:
        stop.set()
