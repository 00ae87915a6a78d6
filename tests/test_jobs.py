"""Preparing articles for their readers: workers on the shared queue, and the commands."""

import json
import threading

from click.testing import CliRunner

from nutgraf import Nutgraf
from nutgraf.cli import cli
from nutgraf.jobs import Worker
from tests.conftest import FIXTURES

ARTICLES = [str(FIXTURES / "riverside-bridge.md"), str(FIXTURES / "riverside-tunnel.md")]


class CountingNutgraf(Nutgraf):
    """Counts what it prepares, to see that no article is prepared twice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared: list[str] = []

    def prepare(self, article_id):
        self.prepared.append(article_id)
        return super().prepare(article_id)


def test_two_workers_prepare_each_article_once(tmp_path):
    db = str(tmp_path / "db.sqlite")
    first, second = CountingNutgraf(db, model="none"), CountingNutgraf(db, model="none")
    ids = [o.article_id for o in first.ingest(ARTICLES)]
    first.queue_preparation(ids)
    threads = [threading.Thread(target=n.work) for n in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(first.prepared + second.prepared) == sorted(ids)
    assert all(first.related_service.is_ready(i) for i in ids)
    assert first.preparation_queue() == {"done": 2}


def test_a_failing_preparation_fails_its_job_not_the_worker(tmp_path):
    nutgraf = Nutgraf(str(tmp_path / "db.sqlite"), model="none")
    ids = [o.article_id for o in nutgraf.ingest(ARTICLES)]

    def broken(article_id):
        raise RuntimeError("the model went away")

    nutgraf.prepare = broken
    nutgraf.queue_preparation(ids)
    assert Worker(nutgraf.store, nutgraf.prepare).drain() == 2
    assert nutgraf.preparation_queue() == {"failed": 2}


def run(db, *args):
    return CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)


def test_ingest_prepares_what_it_ingested(tmp_path):
    db = str(tmp_path / "db.sqlite")
    assert run(db, "ingest", "--model", "none", "--no-progress", *ARTICLES).exit_code == 0
    nutgraf = Nutgraf(db, model="none")
    assert nutgraf.preparation_queue() == {"done": 2}
    assert all(nutgraf.related_service.is_ready(a.id) for a in nutgraf.articles())


def test_ingest_without_its_model_stores_and_queues_and_says_so(tmp_path):
    db = str(tmp_path / "db.sqlite")
    missing = str(tmp_path / "absent.gguf")
    result = CliRunner().invoke(cli, ["--db", db, "ingest", "--model", missing, "--no-progress",
                                      *ARTICLES])
    assert result.exit_code == 0, result.output
    assert "Warning: stored but not prepared (no model file at" in result.output
    assert Nutgraf(db, model="none").preparation_queue() == {"queued": 2}
    refused = CliRunner().invoke(cli, ["--db", db, "prepare", "--all", "--model", missing])
    assert refused.exit_code == 1 and "no model file" in refused.output
    assert Nutgraf(db, model="none").preparation_queue() == {"queued": 2}  # no job spent on it


def test_no_prepare_only_queues_and_prepare_does_the_rest(tmp_path):
    db = str(tmp_path / "db.sqlite")
    run(db, "ingest", "--no-prepare", "--no-progress", *ARTICLES)
    assert Nutgraf(db, model="none").preparation_queue() == {"queued": 2}
    refused = CliRunner().invoke(cli, ["--db", db, "prepare"])
    assert refused.exit_code != 0 and "--all" in refused.output
    done = run(db, "prepare", "--all", "--model", "none", "--no-progress", "--json")
    assert json.loads(done.output) == {"queued": 2, "queue": {"done": 2}}
    again = run(db, "prepare", "--all", "--model", "none", "--no-progress", "--json")
    assert json.loads(again.output)["queued"] == 0  # prepared already
    unknown = CliRunner().invoke(cli, ["--db", db, "prepare", "--article", "000000000000"])
    assert unknown.exit_code == 1 and "no article" in unknown.output


def test_cache_shows_and_clears_what_the_model_read(tmp_path, monkeypatch):
    monkeypatch.setenv("NUTGRAF_STATE_DIR", str(tmp_path / "states"))
    from nutgraf.llm.prefix_cache import PrefixCache
    from nutgraf.settings import current

    cache = PrefixCache.from_settings(current())
    tokens = list(range(100))
    cache.save(PrefixCache.key("m", tokens), tokens, b"x" * 1000)
    shown = json.loads(CliRunner().invoke(cli, ["cache", "--json"]).output)
    assert shown["files"] == 1 and shown["directory"] == str(tmp_path / "states")
    cleared = json.loads(CliRunner().invoke(cli, ["cache", "--clear", "--json"]).output)
    assert cleared["removed"] == 1 and cleared["files"] == 0
