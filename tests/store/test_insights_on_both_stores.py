"""``nutgraf insights`` and ``nutgraf gc`` over the question log, whichever store --db names."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from nutgraf import Nutgraf, Settings
from nutgraf.cli import cli
from nutgraf.records import Grade
from tests.conftest import FIXTURES
from tests.insights.asks import answer

BRIDGE = str(FIXTURES / "riverside-bridge.md")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    return str(tmp_path / "cli.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def run(db, *args, env=None):
    return CliRunner().invoke(cli, ["--db", db, *args], env=env, catch_exceptions=False)


def run_json(db, *args, env=None):
    result = run(db, *args, "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def article_id(db):
    [outcome] = run_json(db, "ingest", "--no-progress", "--no-prepare", BRIDGE)
    return outcome["id"]


def test_asks_are_logged_and_their_gaps_shown(db, article_id):
    for question in ("When will the footbridge open to cyclists?", "When does the footbridge open for cyclists?",
                     "How much will the footbridge cost?"):
        asked = run_json(db, "ask", question, "--article", article_id, "--model", "none", "--min-confidence", "0.99")
        assert len(asked["ask_id"]) == 16 and asked["grade"] != "answer"
    report = run_json(db, "insights", "--article", article_id)
    assert report["totals"]["asks"] == 3 and report["article_id"] == article_id
    [first, second] = report["gaps"]
    assert (first["asks"], first["wording_count"], first["question"]) == (
        2, 2, "When will the footbridge open to cyclists?")
    assert second["question"] == "How much will the footbridge cost?"
    assert run_json(db, "insights")["gaps"] == report["gaps"]  # the archive's gaps are its articles'

    table = list(csv.DictReader(io.StringIO(run(db, "insights", "--csv").stdout)))
    assert [(row["question"], row["asks"], row["gap"]) for row in table] == [
        ("When will the footbridge open to cyclists?", "2", "1"), ("How much will the footbridge cost?", "1", "1")]
    text = run(db, "insights", "--article", article_id).stdout
    assert "Story gaps" in text and "When will the footbridge open to cyclists? (2 wordings)" in text


def test_gc_removes_asks_past_the_log_days(db, article_id):
    nutgraf = Nutgraf(settings=Settings(db=db, model="none"), embed=False)
    try:
        log = nutgraf.question_log
        log.record(answer("Who designed the bridge?", Grade.NONE), article_id,
                   asked_at=datetime.now(timezone.utc) - timedelta(days=91))
        log.record(answer("Who designed the bridge?", Grade.NONE), article_id,
                   asked_at=datetime.now(timezone.utc) - timedelta(days=20))
    finally:
        nutgraf.close()
    removed = run_json(db, "gc")
    assert removed["asks_removed"] == 1 and removed["conversations_removed"] == 0
    assert run_json(db, "insights")["totals"]["asks"] == 1
    assert run_json(db, "gc", "--question-log-days", "10")["asks_removed"] == 1
    assert run_json(db, "insights", "--article", article_id)["groups"] == []
    short = run_json(db, "gc", env={"NUTGRAF_QUESTION_LOG_DAYS": "5"})
    assert datetime.fromisoformat(short["asked_before"]) > datetime.now(timezone.utc) - timedelta(days=5, minutes=1)


def test_with_the_log_off_nothing_is_kept(db, article_id):
    off = {"NUTGRAF_QUESTION_LOG": "0"}
    asked = run_json(db, "ask", "How much will the footbridge cost?", "--article", article_id, "--model", "none",
                     env=off)
    assert asked["ask_id"] is None
    report = run_json(db, "insights", env=off)
    assert report["totals"]["asks"] == 0 and report["log"] == {"on": False, "kept_days": 90}
    assert "The question log is off" in run(db, "insights", env=off).stdout


@pytest.mark.parametrize("args, message", [
    (["--article", "nope"], "no article with id 'nope'"),
    (["--since", "last week"], "not a date or ISO 8601 time"),
    (["--json", "--csv"], "choose one of --json and --csv"),
])
def test_bad_input_is_one_line_and_a_failure(db, args, message):
    result = CliRunner().invoke(cli, ["--db", db, "insights", *args])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()] and message in result.output
