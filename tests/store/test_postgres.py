"""What only the PostgreSQL store has: its schema table, migration lock, HNSW indexes, pool."""

import threading

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector

from nutgraf import Nutgraf, Settings
from nutgraf.errors import InputError, StoreError
from nutgraf.records import Scope
from nutgraf.store import open_store
from nutgraf.store.postgres import PostgresStore, dense_query
from nutgraf.store.postgres.schema import MIGRATIONS

from .test_store import TEXT, make_article
from tests.pg import free_port


@pytest.fixture
def pg_store(postgres_url):
    store = PostgresStore(postgres_url)
    yield store
    store.close()


def test_open_store_picks_postgres_for_its_urls(postgres_url):
    store = open_store(postgres_url)
    try:
        assert isinstance(store, PostgresStore) and store.url == postgres_url
    finally:
        store.close()


def test_schema_version_is_recorded_and_newer_is_refused(postgres_url):
    PostgresStore(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as db:
        versions = [r[0] for r in db.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, len(MIGRATIONS) + 1))
        db.execute("INSERT INTO schema_version (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match="newer"):
        PostgresStore(postgres_url)


def test_servers_starting_together_migrate_once(postgres_url):
    start, stores, errors = threading.Barrier(4), [], []

    def open_one():
        start.wait()
        try:
            stores.append(PostgresStore(postgres_url))
        except Exception as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == [] and len(stores) == 4
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_each_vector_dimension_gets_an_hnsw_index_that_serves_archive_search(pg_store, postgres_url):
    pg_store.put_article(make_article("small"))
    wide = make_article("wide", digest="w")
    wide.embeddings = np.eye(3, 384, dtype=np.float32)
    pg_store.put_article(wide)
    with psycopg.connect(postgres_url, autocommit=True) as db:
        indexes = {r[0] for r in db.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'sentences'")}
        assert {"sentences_embedding_8", "sentences_embedding_384"} <= indexes
        register_vector(db)
        db.execute("SET enable_seqscan = off")
        sql, params = dense_query(np.eye(1, 8, dtype=np.float32)[0], Scope(source="Gazette"), 5)
        plan = "\n".join(r[0] for r in db.execute(f"EXPLAIN {sql}", params))
        assert "sentences_embedding_8" in plan
    # Each width is searched among vectors of its own width only.
    wide_hits = pg_store.dense_search(np.eye(1, 384, 1, dtype=np.float32)[0], Scope(), 10)
    assert {h.article_id for h in wide_hits} == {"wide"}
    best = pg_store.dense_search(pg_store.get_article("small").embeddings[1], Scope(), 10)[0]
    assert (best.article_id, best.sentence_index) == ("small", 1)


def test_text_postgresql_cannot_hold_is_an_input_error(pg_store):
    article = make_article()
    article.title = "nul\x00byte"
    with pytest.raises(InputError, match="cannot be stored"):
        pg_store.put_article(article)
    assert pg_store.get_article("a1") is None


def test_unreachable_server_is_a_store_error_without_the_password():
    url = f"postgresql://reader:s3cret@127.0.0.1:{free_port()}/news"
    with pytest.raises(StoreError, match="127.0.0.1") as raised:
        PostgresStore(url)
    assert "s3cret" not in str(raised.value) and "/news" in str(raised.value)


def test_pool_size_comes_from_the_settings_given_else_the_environment(postgres_url, monkeypatch):
    monkeypatch.setenv("NUTGRAF_PG_POOL_MAX", "3")
    given = Settings(db=postgres_url, model="none", pg_pool_min=2, pg_pool_max=4, pg_pool_timeout=5)
    for settings, (low, high, timeout) in [(given, (2, 4, 5)), (None, (1, 3, 30))]:
        store = Nutgraf(postgres_url, settings=settings, embed=False).store
        try:
            assert (store._pool.min_size, store._pool.max_size, store._pool.timeout) == (low, high, timeout)
        finally:
            store.close()
    monkeypatch.setenv("NUTGRAF_PG_POOL_MAX", "many")
    with pytest.raises(InputError, match="NUTGRAF_PG_POOL_MAX"):
        Nutgraf(postgres_url)


def test_cache_follows_its_article_without_the_foreign_key(pg_store, postgres_url):
    # As on Citus, where the cache is a reference table and cannot keep the foreign key.
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("ALTER TABLE cache DROP CONSTRAINT cache_article_id_fkey")
    pg_store.put_article(make_article())
    pg_store.cache_put("related", "a1", ["q"], article_id="a1")
    pg_store.cache_put("related", "other", ["q"])
    pg_store.put_article(make_article(digest="h2"))
    assert pg_store.cache_get("related", "a1") is None
    pg_store.cache_put("related", "a1", ["q"], article_id="a1")
    pg_store.delete_article("a1")
    assert pg_store.cache_get("related", "a1") is None and pg_store.cache_get("related", "other") == ["q"]


def test_upgrade_cuts_bands_from_stored_signatures(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as db:  # written before the band index existed
        db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        db.execute("CREATE TABLE schema_version (version integer PRIMARY KEY,"
                   " applied_at timestamptz NOT NULL DEFAULT now())")
        db.execute(MIGRATIONS[0])
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute("INSERT INTO articles (id, authors, origin, content_hash, ingested_at, text, signature)"
                   " VALUES ('old', '[]', 'test', 'h', 'now', 'text', %s)",
                   (np.arange(64, dtype=np.uint64).tobytes(),))
    store = PostgresStore(postgres_url)
    try:
        assert [i for i, _ in store.near_duplicate_candidates(np.arange(64, dtype=np.uint64))] == ["old"]
    finally:
        store.close()


def test_upgrade_marks_stored_quotes_that_ran_to_the_paragraph_end(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as db:  # written before quotes had a form
        db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        db.execute("CREATE TABLE schema_version (version integer PRIMARY KEY,"
                   " applied_at timestamptz NOT NULL DEFAULT now())")
        for number, script in enumerate(MIGRATIONS[:4], start=1):
            db.execute(script)
            db.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
        db.execute("INSERT INTO articles (id, authors, origin, content_hash, ingested_at, text)"
                   " VALUES ('old', '[]', 'test', 'h', 'now', %s)", (TEXT + "\n\nHe said “it never ends",))
        for position, (text, start, end, index) in enumerate([("we are ready for it.", 71, 91, 2),
                                                               ("it never ends", 103, 116, 3)]):
            db.execute('INSERT INTO quotes (article_id, position, text, start, "end", sentence_index, speaker)'
                       " VALUES ('old', %s, %s, %s, %s, %s, NULL)", (position, text, start, end, index))
    store = PostgresStore(postgres_url)
    try:
        assert [(q.text, q.form, q.closed, q.verb) for q in store.get_article("old").quotes] == [
            ("we are ready for it.", "direct", True, None), ("it never ends", "direct", False, None)]
    finally:
        store.close()
