"""The one options object for ingestion, shared by the CLI, the HTTP API and the library."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version


def _default_user_agent() -> str:
    try:
        return f"nutgraf/{version('nutgraf')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "nutgraf"


@dataclass
class IngestOptions:
    max_bytes: int = 5_000_000  # per file, per fetched body, after decompression
    timeout: float = 15.0  # seconds, per URL: connecting, each read and the whole download
    max_redirects: int = 5
    # Refuse private, loopback, link-local and reserved addresses, checked on the address
    # actually connected to at every hop, so a public name cannot redirect or resolve inward.
    allow_private: bool = False
    # Fetch the page behind a feed entry that carries only a summary.
    fetch_feed_links: bool = True
    user_agent: str = field(default_factory=_default_user_agent)


def human_size(n: int) -> str:
    """``5 MB`` for 5_000_000: the size limit as a user would write it."""
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
