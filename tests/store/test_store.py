import sqlite3
import threading

import numpy as np
import psycopg
import pytest

from nutgraf.errors import StoreError
from nutgraf.records import Article, Entity, Mention, Quote, Scope, Sentence, TimeExpression
from nutgraf.store.sqlite import SQLiteStore
from nutgraf.store.sqlite.schema import MIGRATIONS, statements

TEXT = "Budapest will host the summit. The call lasted two hours.\n\nOrban said “we are ready for it.”"


def make_article(article_id="a1", text=TEXT, digest="h1", published="2025-10-17", source="Gazette",
                 vectors=True, signature=None):
    sentences = [Sentence(0, 0, 30, 0, text[0:30]), Sentence(1, 31, 57, 0, text[31:57]),
                 Sentence(2, 59, len(text), 1, text[59:])]
    embeddings = None
    if vectors:
        rng = np.random.default_rng(abs(hash(article_id)) % 1000)
        embeddings = rng.normal(size=(3, 8)).astype(np.float32)
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    return Article(
        id=article_id, text=text, title=f"Title {article_id}", url=f"https://example.org/{article_id}",
        published=published, authors=["Ann Writer"], source=source, origin="test", content_hash=digest,
        sentences=sentences,
        entities=[Entity("Budapest", "GPE", [Mention(0, 0, 8, "Budapest")])],
        quotes=[Quote("Budapest will host the summit", 0, 29, 0, "Viktor Orban", form="reported", verb="said"),
                Quote("The call lasted two hours.", 31, 57, 1, None, closed=False),
                Quote("we are ready for it.", 71, 91, 2, "Viktor Orban")],
        times=[TimeExpression("two hours", 48, 57, 1, None)],
        embeddings=embeddings, embedding_model="test-model" if vectors else None,
        signature=np.arange(64, dtype=np.uint64) if signature is None else signature,
    )


def test_round_trip_keeps_everything(store):
    article = make_article()
    assert store.put_article(article).status == "added"
    loaded = store.get_article("a1")
    assert loaded.text == TEXT and loaded.title == "Title a1" and loaded.authors == ["Ann Writer"]
    assert loaded.sentences == article.sentences
    assert loaded.entities == article.entities and loaded.quotes == article.quotes
    assert loaded.times == article.times
    assert np.allclose(loaded.embeddings, article.embeddings)
    assert (loaded.signature == article.signature).all()
    assert store.content_hash("a1") == "h1"


def test_quotes_and_times_come_back_by_start_then_as_written(store):
    article = make_article()
    article.quotes = [Quote("we are ready for it.", 71, 91, 2, "Viktor Orban"),
                      Quote("ready for it", 83, 95, 2, None),
                      Quote("ready", 83, 88, 2, None),  # starts with the one before: stays after it
                      Quote("Budapest", 0, 8, 0, None)]
    article.times = [TimeExpression("two hours", 48, 57, 1, None), TimeExpression("two", 48, 51, 1, None)]
    store.put_article(article)
    loaded = store.get_article("a1")
    assert [(q.start, q.text) for q in loaded.quotes] == [
        (0, "Budapest"), (71, "we are ready for it."), (83, "ready for it"), (83, "ready")]
    assert [t.text for t in loaded.times] == ["two hours", "two"]


def test_same_content_is_unchanged_and_new_content_replaces(store):
    store.put_article(make_article())
    assert store.put_article(make_article()).status == "unchanged"
    changed = make_article(digest="h2", text=TEXT.replace("two", "six"))
    assert store.put_article(changed).status == "updated"
    assert [a.id for a in store.list_articles()] == ["a1"]
    assert "six hours" in store.get_article("a1").text
    assert store.lexical_search("six", Scope(), 5)[0].sentence_index == 1
    assert store.lexical_search("two", Scope(), 5) == []


def test_failed_write_leaves_nothing(store):
    broken = make_article()
    broken.quotes = [Quote(None, 0, 1, 0, None)]  # violates NOT NULL after other rows were written
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        store.put_article(broken)
    assert store.get_article("a1") is None
    assert store.lexical_search("Budapest", Scope(), 5) == []


