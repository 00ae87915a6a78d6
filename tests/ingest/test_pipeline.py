"""The whole ingest path through the CLI: files in, one consistent article per story out."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from click.testing import CliRunner

from nutgraf.cli import cli
from tests.conftest import FIXTURES


def run(db, *args):
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    return result


def ingest_json(db, *paths):
    result = run(db, "ingest", "--json", *map(str, paths))
    return result, json.loads(result.stdout)


def test_markdown_article_round_trip(db_path):
    result, outcomes = ingest_json(db_path, FIXTURES / "riverside-bridge.md")
    assert result.exit_code == 0, result.output
    [outcome] = outcomes
    assert outcome["status"] == "added"
    shown = json.loads(run(db_path, "show", outcome["id"], "--json").stdout)
    assert shown["title"] == "Riverside council approves new footbridge after long debate"
    assert shown["published"].startswith("2024-03-15") and shown["source"] == "Example Gazette"
    for sentence in shown["sentences"]:
        assert shown["text"][sentence["start"] : sentence["end"]] == sentence["text"]
    assert {e["name"] for e in shown["entities"]} >= {
        "Elena Kowalski",
        "Martin Osei",
        "Maple River",
    }
    speakers = {q["speaker"] for q in shown["quotes"]}
    assert "Elena Kowalski" in speakers
    thursday = next(t for t in shown["times"] if t["text"] == "Thursday")
    assert thursday["resolved"] == "2024-03-14"  # the Thursday before publication on Friday 15th


def test_ingesting_again_keeps_one_article_and_changes_replace_it(db_path, tmp_path):
    source = (FIXTURES / "riverside-bridge.md").read_text()
    path = tmp_path / "story.md"
    path.write_text(source)
    _, [first] = ingest_json(db_path, path)
    _, [again] = ingest_json(db_path, path)
    assert again == {**first, "status": "unchanged"}
    path.write_text(source.replace("7 to 2", "6 to 3"))
    _, [changed] = ingest_json(db_path, path)
    assert (changed["id"], changed["status"]) == (first["id"], "updated")
    listed = json.loads(run(db_path, "articles", "--json").stdout)
    assert [a["id"] for a in listed] == [first["id"]]
    assert "6 to 3" in json.loads(run(db_path, "show", first["id"], "--json").stdout)["text"]


def test_near_duplicate_from_another_source_is_reported(db_path, tmp_path):
    source = (FIXTURES / "riverside-bridge.md").read_text()
    copy = tmp_path / "copy.md"
    copy.write_text(
        source.replace("news.example.org/local", "wire.example.net/story").replace(
            "Example Gazette", "Wire Service"
        )
    )
    _, [original] = ingest_json(db_path, FIXTURES / "riverside-bridge.md")
    result = run(db_path, "ingest", str(copy))
    assert f"near-duplicate of {original['id']}" in result.stdout
    assert len(json.loads(run(db_path, "articles", "--json").stdout)) == 2


def test_bad_inputs_fail_alone_with_one_line_each(db_path, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    missing = tmp_path / "missing.md"
    result = run(db_path, "ingest", str(empty), str(FIXTURES / "riverside-bridge.md"), str(missing))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2
    assert any("empty.txt" in line and "empty" in line for line in errors)
    assert any("missing.md" in line for line in errors)
    assert len(json.loads(run(db_path, "articles", "--json").stdout)) == 1


def test_a_page_without_an_article_gives_only_the_one_line_error(db_path):
    page = FIXTURES.parent / "ingest" / "fixtures" / "no-article.html"
    quiet = run(db_path, "ingest", "--no-progress", str(page))
    assert quiet.exit_code == 1
    assert quiet.stderr == f"Error: {page}: HTML with no article text\n"
    verbose = run(db_path, "-v", "ingest", "--no-progress", str(page))
    assert "trafilatura" in verbose.stderr  # the library's own account, for whoever asks


def test_show_unknown_article_is_one_line_error(db_path):
    result = run(db_path, "show", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no article with id 'nope'"


def test_sample_article(db_path, sample_text):
    path = FIXTURES.parent.parent.parent / "shared" / "samples" / "budapest-summit.txt"
    _, [outcome] = ingest_json(db_path, path)
    shown = json.loads(run(db_path, "show", outcome["id"], "--json").stdout)
    assert len(shown["sentences"]) >= 23
    for sentence in shown["sentences"]:
        assert sample_text[sentence["start"] : sentence["end"]] == sentence["text"]
    names = {e["name"] for e in shown["entities"]}
    assert {
        "Volodymyr Zelensky",
        "Vladimir Putin",
        "Viktor Orban",
        "Budapest",
        "Anchorage",
    } <= names
    assert any(
        q["speaker"] == "Volodymyr Zelensky" and "no braver than Hamas" in q["text"]
        for q in shown["quotes"]
    )
    # The page's widget labels at the end are not the story; its subheading is.
    assert "Optimism from Ukraine" in shown["text"]
    assert shown["text"].endswith("as soon as possible.”")
    assert not any("Ask me anything" in s["text"] or "Explore" in s["text"] for s in shown["sentences"])
    _, [again] = ingest_json(db_path, path)
    assert again["id"] == outcome["id"] and again["status"] == "unchanged"


def test_killed_ingest_leaves_a_consistent_store(db_path, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    source = (FIXTURES / "riverside-bridge.md").read_text()
    for n in range(60):
        (folder / f"story-{n:02}.md").write_text(
            source.replace("riverside-footbridge", f"story-{n}").replace("7 to 2", f"{n} to 2")
        )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nutgraf.cli",
            "--db",
            str(db_path),
            "ingest",
            "--no-progress",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(FIXTURES.parent.parent)},
    )
    process.stdout.readline()  # the first article has landed
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("INSERT INTO sentences_fts (sentences_fts) VALUES ('integrity-check')")
        articles = db.execute("SELECT id FROM articles").fetchall()
        assert 1 <= len(articles) < 60
        for (article_id,) in articles:
            count = db.execute(
                "SELECT COUNT(*) FROM sentences WHERE article_id = ?", (article_id,)
            ).fetchone()[0]
            assert count > 5
    result = run(db_path, "ingest", str(folder))  # the rest lands on the next run
    assert result.exit_code == 0
    assert len(json.loads(run(db_path, "articles", "--json").stdout)) == 60
