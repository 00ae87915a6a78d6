"""Named entities with one canonical form per article.

A news story names a person in full once ("Russian President Vladimir Putin") and by surname
afterwards ("Putin"); the small spaCy model also labels a bare surname as an ORG now and then.
Within one article a surname that matches exactly one full name is that person.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from ..records import Entity, Mention

KEPT_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
# Labels a bare surname is sometimes given by mistake.
SURNAME_CONFUSIONS = {"PERSON", "ORG", "GPE", "NORP", "PRODUCT"}
TITLES = {
    "mr", "mrs", "ms", "dr", "president", "prime", "minister", "sen", "senator", "rep",
    "gov", "governor", "gen", "general", "chancellor", "secretary", "prof", "professor",
    "sir", "lord", "pope", "king", "queen", "prince", "princess", "judge", "justice", "mayor",
    "lt", "col", "capt", "sgt", "rev", "chief", "ceo", "chairman", "speaker", "ambassador",
    "councillor", "councilor", "councilman", "councilwoman", "commissioner", "deputy",
    "spokesman", "spokeswoman", "coach", "officer", "detective", "inspector", "superintendent",
    "attorney", "director", "editor", "vice", "premier", "emir", "sheikh", "supreme", "leader",
}
POSSESSIVE = re.compile(r"(?:['’]s|['’])$")


@dataclass
class RawMention:
    start: int
    end: int
    label: str
    sentence_index: int


def _clean_span(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    """Trim a leading "the", honorifics on people, and a trailing possessive."""
    surface = text[start:end]
    if surface.lower().startswith("the ") and label != "WORK_OF_ART":
        start += 4
    possessive = POSSESSIVE.search(text[start:end])
    if possessive and end - start > len(possessive.group()):
        end -= len(possessive.group())
    if label == "PERSON":
        while True:
            word = re.match(r"(\S+)\s+", text[start:end])
            if not word or word.group(1).lower().rstrip(".") not in TITLES:
                break
            start += word.end()
    return start, end


def _surname_owner(surface: str, full_names: dict[str, list[str]]) -> str | None:
    owners = full_names.get(surface.lower())
    return owners[0] if owners and len(set(owners)) == 1 else None


def canonical_entities(text: str, raw: list[RawMention]) -> list[Entity]:
    cleaned = []
    for mention in raw:
        if mention.label not in KEPT_LABELS:
            continue
        start, end = _clean_span(text, mention.start, mention.end, mention.label)
        if end > start:
            cleaned.append((start, end, mention.label, mention.sentence_index))

    # Every token of a multi-word PERSON name may stand for it alone ("Putin", "Orban").
    full_names: dict[str, list[str]] = defaultdict(list)
    for start, end, label, _ in cleaned:
        name = text[start:end]
        if label == "PERSON" and len(name.split()) >= 2:
            full_names[name.split()[-1].lower()].append(name)

    groups: dict[str, list[tuple[Mention, str]]] = defaultdict(list)
    for start, end, label, sentence_index in cleaned:
        surface = text[start:end]
        owner = None
        if len(surface.split()) == 1 and label in SURNAME_CONFUSIONS:
            owner = _surname_owner(surface, full_names)
        name = owner or surface
        groups[name.lower()].append((Mention(sentence_index, start, end, surface), "PERSON" if owner else label))

    entities = []
    for members in groups.values():
        mentions = [m for m, _ in members]
        label = Counter(lbl for _, lbl in members).most_common(1)[0][0]
        name = Counter(m.text for m in mentions).most_common(1)[0][0]
        longest = max(mentions, key=lambda m: len(m.text)).text
        if label == "PERSON":
            name = longest
        entities.append(Entity(name=name, label=label, mentions=mentions))
    entities.sort(key=lambda e: (-len(e.mentions), e.mentions[0].start))
    return entities
