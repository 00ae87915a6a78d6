"""The server expires old conversations on its own, and never touches feedback."""

import time

from nutgraf.records import Feedback, Turn
from nutgraf.settings import Settings
from nutgraf.store import open_store
from tests.server.live import app_server
from tests.store.test_reader_data import backdate


def test_the_server_expires_old_conversations_and_keeps_feedback(tmp_path):
    db = str(tmp_path / "nutgraf.db")
    store = open_store(db)
    try:
        for conversation_id in ("old", "recent"):
            store.append_turn(conversation_id, Turn("Where is the summit?", "Budapest", ["a1"]))
        kept = store.add_feedback(Feedback("helpful", "Where is the summit?", conversation_id="old"))
        settings = Settings(db=db, model="none", conversation_days=2, gc_interval=0.2, rate_limit=0)
        with app_server(settings):
            time.sleep(0.5)  # past the run at start-up: the one that follows must find it
            assert store.conversation("old") is not None
            backdate(store, "old", days=3)
            deadline = time.monotonic() + 20
            while store.conversation("old") is not None and time.monotonic() < deadline:
                time.sleep(0.1)
        assert store.conversation("old") is None
        assert store.conversation("recent") is not None
        assert store.feedback() == [kept]
    finally:
        store.close()
