"""Each ask kept in the question log, grouped with the near-identical questions of its article.

What is kept of an ask: the article, the question as asked and as resolved, the kind and grade
of its answer, its confidence and latency, the reader's language, whether it was a question
of the explore panel, and the reader's rating when one comes. Not kept: an address, a
browser, a cookie or any id of the reader, so the log cannot tell two readers apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np

from ..records import Answer, LoggedAsk
from ..store import Store
from .grouping import closest_group, joined_mean, pack_mean, question_form, same_form, unpack_mean, wording_key

PANEL = "panel"  # an ask's source when a reader opened a question of the explore panel
SOURCES = ("box", PANEL)  # "box": typed into the Ask box (or asked from code)


def ask_id_text(ask_id: int) -> str:
    """An ask's id as answers and ratings carry it."""
    return f"{ask_id:016x}"


def ask_id_number(text: str) -> int | None:
    """The id of :func:`ask_id_text`, or None for anything else."""
    if len(text) != 16:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


class QuestionLog:
    """Records asks in ``store``; ``embed`` turns wordings into unit vectors (the embedder's)."""

    def __init__(self, store: Store, embed: Callable[[list[str]], np.ndarray]):
        self.store = store
        self.embed = embed

    def record(self, answer: Answer, article_id: str | None, *, source: str = "box", sample: bool = False,
               asked_at: datetime | None = None) -> str:
        """Keep the ask ``answer`` answered (about ``article_id``, None for the whole archive);
        returns its id. ``sample`` marks asks made for the demo, not by a reader."""
        question = (answer.resolved_question or answer.question).strip()
        asked = answer.question.strip()
        ask = LoggedAsk(
            question=question, key=wording_key(question), form=question_form(question),
            asked=asked if asked != question else None,
            kind=str(answer.kind), grade=str(answer.grade), confidence=answer.confidence,
            latency_ms=round(answer.timings_ms["total"]) if "total" in answer.timings_ms else None,
            language=answer.language, article_id=article_id,
            panel_key=wording_key(asked) if source == PANEL else None, sample=sample, asked_at=asked_at)
        # Embedded before the write, unless the wording is known: the write holds a lock.
        vector = None if self.store.knows_wording(article_id, ask.key) else self.embed([question])[0]
        return ask_id_text(self.store.log_ask(ask, lambda groups: self._group(groups, vector, ask)))

    def _group(self, groups: list[tuple[int, bytes, int, str]], vector: np.ndarray | None,
               ask: LoggedAsk) -> tuple[int | None, bytes]:
        """The group a new wording joins (None: its own), and that group's mean with it."""
        if vector is None:  # another process had asked it, then it expired meanwhile
            vector = self.embed([ask.question])[0]
        candidates = [group for group in groups if same_form(ask.form, group[3])]
        means = np.array([unpack_mean(group[1]) for group in candidates]).reshape(len(candidates), len(vector))
        chosen = closest_group(vector, means)
        if chosen is None:
            return None, pack_mean(vector)
        group_id, _, size, _ = candidates[chosen]
        return group_id, pack_mean(joined_mean(means[chosen], size, vector))

    def rate(self, ask_id: str, rating: str) -> bool:
        """Keep a reader's rating with the ask ``ask_id`` names; False when it is not kept."""
        number = ask_id_number(ask_id)
        return number is not None and self.store.rate_ask(number, rating)

    def shown(self, questions: Iterable[dict]) -> None:
        """Count a showing of each explore panel question (``{"question", "article_id"}``),
        under the article that answers it, where a click on it is asked."""
        self.store.count_shown([(item["article_id"], wording_key(item["question"]), item["question"])
                                for item in questions if item.get("article_id") and item.get("question")])
