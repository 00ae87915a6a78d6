"""Two ``nutgraf serve`` processes on one database, as behind a load balancer.

What one server writes the other reads; when both ingest the same articles at the same
moment each article is stored exactly once; when both answer one conversation at once,
every turn is kept.
"""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from nutgraf.store import open_store
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "tests" / "fixtures" / "riverside-bridge.md"
ADMIN_KEY = "test-admin-key"
TOWNS = ["Alderford", "Brackenbury", "Coldwater", "Dunmere", "Elmstead", "Fernhollow"]


def council_story(town: str) -> dict:
    text = (
        f"The {town} council voted on Monday to rebuild the old market hall. "
        f"The work in {town} will cost about {len(town)} million euros and start in spring.\n\n"
        f"Mayor Ida Brenner of {town} said the hall would reopen within two years."
    )
    return {"text": text, "title": f"{town} rebuilds its market hall", "source": "Example Gazette",
            "url": f"https://news.example.org/{town.lower()}/market-hall", "published": "2025-03-03"}


class Server:
    def __init__(self, url: str, log: Path):
        self.log = log
        port = free_port()
        env = {**os.environ, "NUTGRAF_DB": url, "NUTGRAF_ADMIN_KEYS": ADMIN_KEY, "NUTGRAF_MODEL": "none",
               "NUTGRAF_RATE_LIMIT": "0"}
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nutgraf.cli", "serve", "--port", str(port)],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                   headers={"Authorization": f"Bearer {ADMIN_KEY}"})

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nutgraf serve exited: {self.log.read_text()[-2000:]}")
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.2)
        raise RuntimeError("nutgraf serve did not answer /healthz within two minutes")

    def post(self, path: str, body) -> dict | list:
        response = self.client.post(path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=30)


@contextmanager
def running_pair(url: str, folder: Path):
    pair = [Server(url, folder / f"serve-{n}.log") for n in range(2)]
    try:
        for server in pair:
            server.wait_until_ready()
        yield pair
    finally:
        for server in pair:
            server.stop()


@pytest.fixture
def servers(postgres_url, tmp_path):
    with running_pair(postgres_url, tmp_path) as pair:
        yield pair


@pytest.mark.slow
def test_two_servers_share_one_archive(servers, postgres_url):
    first, second = servers
    bridge = {"text": BRIDGE.read_text(encoding="utf-8"), "title": "Riverside footbridge",
              "url": "https://news.example.org/local/riverside-footbridge"}
    [added] = first.post("/v1/articles", bridge)["results"]
    assert added["status"] == "added"
    # The other server reads it: whether or not it answers, it cites the sentence that says.
    answer = second.post("/v1/ask", {"question": "When will the footbridge open?"})
    assert {c["article_id"] for c in answer["citations"]} == {added["id"]}
    assert any("summer of 2026" in c["text"] for c in answer["citations"])

    # Both servers ingest the same six stories, in the same order, at the same moment.
    stories = [council_story(town) for town in TOWNS]
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda server: server.post("/v1/articles", stories)["results"], servers))
    statuses: dict[str, list[str]] = {}
    for outcome in replies[0] + replies[1]:
        statuses.setdefault(outcome["id"], []).append(outcome["status"])
    assert len(statuses) == len(TOWNS)
    assert all(sorted(pair) == ["added", "unchanged"] for pair in statuses.values())
    store = open_store(postgres_url)
    try:
        assert sorted(store.article_ids()) == sorted([added["id"], *statuses])
        for article_id in statuses:
            article = store.get_article(article_id)
            assert len(article.sentences) == 3 and article.embeddings.shape == (3, 384)
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_two_servers_answering_one_conversation_keep_every_turn(kind, request, tmp_path):
    url = str(tmp_path / "shared.db") if kind == "sqlite" else request.getfixturevalue("postgres_url")
    bridge = {"text": BRIDGE.read_text(encoding="utf-8"), "title": "Riverside footbridge"}
    with running_pair(url, tmp_path) as pair:
        [added] = pair[0].post("/v1/articles", bridge)["results"]
        conversation_id = pair[1].post("/v1/ask", {"question": "When will the footbridge open?",
                                                   "article_id": added["id"]})["conversation_id"]
        # Two readers on each server, asking follow-ups in the same conversation at once.
        asks = [(pair[n % 2], f"What did reader {n} ask, question {k}, about the footbridge cost?")
                for n in range(4) for k in range(5)]
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda ask: ask[0].post("/v1/ask", {
                "question": ask[1], "article_id": added["id"], "conversation_id": conversation_id}), asks))
    assert {reply["conversation_id"] for reply in replies} == {conversation_id}
    store = open_store(url)
    try:
        turns = store.conversation_turns(conversation_id)
    finally:
        store.close()
    assert len(turns) == 1 + len(asks)
    assert sorted(t.question for t in turns[1:]) == sorted(question for _, question in asks)
