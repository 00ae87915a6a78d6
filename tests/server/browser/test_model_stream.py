"""A real language model's answer, shown as it is written, then replaced by the checked answer."""

import json
import threading

import httpx
import pytest

from nutgraf.llm import model_path
from tests.server.conftest import fixture_documents
from tests.server.live import ADMIN, ADMIN_KEY, serve_process

from .site import Publisher
from .widget import ARTIFACTS, BROWSER, expect, open_publisher_page

pytestmark = BROWSER


@pytest.fixture(scope="module")
def llm_site(tmp_path_factory):
    """A server answering with a real language model (SmolLM2: small, fast, weak), which
    streams `delta` events, behind a publisher of its own: (base URL, database, ids, publisher)."""
    publisher = Publisher()
    threading.Thread(target=publisher.server.serve_forever, daemon=True).start()
    db = tmp_path_factory.mktemp("browser-llm") / "nutgraf.db"
    env = {"NUTGRAF_ADMIN_KEYS": ADMIN_KEY, "NUTGRAF_RELATED_ON_INGEST": "0"}
    try:
        with serve_process(db, "--model", str(model_path("smollm2-135m")), "--rate-limit", "0", env=env) as base:
            response = httpx.post(f"{base}/v1/articles", json=fixture_documents(), headers=ADMIN, timeout=120)
            assert response.status_code == 200, response.text
            publisher.relay_to(base)
            yield base, db, {r["title"]: r["id"] for r in response.json()["results"]}, publisher
    finally:
        publisher.release()
        publisher.server.shutdown()


def test_while_the_model_reads_the_widget_shows_only_what_has_passed_its_checks(page, llm_site):
    base, db, ids, publisher = llm_site
    # Asked of the whole archive, so no explore panel keeps the model busy working out questions.
    widget = open_publisher_page(page, (base, db, ids), publisher, api=publisher.relay, article=False)
    answer = widget.locator(".result .answer")
    publisher.hold_answers()
    try:
        box = page.get_by_role("textbox", name="Your question")
        box.fill("Who won the Kestrel Valley marathon?")
        box.press("Enter")
        publisher.wait_until_holding()
        deltas = [json.loads(data)["text"] for kind, data in publisher.server.sent if kind == "delta"]
        assert len(deltas) <= 1  # the checked answer's text, once, or nothing: never the model's words
        if deltas:
            expect(answer.locator(".answer-text.streaming .text")).to_have_text(deltas[0])
        else:
            expect(answer).to_have_text("Reading\u2026")
        expect(answer).to_have_attribute("aria-busy", "true")
        expect(page.locator('article mark[data-nutgraf-highlight="looking"]').first).to_be_visible()
        widget.screenshot(path=str(ARTIFACTS / "streaming.png"))
    finally:
        publisher.release()
    expect(answer).to_have_attribute("aria-busy", "false")
    final = json.loads(publisher.server.sent[-1][1])
    assert publisher.server.sent[-1][0] == "answer" and final["mode"].startswith("llm:")
    assert deltas == ([final["answer"]] if final["answer"] else [])
    expect(answer.locator(".streaming")).to_have_count(0)
    expect(page.locator('mark[data-nutgraf-highlight="looking"]')).to_have_count(0)
    expect(answer.locator(".cite")).to_have_count(len({(c["article_id"], c["sentence_index"])
                                                       for c in final["citations"]}))
