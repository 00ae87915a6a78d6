"""Work queued per article, done by whichever process gets to it first.

Preparing an article for its readers (reading it once with the language model and keeping
what was read, then making its explore panel) takes tens of seconds on a CPU, so it is
done ahead of them: ``nutgraf ingest`` and the server queue it, and workers in the command
line and in every server process take it from the queue. The jobs are rows in the store,
so processes and machines on one database share them: a job is claimed atomically and
never worked on twice at once, and the job of a worker that died (it stopped sending
heartbeats) is taken up again. Readers never wait for the queue: a question about an
article not prepared yet is read on the spot.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from .errors import NutgrafError
from .store.base import JobQueue

log = logging.getLogger(__name__)
PREPARE = "prepare"
# A worker beats every HEARTBEAT seconds; one silent for STALE_AFTER seconds has died (or
# hung), and its job goes to the next worker. Preparing an article is steps of seconds each.
HEARTBEAT = 10.0
STALE_AFTER = 60.0
MAX_ATTEMPTS = 3  # a job that kills its worker this often is marked failed, not retried forever
IDLE_WAIT = 2.0  # seconds a server's worker sleeps when the queue is empty


class Worker:
    def __init__(self, queue: JobQueue, work: Callable[[str], object], kind: str = PREPARE,
                 name: str | None = None, stale_after: float = STALE_AFTER, heartbeat: float = HEARTBEAT):
        """Takes jobs of ``kind`` from ``queue`` and calls ``work`` with each one's article id
        (:meth:`nutgraf.Nutgraf.prepare` for preparation jobs)."""
        self.queue = queue
        self.work = work
        self.kind = kind
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stale_after = stale_after
        self.heartbeat = heartbeat

    def run_once(self) -> str | None:
        """Take one job and do it; its article id, or None when the queue is empty."""
        article_id = self.queue.claim(self.kind, self.name, self.stale_after, MAX_ATTEMPTS)
        if article_id is None:
            return None
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(article_id, done), daemon=True,
                                name=f"nutgraf-heartbeat-{article_id}")
        beat.start()
        error = None
        try:
            self.work(article_id)
        except NutgrafError as problem:
            error = str(problem)
        except Exception as problem:  # a job must never take its worker down with it
            log.exception("preparing %s failed", article_id)
            error = f"{type(problem).__name__}: {problem}"
        finally:
            done.set()
            beat.join()
            self.queue.finish(self.kind, article_id, self.name, error)
        if error:
            log.warning("preparing %s failed: %s", article_id, error)
        return article_id

    def drain(self, done: Callable[[str], None] | None = None) -> int:
        """Do jobs until none is left; how many were done."""
        count = 0
        while (article_id := self.run_once()) is not None:
            count += 1
            if done is not None:
                done(article_id)
        return count

    def run(self, stop: threading.Event) -> None:
        """Do jobs as they come until ``stop`` is set (a server's background worker)."""
        while not stop.is_set():
            try:
                if self.run_once() is None:
                    stop.wait(IDLE_WAIT)
            except NutgrafError as problem:  # the store is away: try again later
                log.warning("job worker: %s", problem)
                stop.wait(IDLE_WAIT * 5)

    def _beat(self, article_id: str, done: threading.Event) -> None:
        while not done.wait(self.heartbeat):
            if not self.queue.heartbeat(self.kind, article_id, self.name):
                log.warning("job for %s was taken over by another worker", article_id)
                return
