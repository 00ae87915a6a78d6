"""The preparation queue on both stores: shared by workers, never one job twice at once,
and a dead worker's job taken up again."""

import subprocess
import sys
import textwrap
import threading
import time

from nutgraf.jobs import PREPARE
from nutgraf.records import Document
from nutgraf.store.base import Store


def stored(store: Store, count: int) -> list[str]:
    from nutgraf.ingest.pipeline import Ingester

    documents = [Document(text=f"Story number {n} is about the harbour. It has two sentences.", title=f"Story {n}")
                 for n in range(count)]
    return [outcome.article_id for outcome in Ingester(store).ingest_all(documents)]


def test_two_workers_take_one_job_each(store_factory):
    first, second = store_factory(), store_factory()
    ids = stored(first, 2)
    first.enqueue(PREPARE, ids)
    taken = [first.claim(PREPARE, "worker-a", 60, 3), second.claim(PREPARE, "worker-b", 60, 3)]
    assert sorted(taken) == sorted(ids)
    assert first.claim(PREPARE, "worker-c", 60, 3) is None
    assert first.job_counts(PREPARE) == {"running": 2}
    first.finish(PREPARE, taken[0], "worker-a")
    second.finish(PREPARE, taken[1], "worker-b", error="the model was away")
    assert first.job_counts(PREPARE) == {"done": 1, "failed": 1}


def test_many_workers_at_once_never_share_a_job(store_factory):
    stores = [store_factory() for _ in range(4)]
    ids = stored(stores[0], 12)
    stores[0].enqueue(PREPARE, ids)
    taken: list[str] = []
    lock = threading.Lock()

    def work(store: Store, name: str) -> None:
        while (article_id := store.claim(PREPARE, name, 60, 3)) is not None:
            with lock:
                taken.append(article_id)
            store.finish(PREPARE, article_id, name)

    threads = [threading.Thread(target=work, args=(s, f"w{n}")) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)
    assert stores[0].job_counts(PREPARE) == {"done": 12}


def test_the_job_of_a_killed_worker_is_taken_up_again(store_factory, tmp_path):
    store = store_factory()
    [article_id] = stored(store, 1)
    store.enqueue(PREPARE, [article_id])
    program = textwrap.dedent(f"""
        import os, signal
        from nutgraf.store import open_store
        store = open_store({store.url!r})
        print(store.claim("prepare", "doomed", 60, 3), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # dies in the middle of the job
    """)
    killed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert killed.stdout.strip() == article_id
    assert store.claim(PREPARE, "patient", 60, 3) is None  # its heartbeat is still fresh
    time.sleep(1.1)
    assert store.claim(PREPARE, "patient", 1, 3) == article_id
    assert not store.heartbeat(PREPARE, article_id, "doomed")  # no longer its job
    assert store.heartbeat(PREPARE, article_id, "patient")


def test_a_job_that_keeps_dying_fails_instead_of_looping(store):
    [article_id] = stored(store, 1)
    store.enqueue(PREPARE, [article_id])
    for attempt in range(3):  # each worker dies without finishing
        assert store.claim(PREPARE, f"try-{attempt}", 1, 3) == article_id
        time.sleep(1.1)
    assert store.claim(PREPARE, "last", 1, 3) is None
    assert store.job_counts(PREPARE) == {"failed": 1}


def test_an_article_changed_while_prepared_is_prepared_again(store):
    [article_id] = stored(store, 1)
    store.enqueue(PREPARE, [article_id])
    assert store.claim(PREPARE, "w", 60, 3) == article_id
    store.enqueue(PREPARE, [article_id])  # a new version arrives meanwhile
    assert store.job_state(PREPARE, article_id) == "running"
    store.finish(PREPARE, article_id, "w")
    assert store.job_state(PREPARE, article_id) == "queued"
    assert store.claim(PREPARE, "w", 60, 3) == article_id


def test_jobs_go_with_their_article(store):
    [article_id] = stored(store, 1)
    store.enqueue(PREPARE, [article_id])
    assert store.delete_article(article_id)
    assert store.job_counts(PREPARE) == {}
