"""One reader's question through ``POST /v1/ask?stream=1``, timed as the widget sees it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import httpx

# A reader refused for a full queue asks again after Retry-After, this many times at most.
RETRIES = 5


@dataclass
class Asked:
    status: int  # the last response's; 200 when the answer came
    first_event_s: float | None = None  # the evidence: the sentence being read, highlighted
    first_text_s: float | None = None  # the first answer text shown (a delta)
    answer_s: float | None = None  # the finished answer
    answer: dict | None = None
    refused: int = 0  # 429s before it was answered
    retry_after: list[int] = field(default_factory=list)
    error: str | None = None


def ask(client: httpx.Client, question: str, article_id: str, retry: bool = False) -> Asked:
    """The question asked, timed from sending it; ``retry`` asks again after each 429."""
    started = time.perf_counter()
    refused, waits = 0, []
    while True:
        asked = _once(client, question, article_id, started)
        if asked.status != 429 or not retry or refused >= RETRIES:
            asked.refused, asked.retry_after = refused + (asked.status == 429), waits
            return asked
        refused += 1
        waits.append(int(asked.error or 1))
        time.sleep(waits[-1])


def _once(client: httpx.Client, question: str, article_id: str, started: float) -> Asked:
    body = {"question": question, "article_id": article_id}
    try:
        with client.stream("POST", "/v1/ask?stream=1", json=body) as response:
            if response.status_code != 200:
                response.read()
                wait = response.headers.get("Retry-After") if response.status_code == 429 else None
                return Asked(response.status_code, error=wait or response.text[:200])
            asked = Asked(200)
            kind = None
            for line in response.iter_lines():
                now = time.perf_counter() - started
                if line.startswith("event:"):
                    kind = line.partition(":")[2].strip()
                elif line.startswith("data:") and kind:
                    _record(asked, kind, json.loads(line.partition(":")[2]), now)
            if asked.answer is None and asked.error is None:
                asked.error = "the stream ended without an answer"
            return asked
    except httpx.HTTPError as error:
        return Asked(0, error=f"{type(error).__name__}: {error}")


def _record(asked: Asked, kind: str, data: dict, now: float) -> None:
    if kind == "evidence" and asked.first_event_s is None:
        asked.first_event_s = now
    elif kind == "delta" and asked.first_text_s is None:
        asked.first_text_s = now
    elif kind == "answer":
        asked.answer_s, asked.answer = now, data
    elif kind == "error":
        asked.error = data.get("error", {}).get("message", "error event")


def same_answer(one: dict, other: dict) -> bool:
    """The same answer shown: its text, grade, kind, verdict and cited sentences."""
    def shown(answer: dict) -> tuple:
        return (answer["answer"], answer["grade"], answer["kind"], answer.get("verdict"), answer.get("note"),
                [(c["article_id"], c["sentence_index"]) for c in answer["citations"]])
    return shown(one) == shown(other)
