"""The insights page: for an editor, what readers asked and what the stories left unanswered.

Behind the admin key, which a browser sends as the password of HTTP Basic (it prompts for
it). Server-rendered HTML with the chart drawn as SVG: no script, and everything that comes
from a question is escaped by the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from .pages import PAGE_HEADERS, templates
from .routes import check_admin

router = APIRouter(include_in_schema=False)
GRADES = ("answer", "closest", "none")  # bottom to top in a day's bar
GRADE_NAMES = {"answer": "Answered", "closest": "Closest sentence only", "none": "The article does not say"}
CHART_DAYS = 90  # the most days the chart shows, the question log's default retention
CHART_MIN_DAYS = 14  # the fewest: a day or two of asks still shows as bars, not as one block
CHART_WIDTH, CHART_HEIGHT = 720, 160


@dataclass
class Segment:
    grade: str
    y: float
    height: float


@dataclass
class Bar:
    day: str
    x: float
    width: float
    asks: int
    segments: list[Segment]
    label: str  # what a pointer over the bar says


def day_bars(days: list[dict], until: date) -> tuple[list[Bar], int]:
    """A bar per day from the first day with asks (from CHART_MIN_DAYS to CHART_DAYS back) to
    ``until``, days without asks included, each stacked by grade; and the tallest bar's count."""
    counted = {d["day"]: d for d in days}
    first = max(date.fromisoformat(days[0]["day"]) if days else until, until - timedelta(days=CHART_DAYS - 1))
    first = min(first, until - timedelta(days=CHART_MIN_DAYS - 1))
    span = [first + timedelta(days=n) for n in range((until - first).days + 1)]
    tallest = max([d["asks"] for d in days] or [0]) or 1
    width = CHART_WIDTH / len(span)
    bars = []
    for n, day in enumerate(span):
        found = counted.get(day.isoformat(), {"asks": 0, **{grade: 0 for grade in GRADES}})
        y, segments = float(CHART_HEIGHT), []
        for grade in GRADES:
            height = CHART_HEIGHT * found[grade] / tallest
            y -= height
            if height:
                segments.append(Segment(grade, round(y, 1), round(height, 1)))
        label = f"{day:%d %b}: {found['asks']} questions, " + ", ".join(
            f"{found[grade]} {GRADE_NAMES[grade].lower()}" for grade in GRADES)
        bars.append(Bar(day.isoformat(), round(n * width, 1), round(max(width - 1, 1), 1), found["asks"], segments,
                        label))
    return bars, tallest


def shares(totals: dict) -> list[tuple[str, int, float]]:
    """(grade, asks, percent) of the grade mix."""
    asks = totals["asks"] or 1
    return [(grade, totals[grade], round(100 * totals[grade] / asks, 1)) for grade in GRADES]


def by_article(gaps: list[dict]) -> list[tuple[dict, list[dict]]]:
    """The gaps under their article, the article whose gaps readers asked most first."""
    order = {}
    for gap in gaps:
        order.setdefault(gap["article_id"], []).append(gap)
    stories = sorted(order.values(), key=lambda found: -sum(g["unanswered"] for g in found))
    return [({"id": found[0]["article_id"], "title": found[0]["article_title"]}, found) for found in stories]


@router.get("/insights", response_class=HTMLResponse)
def insights_page(request: Request, article: str | None = Query(None, max_length=64),
                  since: str | None = Query(None, max_length=40)):
    check_admin(request, challenge='Basic realm="nutgraf insights", charset="UTF-8"')
    nutgraf = request.app.state.nutgraf
    report = nutgraf.insights(article or None, since=since or None)
    bars, tallest = day_bars(report["days"], datetime.now(timezone.utc).date())
    context = {"report": report, "bars": bars, "tallest": tallest, "shares": shares(report["totals"]),
               "grade_names": GRADE_NAMES, "stories": by_article(report["gaps"]), "since": since or "",
               "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT}}
    return templates.TemplateResponse(request, "insights.html", context, headers=PAGE_HEADERS)
