"""Request body size limit and per-client rate limiting, as plain ASGI middleware.

Both answer before the app sees the request, so an oversized body is never parsed and a
client over its budget costs no model time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..ingest.options import human_size
from .errors import error_response

BODYLESS_METHODS = {"GET", "HEAD", "OPTIONS", "DELETE"}


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, declared.isdigit())
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send, True)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, too_large: bool) -> None:
        if too_large:
            response = error_response(413, "body_too_large",
                                      f"the request body is larger than {human_size(self.max_bytes)}")
        else:
            response = error_response(400, "bad_request", "the Content-Length header is not a number")
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body once, then listens for the client leaving."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """A token bucket per client IP for paths under ``prefix``; 429 with Retry-After when empty.

    Buckets live in the worker process: with N workers a client may get up to N times the
    rate, which is still a bound. ``rate`` 0 turns the limit off.
    """

    MAX_CLIENTS = 10_000  # forget full buckets beyond this many clients

    def __init__(self, app: ASGIApp, rate: float, burst: int, prefix: str = "/v1/"):
        self.app = app
        self.rate = rate
        self.burst = max(burst, 1)
        self.prefix = prefix
        self._buckets: dict[str, _Bucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or not self.rate or scope["method"] == "OPTIONS"
                or not scope["path"].startswith(self.prefix)):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.take(client[0] if client else "unknown")
        if wait:
            response = error_response(429, "rate_limited", f"too many requests; try again in {wait} s",
                                      headers={"Retry-After": str(wait)})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def take(self, client: str, now: float | None = None) -> int:
        """Spend one token for ``client``: 0 when allowed, else whole seconds to wait."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(client)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[client] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) < self.MAX_CLIENTS:
            return
        refill = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < refill}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1").strip()
    return None
