import pytest

from nutgraf.analysis import dates
from nutgraf.analysis.analyzer import analyse

PUBLISHED = dates.parse_published("2025-10-17T09:30:00+02:00")  # a Friday


@pytest.mark.parametrize("phrase, expected", [
    ("today", "2025-10-17"),
    ("yesterday", "2025-10-16"),
    ("tomorrow", "2025-10-18"),
    ("on Monday", "2025-10-13"),
    ("Friday", "2025-10-17"),
    ("last Friday", "2025-10-10"),
    ("next Tuesday", "2025-10-21"),
    ("last week", "2025-10-06"),
    ("next month", "2025-11-01"),
    ("Oct. 3", "2025-10-03"),
    ("March 5, 2024", "2024-03-05"),
    ("2025", None),
    ("the past two years", None),
])
def test_resolve_against_published_date(phrase, expected):
    assert dates.resolve(phrase, PUBLISHED) == expected


def test_without_published_date_only_absolute_dates_resolve():
    assert dates.resolve("yesterday", None) is None
    assert dates.resolve("March 5, 2024", None) == "2024-03-05"


def test_article_times_are_resolved(sample_text):
    analysis = analyse(sample_text, "2025-10-17")
    resolved = {t.text: t.resolved for t in analysis.times}
    assert resolved["yesterday"] == "2025-10-16"
    assert resolved["today"] == "2025-10-17"
    for t in analysis.times:
        assert sample_text[t.start:t.end] == t.text
