"""Driving the widget in a real browser (Debian's Chromium, headless) against ``nutgraf serve``.

Screenshots go to test-artifacts/server/.
"""

from pathlib import Path

import httpx
import pytest

from tests.server.conftest import FIXTURES

from .site import CHROMIUM, MARATHON

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "server"
# Every browser test module: ``pytestmark = BROWSER``.
BROWSER = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

expect = pytest.importorskip("playwright.sync_api").expect


def screenshot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def api_answer(site, title: str, question: str) -> dict:
    """What the API answers, for comparing with what the widget shows."""
    base, _, ids = site
    response = httpx.post(f"{base}/v1/ask", json={"question": question, "article_id": ids[title]}, timeout=120)
    answer = response.json()
    assert answer["citations"], answer
    return answer


def sentence(sentences: dict, title: str, opening: str) -> dict:
    """The citation of the sentence of ``title`` that begins with ``opening``."""
    return next(c for c in sentences[title].values() if c["text"].startswith(opening))


def with_markers(text: str, count: int) -> str:
    return f"{text} " + "".join(f"[{n}]" for n in range(1, count + 1)) if count else text


def plain(text: str) -> str:
    return " ".join(text.split())


def shown(answer: dict) -> str:
    """The words the widget shows for an answer of today's server (no grade, kind or points)."""
    if answer["answerable"]:
        return answer["answer"][0].upper() + answer["answer"][1:]
    note = answer["note"] or ""
    return note if note.startswith("The article does not say") else plain(f"The article does not say. {note}")


def open_publisher_page(page, site, publisher, api: str | None = None, article: bool = True):
    """The publisher's marathon page (no nutgraf markup) with the widget from the nutgraf server,
    for the marathon article or (``article=False``) the whole archive."""
    base, _, ids = site
    widget = f'<script src="{base}/widget.js" data-article="{ids[MARATHON] if article else ""}"'
    widget += f' data-api="{api}"></script>' if api else "></script>"
    publisher.show((FIXTURES / "publisher-marathon.html").read_text(encoding="utf-8").replace("WIDGET_SCRIPT", widget))
    page.goto(f"{publisher.origin}/marathon")
    expect(page.get_by_role("textbox", name="Your question")).to_be_visible()
    return page.locator("nutgraf-ask")


def ask(page, question: str):
    """Types the question, presses Enter and waits for the final answer; returns the widget."""
    box = page.get_by_role("textbox", name="Your question")
    box.fill(question)
    with page.expect_response("**/v1/ask") as response:
        box.press("Enter")
    assert response.value.headers["content-type"].startswith("text/event-stream")
    widget = page.locator("nutgraf-ask")
    expect(widget.locator(".feedback")).to_be_visible()
    return widget


def show_answer(page, answer: dict) -> None:
    page.evaluate("answer => document.querySelector('nutgraf-ask').showAnswer(answer)", answer)


def marked_text(page, selector: str) -> str:
    """The page's text inside the marks `selector` finds, in page order."""
    return plain("".join(page.locator(selector).all_text_contents()))


def answer_of(kind: str, citations: list[dict], **fields) -> dict:
    """An answer of ``kind`` as the server sends it, with ``fields`` in place of its defaults."""
    return {"question": "A question?", "resolved_question": "A question?", "answer": None, "answerable": True,
            "confidence": 0.9, "kind": kind, "grade": "answer", "verdict": None, "points": [],
            "citations": citations, "explanation": None, "note": None, "related": [],
            "conversation_id": "c0ffee", "mode": "extractive", "timings_ms": {}, **fields}
