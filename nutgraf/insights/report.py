"""The insights of ``nutgraf insights``, ``GET /v1/insights`` and the insights page: one
article's, or the whole archive's, over the question log or the days since a date."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, time, timezone
from typing import Any

from ..records import AskCounts, Feedback, PanelPull, QuestionGroup, Scope
from ..store import Store
from .gaps import GAP_SHARE, rated_badly, story_gaps

WORDINGS_SHOWN = 3  # a group's most asked wordings shown beside its name
COUNTED = [field.name for field in fields(AskCounts)]


def start_of_day(moment: datetime) -> datetime:
    """Insights count whole days (UTC), as their chart shows them."""
    return datetime.combine(moment.astimezone(timezone.utc).date(), time(), timezone.utc)


def build(store: Store, article_id: str | None = None, since: datetime | None = None, limit: int = 20) -> dict[str, Any]:
    """The insights of ``article_id`` (None: the whole archive) since ``since`` (None: all the
    log keeps); ``limit`` rows in each list."""
    since = start_of_day(since) if since else None
    days = store.ask_days(article_id, since)
    if since is None:  # the counts kept
        gaps = story_gaps(store, article_id, limit)
        groups = store.question_groups(article_id, limit=limit)
        articles = [] if article_id else store.asked_articles(limit)
    else:  # the period's asks
        gaps, groups, articles = store.period_groups(article_id, since, min_unanswered_share=GAP_SHARE, limit=limit)
    wordings = store.group_wordings(sorted({g.id for g in gaps + groups}))
    return {
        "article_id": article_id,
        "article_title": _title(store, article_id),
        "since": since.date().isoformat() if since else None,
        "totals": grade_mix(sum_counts(d.counts for d in days)),
        "days": [{"day": d.day, **grade_mix(d.counts)} for d in days],
        "gaps": [group_dict(g, wordings.get(g.id, [])) for g in gaps],
        "groups": [group_dict(g, wordings.get(g.id, [])) for g in groups],
        "articles": [{"article_id": asked, "article_title": title, **grade_mix(counts), "unanswered": counts.unanswered}
                     for asked, title, counts in articles],
        "rated": [rated_dict(f) for f in rated_badly(store, article_id, since, limit)],
        "panel": [panel_dict(p) for p in store.panel_pull(article_id, limit)],
    }


def _title(store: Store, article_id: str | None) -> str | None:
    found = store.list_articles(Scope(article_ids=[article_id])) if article_id else []
    return found[0].title if found else None


def sum_counts(many) -> AskCounts:
    total = AskCounts()
    for counts in many:
        for name in COUNTED:
            setattr(total, name, getattr(total, name) + getattr(counts, name))
    return total


def grade_mix(counts: AskCounts) -> dict[str, int]:
    return {"asks": counts.asks, "answer": counts.answer, "closest": counts.closest, "none": counts.none,
            "panel": counts.panel, "sample": counts.sample}


def group_dict(group: QuestionGroup, wordings: list[tuple[str, int]]) -> dict[str, Any]:
    """A group, named by its most asked wording."""
    counts = group.counts
    return {
        "id": group.id,
        "question": wordings[0][0] if wordings else "",
        "wordings": [text for text, _ in wordings[:WORDINGS_SHOWN]],
        "wording_count": len(wordings),
        "article_id": group.article_id,
        "article_title": group.article_title,
        "asks": counts.asks,
        "grades": {"answer": counts.answer, "closest": counts.closest, "none": counts.none},
        "unanswered": counts.unanswered,
        "panel": counts.panel,
        "ratings": {"helpful": counts.helpful, "not_helpful": counts.not_helpful,
                    "wrong_citation": counts.wrong_citation},
        "last_asked": datetime.fromtimestamp(group.last_asked, timezone.utc).isoformat(timespec="seconds"),
    }


def rated_dict(feedback: Feedback) -> dict[str, Any]:
    return {"rating": feedback.rating, "question": feedback.question, "answer": feedback.answer,
            "comment": feedback.comment, "article_id": feedback.article_id, "received_at": feedback.received_at,
            "ask_id": feedback.ask_id}


def panel_dict(pull: PanelPull) -> dict[str, Any]:
    return {"question": pull.question, "article_id": pull.article_id, "shown": pull.shown, "clicks": pull.clicks,
            "click_rate": round(pull.clicks / pull.shown, 3) if pull.shown else None}
