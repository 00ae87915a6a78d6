"""What ingestion yields per item: a document, or one line saying why there is none."""

from __future__ import annotations

from dataclasses import dataclass

from ..records import Document


@dataclass
class Loaded:
    origin: str  # the path or URL; file:line for JSONL, the entry link or feed#N for feeds
    document: Document


@dataclass
class Failed:
    origin: str
    reason: str  # one line that names the origin and says what is wrong

    @classmethod
    def of(cls, origin: str, error: Exception | str) -> Failed:
        return cls(origin, f"{origin}: {error}")
