"""The command line works unchanged whichever store --db names."""

import json

import pytest
from click.testing import CliRunner

from nutgraf.cli import cli
from tests.conftest import EXTRACTIVE_THRESHOLD, FIXTURES


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
    results = run_json(db, "search", "How much will the bridge cost?", "--article", article_id)["results"]
    assert "$4.5 million" in results[0]["text"]
    answer = run_json(db, "ask", "How much will the footbridge cost?", "--article", article_id,
                      "--model", "none", "--min-confidence", str(EXTRACTIVE_THRESHOLD))
    assert answer["answer"] == "about $4.5 million"
    related = run_json(db, "related", "--article", article_id, "--model", "none")
    assert all(q["citations"] for q in related["questions"])
    [again] = run_json(db, "ingest", "--no-progress", str(FIXTURES / "riverside-bridge.md"))
    assert (again["id"], again["status"]) == (article_id, "unchanged")
