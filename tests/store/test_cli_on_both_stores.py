"""The command line works unchanged whichever store --db names."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from nutgraf import Nutgraf
from nutgraf.cli import cli
from nutgraf.errors import InputError
from nutgraf.records import Feedback
from nutgraf.store import open_store
from tests.conftest import EXTRACTIVE_THRESHOLD, FIXTURES

from .test_reader_data import backdate


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    return str(tmp_path / "cli.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def run_json(db, *args):
    result = CliRunner().invoke(cli, ["--db", db, *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_command_on_the_store(db):
    [outcome] = run_json(db, "ingest", "--no-progress", str(FIXTURES / "riverside-bridge.md"))
    article_id = outcome["id"]
    assert [a["id"] for a in run_json(db, "articles")] == [article_id]
    shown = run_json(db, "show", article_id)
    assert all(shown["text"][s["start"]:s["end"]] == s["text"] for s in shown["sentences"])
    said = {(q["speaker"], q["form"], q["verb"], q["closed"]) for q in shown["quotes"]}
    assert {("Elena Kowalski", "direct", None, True), ("Martin Osei", "reported", "warned", True)} <= said
    assert all(shown["text"][q["start"]:q["end"]] == q["text"] for q in shown["quotes"])
    results = run_json(db, "search", "How much will the bridge cost?", "--article", article_id)["results"]
    assert "$4.5 million" in results[0]["text"]
    answer = run_json(db, "ask", "How much will the footbridge cost?", "--article", article_id,
                      "--model", "none", "--min-confidence", str(EXTRACTIVE_THRESHOLD))
    assert answer["answer"] == "about $4.5 million"
    related = run_json(db, "related", "--article", article_id, "--model", "none")
    assert all(q["citations"] for q in related["questions"])
    [again] = run_json(db, "ingest", "--no-progress", str(FIXTURES / "riverside-bridge.md"))
    assert (again["id"], again["status"]) == (article_id, "unchanged")


def test_gc_expires_conversations_and_feedback_is_exported(db):
    [outcome] = run_json(db, "ingest", "--no-progress", "--no-embed", str(FIXTURES / "riverside-bridge.md"))
    asked = [run_json(db, "ask", question, "--article", outcome["id"], "--model", "none")["conversation_id"]
             for question in ("How much will the footbridge cost?", "When will it open?")]
    store = open_store(db)
    try:
        backdate(store, asked[0], days=45)
        old = store.add_feedback(Feedback("helpful", "How much will the footbridge cost?", "about $4.5 million",
                                          comment='Clear, "short"', article_id=outcome["id"],
                                          citations=[{"article_id": outcome["id"], "sentence_index": 2}]))
        new = store.add_feedback(Feedback("not_helpful", "When will it open?", article_id=outcome["id"]))

        assert run_json(db, "gc")["conversations_removed"] == 1  # only the one unused for 45 days
        assert store.conversation(asked[0]) is None and store.conversation(asked[1]) is not None
        backdate(store, asked[1], days=2)
        assert run_json(db, "gc", "--conversation-days", "1")["conversations_removed"] == 1
        assert store.conversation(asked[1]) is None
    finally:
        store.close()

    assert [f["id"] for f in run_json(db, "feedback")] == [new.id, old.id]  # feedback stays, newest first
    assert run_json(db, "feedback", "--since", "2999-01-01") == []
    assert [f["id"] for f in run_json(db, "feedback", "--limit", "1")] == [new.id]
    exported = CliRunner().invoke(cli, ["--db", db, "feedback", "--csv"])
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [row["id"] for row in rows] == [new.id, old.id]
    assert rows[1]["comment"] == 'Clear, "short"' and json.loads(rows[1]["citations"])[0]["sentence_index"] == 2
    refused = CliRunner().invoke(cli, ["--db", db, "feedback", "--since", "last week"])
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: ") and "YYYY-MM-DD" in refused.stderr


def test_articles_page_in_the_api_and_the_command(db, tmp_path):
    stories = [{"title": f"Story {n}", "text": f"The council met on day {n} and voted on the bridge.",
                "published": f"2025-03-{n + 1:02d}"} for n in range(5)]
    (tmp_path / "stories.json").write_text(json.dumps(stories))
    ingested = run_json(db, "ingest", "--no-progress", "--no-embed", str(tmp_path / "stories.json"))
    newest_first = [outcome["id"] for outcome in reversed(ingested)]

    nutgraf = Nutgraf(db, embed=False)
    try:
        assert [a.id for a in nutgraf.articles(limit=2, offset=1)] == newest_first[1:3]
        assert [a.id for a in nutgraf.articles(offset=4)] == newest_first[4:]
        assert nutgraf.article_count() == 5
        with pytest.raises(InputError):
            nutgraf.articles(limit=0)
    finally:
        nutgraf.close()

    assert [a["id"] for a in run_json(db, "articles", "--limit", "2", "--offset", "3")] == newest_first[3:5]
    assert [a["id"] for a in run_json(db, "articles", "--offset", "5")] == []
    shown = CliRunner().invoke(cli, ["--db", db, "articles", "--limit", "2"])
    assert shown.stdout.count("\n") == 2 and "(1-2 of 5)" in shown.stderr