def test_scopes_filter_articles(store):
    store.put_article(make_article("a1", published="2025-10-17", source="Gazette"))
    store.put_article(make_article("a2", published="2024-01-02", source="Herald"))
    assert store.article_ids(Scope(source="Herald")) == ["a2"]
    assert store.article_ids(Scope(published_from="2025-01-01")) == ["a1"]
    assert store.article_ids(Scope(published_to="2024-12-31")) == ["a2"]
    hits = store.lexical_search("Budapest summit", Scope(article_ids=["a2"]), 5)
    assert {h.article_id for h in hits} == {"a2"}
    assert [a.id for a in store.list_articles()] == ["a1", "a2"]  # newest first


def test_articles_come_in_pages_that_neither_overlap_nor_skip(store):
    dates = ["2025-10-17", "2025-10-17", None, "2024-01-02", "2025-10-18", "2025-10-17", None]
    for n, published in enumerate(dates):
        store.put_article(make_article(f"p{n}", digest=f"h{n}", published=published,
                                       source="Herald" if n % 2 else "Gazette"))
    everything = [a.id for a in store.list_articles()]
    assert everything[0] == "p4" and set(everything[-2:]) == {"p2", "p6"}  # undated ones last
    pages = [[a.id for a in store.list_articles(limit=3, offset=offset)] for offset in (0, 3, 6, 9)]
    assert pages[0] + pages[1] + pages[2] == everything and pages[3] == []
    assert [len(page) for page in pages] == [3, 3, 1, 0]
    assert store.count_articles() == 7
    herald = Scope(source="Herald")
    assert store.count_articles(herald) == 3
    assert [a.id for a in store.list_articles(herald, limit=2, offset=1)] == [
        a.id for a in store.list_articles(herald)][1:3]


def test_lexical_search_survives_query_syntax(store):
    store.put_article(make_article())
    for query in ['"unbalanced', "NOT AND OR", "summit:*", "what? (who)", "—"]:
        store.lexical_search(query, Scope(), 5)
    assert store.lexical_search("Where is the summit?", Scope(), 1)[0].sentence_index == 0


def test_dense_search_ranks_by_cosine_in_every_scope(store):
    store.put_article(make_article("a1"))
    store.put_article(make_article("a2", source="Herald"))
    target = store.get_article("a2").embeddings[2]
    for scope in [Scope(), Scope(article_ids=["a2"]), Scope(source="Herald")]:
        best = store.dense_search(target, scope, 2)[0]
        assert (best.article_id, best.sentence_index) == ("a2", 2)
        assert best.score == pytest.approx(1.0, abs=1e-5)
    assert {h.article_id for h in store.dense_search(target, Scope(article_ids=["a1"]), 5)} == {"a1"}


def test_archive_vectors_follow_other_writers(store_factory):
    first, second = store_factory(), store_factory()
    first.put_article(make_article("a1"))
    probe = first.get_article("a1").embeddings[0]
    assert second.dense_search(probe, Scope(), 1)[0].article_id == "a1"
    second.put_article(make_article("a2"))
    first.delete_article("a1")
    assert {h.article_id for h in second.dense_search(probe, Scope(), 10)} == {"a2"}


def test_embeddings_of_another_model_are_found_and_replaced(store):
    store.put_article(make_article("a1"))
    store.put_article(make_article("a2", vectors=False))
    assert store.articles_missing_embeddings("test-model") == ["a2"]
    assert sorted(store.articles_missing_embeddings("new-model")) == ["a1", "a2"]
    store.set_embeddings("a2", "test-model", np.eye(3, 8, dtype=np.float32))
    assert store.articles_missing_embeddings("test-model") == []
    with pytest.raises(StoreError):
        store.set_embeddings("a2", "test-model", np.eye(2, 8, dtype=np.float32))


def test_cache_is_dropped_with_its_article(store):
    store.put_article(make_article())
    store.cache_put("related", "a1", {"questions": ["q"]}, article_id="a1")
    store.cache_put("related", "archive", ["q"])
    assert store.cache_get("related", "a1") == {"questions": ["q"]}
    store.put_article(make_article(digest="h2"))
    assert store.cache_get("related", "a1") is None
    assert store.cache_get("related", "archive") == ["q"]


def test_meta_and_delete(store):
    store.set_meta("k", "v")
    store.set_meta("k", "w")
    assert store.get_meta("k") == "w"
    store.put_article(make_article())
    assert store.delete_article("a1") and not store.delete_article("a1")
    assert store.sentences("a1") == []


