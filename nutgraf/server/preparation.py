"""Articles prepared for their readers in the background of each server process.

Each server process runs one worker on the shared preparation queue (see ``nutgraf.jobs``),
so articles ingested over HTTP, or by a command-line `nutgraf ingest --no-prepare`, have
their explore panel made within seconds to minutes, and several servers share the work. A
reader who opens an article before that gets "pending" at once and the article moves up.
"""

from __future__ import annotations

import threading
import time

from ..api import Nutgraf
from ..jobs import PREPARE, Worker

POLL = 0.25  # seconds between looks at a panel being made, while a request waits for it


class Preparation:
    def __init__(self, nutgraf: Nutgraf, run_worker: bool = True):
        self.nutgraf = nutgraf
        self.run_worker = run_worker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.run_worker and self._thread is None:
            worker = Worker(self.nutgraf.store, self.nutgraf.prepare)
            self._thread = threading.Thread(target=worker.run, args=(self._stop,), name="nutgraf-prepare",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop taking jobs; a job being done is finished first (or, if the process goes
        sooner, taken up again by another worker once its heartbeat stops)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def working(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ready(self, article_id: str, wait: float) -> bool:
        """Whether the article's panel can be served now, after waiting up to ``wait``
        seconds; when it cannot, it is queued (if it was not) and made in the background."""
        store = self.nutgraf.store
        if store.content_hash(article_id) is None:
            return True  # nothing to make: the request reports the unknown article
        service = self.nutgraf.related_service
        if service.is_ready(article_id):
            return True
        if store.job_state(PREPARE, article_id) not in ("queued", "running"):
            self.nutgraf.queue_preparation([article_id])
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(POLL)
            if service.is_ready(article_id):
                return True
        return False
