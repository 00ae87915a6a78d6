"""Related questions are worked out once per article, which takes minutes with a language
model on a CPU. The server does that on one background thread, so the first reader of an
article gets an answer at once ("pending") instead of a request that hangs, and readers'
questions keep getting the model in between.
"""

from __future__ import annotations

import logging
import queue
import threading

from ..api import Nutgraf
from ..errors import NutgrafError

log = logging.getLogger(__name__)


class RelatedPools:
    def __init__(self, nutgraf: Nutgraf):
        self.nutgraf = nutgraf
        self._building: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[str] = queue.Queue()
        self._worker: threading.Thread | None = None

    def ready(self, article_id: str, wait: float) -> bool:
        """Whether the article's related questions can be served now, after waiting up to
        ``wait`` seconds for them; when they cannot, they are being worked out."""
        if self.nutgraf.store.content_hash(article_id) is None:
            return True  # nothing to work out: the request reports the unknown article
        if self.nutgraf.related_service.is_ready(article_id):
            return True
        return self.schedule(article_id).wait(wait)

    def schedule(self, article_id: str) -> threading.Event:
        """Have the article's related questions worked out (once); the event is set when done."""
        with self._lock:
            done = self._building.get(article_id)
            if done is None:
                done = self._building[article_id] = threading.Event()
                self._queue.put(article_id)
                self._start()
        return done

    def _start(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="nutgraf-related", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            article_id = self._queue.get()
            try:
                self.nutgraf.related_service.prepare(article_id)
            except NutgrafError as error:  # the request that asks next reports it
                log.warning("related questions for %s: %s", article_id, error)
            except Exception:
                log.exception("related questions for %s failed", article_id)
            finally:
                with self._lock:
                    self._building.pop(article_id).set()
