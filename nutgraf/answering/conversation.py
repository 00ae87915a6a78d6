"""Conversations: earlier turns, and follow-ups made into questions that stand on their own.

"And what did he say about Hamas?" after a question about Zelensky means Zelensky; "And
Putin?" after "What did Zelensky say?" means "What did Putin say?"; "When?" after "Where will
the summit take place?" means "When will the summit take place?". Those are resolved here
by rule, against the previous turn and the people and things the articles name. A follow-up
the rules cannot resolve ("Is it confirmed?") is left to the language model when there is one
(see ``reader.rewrite_follow_up``).
"""

from __future__ import annotations

import re
import uuid

from ..records import Article, Turn
from ..store.base import Store
from .structures import entity_named

MAX_TURNS = 20  # earlier turns are kept (until the conversation expires) but not read
PRONOUNS = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)
THING_PRONOUNS = re.compile(r"\b(it|its|they|them|their|there|this|that|these|those)\b", re.IGNORECASE)
LEADING_CONJUNCTION = re.compile(r"^(?:and|but|so|also|ok(?:ay)?|then|well)\b[,\s]+", re.IGNORECASE)
BARE_WH = re.compile(r"^(why|when|where|how|who|what|how come)\s*[?.!]*$", re.IGNORECASE)
FRAGMENT = re.compile(r"^(?:(?:what|how)\s+about\s+|and\s+|as\s+for\s+)?(?P<about>about\s+)?(?P<thing>[^?]+?)\s*\??$",
                      re.IGNORECASE)
WH_START = re.compile(r"^(who|whom|whose|what|which|when|where|why|how(?:\s+\w+)?)\b\s*", re.IGNORECASE)
WH_WORD = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b", re.IGNORECASE)
AUX_START = re.compile(r"^(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.IGNORECASE)
ABOUT_TAIL = re.compile(r"\babout\s+[^?]+", re.IGNORECASE)
HAS_VERB = re.compile(r"\b(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|say|said|"
                      r"happen\w*|mean\w*|think\w*|want\w*|react\w*|\w+ed)\b", re.IGNORECASE)

__all__ = ["Turn", "append", "load", "needs_context", "new_id", "people_in", "resolve"]


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


def resolve(question: str, turns: list[Turn], articles: list[Article] = ()) -> str:
    """The question made to stand on its own against the last turn, where rules can."""
    if not turns:
        return question
    previous = turns[-1].resolved or turns[-1].question
    if BARE_WH.match(question.strip()):
        return _same_question_asking(question.strip(" ?.!").lower(), previous)
    stripped = LEADING_CONJUNCTION.sub("", question).strip()
    fragment = FRAGMENT.match(stripped) if not HAS_VERB.search(stripped) else None
    if fragment and not WH_WORD.search(fragment.group("thing")):  # "Against whom?" is the model's
        return _previous_about(fragment.group("thing"), bool(fragment.group("about")), previous, articles)
    resolved = _person_for_pronoun(stripped, turns)
    return resolved[:1].upper() + resolved[1:]


def needs_context(question: str, turns: list[Turn]) -> bool:
    """Whether a question still leans on an earlier turn: for what "it" or "they" is, or, a
    fragment with no verb ("Against whom?"), for all but what it asks."""
    if not turns:
        return False
    fragment = not HAS_VERB.search(question) and len(question.split()) <= 4
    return (bool(THING_PRONOUNS.search(question)) and len(question.split()) <= 12) or fragment


def _same_question_asking(wh: str, previous: str) -> str:
    """"When?" after "Where will the summit take place?" → "When will the summit take place?"."""
    if match := WH_START.match(previous):
        return f"{wh.capitalize()} {previous[match.end():]}"
    if AUX_START.match(previous):
        return f"{wh.capitalize()} {previous[:1].lower()}{previous[1:]}"
    return f"{wh.capitalize()}? ({previous})"


def _previous_about(thing: str, about: bool, previous: str, articles: list[Article]) -> str:
    """"And Putin?" after "What did Zelensky say?" → "What did Putin say?"."""
    thing = thing.strip()
    if about and ABOUT_TAIL.search(previous):
        return ABOUT_TAIL.sub(f"about {thing}", previous, count=1).rstrip("?") + "?"
    for article in articles:
        new = entity_named(thing, article)
        old = entity_named(previous, article, {new.label} if new else None)
        if old is not None and new is not None and old.name != new.name:
            for variant in sorted({old.name, *(m.text for m in old.mentions)}, key=len, reverse=True):
                if variant in previous:
                    return previous.replace(variant, thing, 1)
    if ABOUT_TAIL.search(previous):
        return ABOUT_TAIL.sub(f"about {thing}", previous, count=1).rstrip("?") + "?"
    return f"{previous.rstrip('?')}, about {thing}?"


def _person_for_pronoun(question: str, turns: list[Turn]) -> str:
    """A personal pronoun replaced by the person the latest turns were about."""
    if not PRONOUNS.search(question):
        return question
    person = next((turn.people[0] for turn in reversed(turns) if turn.people), None)
    if person is None:
        return question

    def name_for(match: re.Match) -> str:
        word = match.group(1).lower()
        return f"{person}'s" if word in {"his", "hers"} else person

    return PRONOUNS.sub(name_for, question, count=1)
