"""The SQLite store's vector index file: never behind the database, never trusted when damaged."""

import json
import logging
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nutgraf.records import Scope
from nutgraf.store.sqlite import SQLiteStore, vector_index
from nutgraf.store.sqlite import articles as sqlite_articles

from .test_store import make_article


@pytest.fixture(autouse=True)
def indexed(monkeypatch):
    """Search through the index however small the archive."""
    monkeypatch.setattr(sqlite_articles, "INDEX_FROM_SENTENCES", 0)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "archive.db"


def fill(store, count, first=0):
    for n in range(first, first + count):
        store.put_article(make_article(f"a{n}", digest=f"h{n}"))


def nearest(store, vector, limit=5):
    return [(h.article_id, h.sentence_index) for h in store.dense_search(vector, Scope(), limit)]


def sidecar(path):
    return json.loads(path.with_name(path.name + ".vectors.json").read_text())


def test_a_deleted_or_updated_article_is_never_returned(path):
    searcher, writer = SQLiteStore(path), SQLiteStore(path)
    fill(writer, 6)
    gone = writer.get_article("a3").embeddings[1]
    assert nearest(searcher, gone, 1) == [("a3", 1)]
    writer.delete_article("a3")
    assert all(article != "a3" for article, _ in nearest(searcher, gone, 20))
    # The update reuses the deleted rows' ids for other vectors.
    replaced = make_article("a5", digest="new")
    replaced.embeddings = np.roll(replaced.embeddings, 3, axis=1)
    old = writer.get_article("a5").embeddings[0]
    writer.put_article(replaced)
    [best] = searcher.dense_search(replaced.embeddings[0], Scope(), 1)
    assert (best.article_id, best.sentence_index) == ("a5", 0) and best.score == pytest.approx(1.0, abs=1e-5)
    stale = [h for h in searcher.dense_search(old, Scope(), 20) if h.article_id == "a5"]
    assert all(h.score == pytest.approx(float(replaced.embeddings[h.sentence_index] @ old), abs=1e-5) for h in stale)


def test_scores_are_exact_cosines(path):
    store = SQLiteStore(path)
    fill(store, 10)
    probe = store.get_article("a4").embeddings[2] + 0.1
    probe /= np.linalg.norm(probe)
    vectors = {(f"a{n}", i): v for n in range(10) for i, v in enumerate(store.get_article(f"a{n}").embeddings)}
    exact = sorted(vectors, key=lambda key: -float(vectors[key] @ probe))[:5]
    hits = store.dense_search(probe, Scope(), 5)
    assert [(h.article_id, h.sentence_index) for h in hits] == exact
    assert [h.score for h in hits] == pytest.approx([float(vectors[k] @ probe) for k in exact], abs=1e-5)


def test_a_process_killed_after_its_commit_leaves_an_index_that_catches_up(path):
    store = SQLiteStore(path)
    fill(store, 3)
    nearest(store, store.get_article("a0").embeddings[0])  # builds and saves the index file
    saved = sidecar(path)
    writer = textwrap.dedent(f"""
        import os, signal
        from nutgraf.store.sqlite import SQLiteStore
        from tests.store.test_store import make_article
        SQLiteStore({str(path)!r}).put_article(make_article("late", digest="late"))
        os.kill(os.getpid(), signal.SIGKILL)  # dies before anything else happens
    """)
    assert subprocess.run([sys.executable, "-c", writer]).returncode == -9
    fresh = SQLiteStore(path)  # as a new process
    late = fresh.get_article("late").embeddings[1]
    assert nearest(fresh, late, 1) == [("late", 1)]
    assert nearest(store, late, 1) == [("late", 1)]  # and the one that had the index in memory
    assert sidecar(path) == saved  # caught up from the log, not rebuilt


def test_a_corrupt_or_foreign_index_file_is_rebuilt(path, tmp_path, caplog):
    store = SQLiteStore(path)
    fill(store, 4)
    probe = store.get_article("a2").embeddings[0]
    nearest(store, probe)
    index_file = path.with_name(sidecar(path)["file"])
    data = bytearray(index_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    index_file.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger=vector_index.__name__):
        assert nearest(SQLiteStore(path), probe, 1) == [("a2", 0)]
    assert "checksum" in caplog.text
    rebuilt = path.with_name(sidecar(path)["file"])
    assert not index_file.exists() and sidecar(path)["crc32"] == vector_index._crc32(rebuilt)

    other = tmp_path / "other.db"
    fill(SQLiteStore(other), 1, first=7)
    for name in (path.name + ".vectors.json", sidecar(path)["file"]):  # another database's files
        (tmp_path / name.replace(path.name, other.name)).write_bytes((tmp_path / name).read_bytes())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=vector_index.__name__):
        found = {article for article, _ in nearest(SQLiteStore(other), probe, 5)}
    assert found == {"a7"} and "another database" in caplog.text


def test_saving_prunes_the_log_and_older_indexes_reload(path, monkeypatch):
    monkeypatch.setattr(vector_index, "SAVE_AFTER_CHANGES", 1)
    behind, ahead = SQLiteStore(path), SQLiteStore(path)
    fill(ahead, 2)
    probe = ahead.get_article("a0").embeddings[0]
    nearest(behind, probe)
    fill(ahead, 2, first=2)
    nearest(ahead, probe)  # catches up and saves, pruning the log
    assert ahead._db.execute("SELECT count(*) FROM vector_changes").fetchone()[0] == 0
    fill(ahead, 1, first=4)
    found = {article for article, _ in nearest(behind, probe, 15)}
    assert found == {"a0", "a1", "a2", "a3", "a4"}
    assert len(list(path.parent.glob("*.usearch"))) == 1  # older files are removed
