"""Conversations: earlier turns, and follow-ups resolved against them.

"What did he say about Hamas?" after a question about Zelensky means Zelensky. The person a
pronoun stands for is the one the previous turn was about: named in its question, else in
its answer, else in the sentence it cited.
"""

from __future__ import annotations

import re
import uuid

from ..records import Article, Turn
from ..store.base import Store

MAX_TURNS = 20  # earlier turns are kept (until the conversation expires) but not read
PRONOUNS = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)

__all__ = ["Turn", "append", "load", "new_id", "people_in", "resolve"]


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def load(store: Store, conversation_id: str) -> list[Turn]:
    """The conversation's last turns, oldest first (none for an unknown or expired id)."""
    return store.conversation_turns(conversation_id, limit=MAX_TURNS)


def append(store: Store, conversation_id: str, turn: Turn) -> None:
    """Add one turn: atomic in the store, so workers answering one conversation lose none."""
    store.append_turn(conversation_id, turn)


def people_in(texts: list[str], articles: list[Article]) -> list[str]:
    """Canonical names of the persons these texts mention, in order of first mention."""
    found: dict[str, int] = {}
    for article in articles:
        for entity in article.entities:
            if entity.label != "PERSON":
                continue
            variants = {entity.name, *(m.text for m in entity.mentions)}
            for order, text in enumerate(texts):
                positions = [text.find(v) for v in variants if v and v in text]
                if positions:
                    rank = order * 10_000 + min(positions)
                    found[entity.name] = min(found.get(entity.name, rank), rank)
                    break
    return sorted(found, key=found.get)


def resolve(question: str, turns: list[Turn]) -> str:
    """The question with a personal pronoun replaced by the person the last turn was about."""
    if not turns or not turns[-1].people or not PRONOUNS.search(question):
        return question
    person = turns[-1].people[0]

    def name_for(match: re.Match) -> str:
        word = match.group(1).lower()
        return f"{person}'s" if word in {"his", "hers"} else person

    return PRONOUNS.sub(name_for, question, count=1)
