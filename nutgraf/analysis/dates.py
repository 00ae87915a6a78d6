"""Resolve the dates an article mentions ("yesterday", "on Friday", "Oct. 16") to calendar days.

Relative expressions are read against the published date, the way a reader of that day's
paper reads them; a weekday on its own means the latest such day up to publication, the
common convention of news copy. Without a published date only absolute dates resolve.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dateutil import parser as date_parser

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_OFFSETS = {"today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0,
               "this evening": 0, "yesterday": -1, "tomorrow": 1}
WEEKDAY_PHRASE = re.compile(r"^(?:on\s+)?(last|next|this)?\s*(" + "|".join(WEEKDAYS) + r")$")
PERIOD_PHRASE = re.compile(r"^(last|next|this)\s+(week|month|year)$")
HAS_DAY_OR_YEAR = re.compile(r"\d")


def parse_published(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date_parser.isoparse(value).date()
    except ValueError:
        try:
            return date_parser.parse(value).date()
        except (ValueError, OverflowError):
            return None


def _weekday(base: date, qualifier: str | None, weekday: str) -> date:
    target = WEEKDAYS.index(weekday)
    if qualifier == "next":
        return base + timedelta(days=(target - base.weekday()) % 7 or 7)
    back = (base.weekday() - target) % 7
    if qualifier == "last" and back == 0:
        back = 7
    return base - timedelta(days=back)


def _period(base: date, qualifier: str, unit: str) -> date:
    step = {"last": -1, "this": 0, "next": 1}[qualifier]
    if unit == "week":
        monday = base - timedelta(days=base.weekday())
        return monday + timedelta(weeks=step)
    if unit == "month":
        month_index = base.year * 12 + base.month - 1 + step
        return date(month_index // 12, month_index % 12 + 1, 1)
    return date(base.year + step, 1, 1)


def _absolute(phrase: str, base: date | None) -> date | None:
    if not HAS_DAY_OR_YEAR.search(phrase) or re.fullmatch(r"\d{4}s?|the \d{4}s", phrase):
        return None  # a bare year or decade is not a day
    default = datetime(base.year if base else 1900, 1, 1)
    try:
        parsed = date_parser.parse(phrase, default=default, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if base is None and parsed.year == 1900:
        return None
    return parsed.date()


def resolve(phrase: str, published: date | None) -> str | None:
    """The ISO day ``phrase`` refers to, or None when it cannot be pinned to one."""
    key = " ".join(phrase.lower().replace(",", " ").split())
    if published is not None:
        if key in DAY_OFFSETS:
            return (published + timedelta(days=DAY_OFFSETS[key])).isoformat()
        if match := WEEKDAY_PHRASE.match(key):
            return _weekday(published, match.group(1), match.group(2)).isoformat()
        if match := PERIOD_PHRASE.match(key):
            return _period(published, match.group(1), match.group(2)).isoformat()
    resolved = _absolute(key, published)
    return resolved.isoformat() if resolved else None
