"""Sample asks for the demo, so that the insights page shows something on a fresh machine.

Each sample question is asked once of its sample article (in the mode the settings give:
``model="none"`` answers extractively, in seconds), then kept in the question log as asked
by as many readers as the question says, at times spread over the last fortnight, marked as
sample data. Readers of a prepared article also see its explore panel and open some of its
questions. Nothing is added when the log already holds sample asks.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..api import Nutgraf
from ..records import Answer, Feedback, Scope
from .recording import PANEL

QUESTIONS = Path(__file__).with_name("sample_questions.json")
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DAYS = 14  # asks are spread over this many days before now
PANEL_VIEWS = 12  # readers of a prepared article who see its explore panel
PANEL_OPENED = (0.5, 0.25, 0.1)  # the share of them who open its first, second and third question


def sample_files(extra: list[Path] = ()) -> dict[str, Path]:
    """The sample articles by file name: the packaged ones and any ``extra`` that exist."""
    return {path.name: path for path in [*sorted(SAMPLES.glob("*.md")), *extra] if path.is_file()}


def seed(nutgraf: Nutgraf, files: dict[str, Path], seed_number: int = 2025) -> int:
    """Ask the sample questions of the sample ``files`` (ingested first, when they are not);
    returns how many asks were kept, 0 when sample asks are there already."""
    if nutgraf.insights(limit=1)["totals"]["sample"]:
        return 0
    rng = random.Random(seed_number)
    now = datetime.now(timezone.utc)
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))["articles"]
    ingested = {outcome.origin: outcome for outcome in nutgraf.ingest([str(path) for path in files.values()])}
    kept = 0
    for name, path in files.items():
        outcome = ingested.get(str(path))
        if outcome is None or outcome.failed or name not in questions:
            continue
        for item in questions[name]:
            kept += _ask(nutgraf, outcome.article_id, item, rng, now)
        kept += _open_panel(nutgraf, outcome.article_id, rng, now)
    return kept


def _answer(nutgraf: Nutgraf, question: str, article_id: str) -> Answer:
    """The answer a reader gets, kept out of any conversation (no reader is asking)."""
    return nutgraf.answerer.answer(question, Scope(article_ids=[article_id]), remember=False)


def _ask(nutgraf: Nutgraf, article_id: str, item: dict, rng: random.Random, now: datetime) -> int:
    answer = _answer(nutgraf, item["question"], article_id)
    for reader in range(item["readers"]):
        ask_id = nutgraf.question_log.record(answer, article_id, sample=True, asked_at=_when(rng, now))
        if reader == 0 and item.get("rating"):
            nutgraf.add_feedback(Feedback(item["rating"], answer.question, answer.answer or answer.note,
                                          comment=item.get("comment"), article_id=article_id, ask_id=ask_id))
    return item["readers"]


def _open_panel(nutgraf: Nutgraf, article_id: str, rng: random.Random, now: datetime) -> int:
    """Readers see the article's explore panel, and some open its first questions."""
    if not nutgraf.is_prepared(article_id):
        return 0
    shown = nutgraf.related(article_id)["questions"]
    answers = {item["question"]: _answer(nutgraf, item["question"], item["article_id"])
               for item in shown[:len(PANEL_OPENED)]}
    opened = 0
    for _ in range(PANEL_VIEWS):
        nutgraf.question_log.shown(shown)
        for item, share in zip(shown, PANEL_OPENED):
            if rng.random() < share:
                nutgraf.question_log.record(answers[item["question"]], item["article_id"], source=PANEL,
                                            sample=True, asked_at=_when(rng, now))
                opened += 1
    return opened


def _when(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
