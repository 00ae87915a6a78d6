"""The demo's sample asks: kept as sample data, grouped like readers' asks, added once."""

import json

from nutgraf import Nutgraf, Settings
from nutgraf.insights.seed import QUESTIONS, sample_files, seed


def test_the_seed_asks_the_sample_questions_once_and_marks_them_as_samples(tmp_path):
    nutgraf = Nutgraf(settings=Settings(db=str(tmp_path / "demo.db"), model="none"))
    files = sample_files()
    assert sorted(files) == ["calloway-bell.md", "harwick-ferry.md", "lake-torrin-drought.md", "mirrowdale-coach.md"]
    questions = json.loads(QUESTIONS.read_text())["articles"]
    readers = sum(item["readers"] for name in files for item in questions[name])
    assert seed(nutgraf, files) == readers
    assert seed(nutgraf, files) == 0  # already seeded

    report = nutgraf.insights(limit=100)
    assert report["totals"]["asks"] == report["totals"]["sample"] == readers
    days = [day["day"] for day in report["days"]]
    assert len(days) > 5  # spread over the fortnight, as readers come
    ferry = next(g for g in report["groups"] if g["question"] == "How much will the new electric ferry cost?")
    assert (ferry["asks"], ferry["wording_count"]) == (8, 2)
    assert [r["question"] for r in report["rated"]] == ["When does the new timetable start?"]
    assert report["rated"][0]["ask_id"] and report["rated"][0]["comment"] == "Cites the vote, not the timetable"
    nutgraf.close()