def test_sqlite_schema_version_is_recorded_and_newer_is_refused(tmp_path):
    path = tmp_path / "v.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)


def test_readers_never_see_a_half_written_article(store_factory):
    writer, reader = store_factory(), store_factory()
    seen, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            for summary in reader.list_articles():
                article = reader.get_article(summary.id)
                if article is not None:
                    seen.append(len(article.sentences))

    thread = threading.Thread(target=read)
    thread.start()
    for n in range(40):
        writer.put_article(make_article(f"a{n}", digest=f"h{n}"))
    stop.set()
    thread.join()
    assert seen and set(seen) == {3}


@pytest.mark.parametrize("same_content", [True, False])
def test_writers_racing_on_one_article_leave_exactly_one(store_factory, same_content):
    stores = [store_factory(), store_factory()]
    start = threading.Barrier(2)
    statuses: list[list[str]] = [[], []]

    def write(n: int) -> None:
        for round_ in range(15):
            digest = "h" if same_content else f"h{round_}-{n}"
            start.wait()
            statuses[n].append(stores[n].put_article(make_article(f"r{round_}", digest=digest)).status)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second = "unchanged" if same_content else "updated"
    assert all(sorted(pair) == sorted(["added", second]) for pair in zip(*statuses))
    reader = store_factory()
    assert sorted(reader.article_ids()) == sorted(f"r{n}" for n in range(15))
    for round_ in range(15):
        article = reader.get_article(f"r{round_}")
        assert len(article.sentences) == 3 and len(article.entities) == 1 and len(article.quotes) == 3
        hits = reader.lexical_search("Budapest", Scope(article_ids=[article.id]), 5)
        assert [h.sentence_index for h in hits] == [0]


def test_near_duplicate_candidates_share_a_band_and_follow_changes(store):
    base = np.arange(64, dtype=np.uint64)
    alike = base.copy()
    alike[[0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44]] += 1000  # 12 bands spoilt, 4 intact
    store.put_article(make_article("a1", signature=base))
    store.put_article(make_article("a2", signature=alike))
    store.put_article(make_article("a3", signature=base + 10_000))
    found = dict(store.near_duplicate_candidates(base))
    assert set(found) == {"a1", "a2"} and (found["a2"] == alike).all()
    store.delete_article("a2")
    store.put_article(make_article("a1", digest="h2", signature=base + 20_000))
    assert store.near_duplicate_candidates(base) == []
    assert [i for i, _ in store.near_duplicate_candidates(base + 20_000)] == ["a1"]


def test_sqlite_upgrade_marks_stored_quotes_that_ran_to_the_paragraph_end(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # a database written before quotes had a form
        for script in MIGRATIONS[:5]:
            for statement in statements(script):
                db.execute(statement)
        db.execute("PRAGMA user_version = 5")
        db.execute("INSERT INTO articles (id, authors, origin, content_hash, ingested_at, text)"
                   " VALUES ('old', '[]', 'test', 'h', 'now', ?)", (TEXT + "\n\nHe said “it never ends",))
        db.executemany('INSERT INTO quotes (article_id, text, start, "end", sentence_index, speaker)'
                       " VALUES ('old', ?, ?, ?, ?, ?)",
                       [("we are ready for it.", 71, 91, 2, "Viktor Orban"),
                        ("it never ends", 103, 116, 3, None)])
    store = SQLiteStore(path)
    assert [(q.text, q.form, q.closed, q.verb) for q in store.get_article("old").quotes] == [
        ("we are ready for it.", "direct", True, None), ("it never ends", "direct", False, None)]
    store.close()


def test_sqlite_upgrade_cuts_bands_from_stored_signatures(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # a database written before the band index existed
        for statement in statements(MIGRATIONS[0]):
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO articles (id, authors, origin, content_hash, ingested_at, text, signature)"
                   " VALUES ('old', '[]', 'test', 'h', 'now', 'text', ?)",
                   (np.arange(64, dtype=np.uint64).tobytes(),))
    store = SQLiteStore(path)
    assert [i for i, _ in store.near_duplicate_candidates(np.arange(64, dtype=np.uint64))] == ["old"]
    store.close()
