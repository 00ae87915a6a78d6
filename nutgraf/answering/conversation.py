"""Conversations: earlier turns, and follow-ups resolved against them.

"What did he say about Hamas?" after a question about Zelensky means Zelensky. The person a
pronoun stands for is the one the previous turn was about: named in its question, else in
its answer, else in the sentence it cited.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field

from ..records import Article
from ..store.base import Store

NAMESPACE = "conversation"
MAX_TURNS = 20
PRONOUNS = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)


@dataclass
class Turn:
    question: str
    answer: str | None
    article_ids: list[str]
    people: list[str] = field(default_factory=list)  # persons the turn was about, most salient first


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def load(store: Store, conversation_id: str) -> list[Turn]:
    data = store.cache_get(NAMESPACE, conversation_id) or []
    return [Turn(**turn) for turn in data]


def save(store: Store, conversation_id: str, turns: list[Turn]) -> None:
    store.cache_put(NAMESPACE, conversation_id, [asdict(t) for t in turns[-MAX_TURNS:]])


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
