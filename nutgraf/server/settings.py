"""The server's settings: one object, filled from ``nutgraf serve`` options or the environment.

Every uvicorn worker builds its app from the environment (see :func:`app_from_env`), so
``nutgraf serve`` writes its options there before starting the workers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..api import DEFAULT_MODEL_SPEC, MODEL_ENV
from ..errors import InputError
from ..store import DB_ENV

ADMIN_KEYS_ENV = "NUTGRAF_ADMIN_KEYS"
CORS_ORIGINS_ENV = "NUTGRAF_CORS_ORIGINS"
MAX_BODY_ENV = "NUTGRAF_MAX_BODY_BYTES"
RATE_ENV = "NUTGRAF_RATE_LIMIT"
BURST_ENV = "NUTGRAF_RATE_BURST"
RELATED_WAIT_ENV = "NUTGRAF_RELATED_WAIT"
RELATED_ON_INGEST_ENV = "NUTGRAF_RELATED_ON_INGEST"
MIN_CONFIDENCE_ENV = "NUTGRAF_MIN_CONFIDENCE"


@dataclass(frozen=True)
class ServerSettings:
    db: str | None = None  # None: NUTGRAF_DB or the user data dir, as everywhere else
    model: str | None = DEFAULT_MODEL_SPEC  # "none" answers extractively
    min_confidence: float | None = None  # None: the calibrated threshold for abstaining
    admin_keys: tuple[str, ...] = ()  # none: ingest and feedback listing are disabled over HTTP
    cors_origins: tuple[str, ...] = ()  # publisher origins allowed to call the API from a browser
    max_body_bytes: int = 1_000_000
    rate_limit: float = 2.0  # sustained requests per second per client IP on /v1; 0 turns it off
    rate_burst: int = 30  # requests a client may make at once before the sustained rate applies
    # Seconds a request waits for an article's related questions to be worked out before it
    # answers "pending" (the work goes on in the background).
    related_wait: float = 3.0
    # Work out an article's related questions as soon as it is ingested over HTTP, rather
    # than when its first reader asks for them.
    related_on_ingest: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ServerSettings:
        return cls(
            db=environ.get(DB_ENV) or None,
            model=environ.get(MODEL_ENV) or DEFAULT_MODEL_SPEC,
            min_confidence=_number(environ, MIN_CONFIDENCE_ENV, float, None),
            admin_keys=_split(environ.get(ADMIN_KEYS_ENV, "")),
            cors_origins=_split(environ.get(CORS_ORIGINS_ENV, "")),
            max_body_bytes=_number(environ, MAX_BODY_ENV, int, cls.max_body_bytes),
            rate_limit=_number(environ, RATE_ENV, float, cls.rate_limit),
            rate_burst=_number(environ, BURST_ENV, int, cls.rate_burst),
            related_wait=_number(environ, RELATED_WAIT_ENV, float, cls.related_wait),
            related_on_ingest=environ.get(RELATED_ON_INGEST_ENV, "1").strip().lower() not in ("0", "false", "no"),
        )

    def to_env(self) -> dict[str, str]:
        """The environment that makes :meth:`from_env` return these settings."""
        env = {
            MODEL_ENV: self.model or "none",
            MIN_CONFIDENCE_ENV: "" if self.min_confidence is None else str(self.min_confidence),
            ADMIN_KEYS_ENV: ",".join(self.admin_keys),
            CORS_ORIGINS_ENV: ",".join(self.cors_origins),
            MAX_BODY_ENV: str(self.max_body_bytes),
            RATE_ENV: str(self.rate_limit),
            BURST_ENV: str(self.rate_burst),
            RELATED_WAIT_ENV: str(self.related_wait),
            RELATED_ON_INGEST_ENV: "1" if self.related_on_ingest else "0",
        }
        if self.db:
            env[DB_ENV] = self.db
        return env


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _number(environ: Mapping[str, str], name: str, kind: type, default):
    value = environ.get(name)
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise InputError(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise InputError(f"{name} must not be negative")
    return number
