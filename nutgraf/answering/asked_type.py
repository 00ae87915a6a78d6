"""What type of answer a question's words ask for, and whether an answer is of that type.

"Where ...?" wants a place, "How many ...?" a number, "When ...?" a time, "What is Orban's
position?" a title, not a name. An answer of another type ("Viktor Orban" for his position,
"Budapest" for when) is no answer, however sure the model was; nor is one that only repeats
the question's own words.
"""

from __future__ import annotations

import re
from enum import StrEnum

from ..records import Article
from .spans import term_coverage


class Expected(StrEnum):
    PERSON = "person"  # or a group, an organisation or a country: "Who won?" → "the council"
    PLACE = "place"
    TIME = "time"
    NUMBER = "number"
    POSITION = "position"  # a title or a role, not a name


QUESTION_TYPES = [
    (re.compile(r"^\s*(?:and\s+)?(?:what|which)\s+(?:position|role|title|job|post|office)\b"
                r"|\b(?:'s|’s)\s+(?:position|role|title|job|post)\b", re.I), Expected.POSITION),
    (re.compile(r"^\s*(?:and\s+)?(?:how\s+(?:many|much)|what\s+(?:percentage|percent|share|number|amount))\b",
                re.I), Expected.NUMBER),
    (re.compile(r"^\s*(?:and\s+)?(?:when|what\s+(?:year|date|day|time|month)|on\s+what\s+(?:day|date)|"
                r"since\s+when|how\s+long\s+ago)\b", re.I), Expected.TIME),
    (re.compile(r"^\s*(?:and\s+)?where\b", re.I), Expected.PLACE),
    (re.compile(r"^\s*(?:and\s+)?(?:who|whom)\b(?!\s+(?:is|was|are|were)\s+[A-Z])", re.I), Expected.PERSON),
]
NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|"
    r"millions?|billions?|trillions?|half|quarter|third|several|few|many|no|none|all|most)\b",
    re.IGNORECASE,
)
TIME = re.compile(
    r"\d|\b(?:today|tonight|tomorrow|yesterday|morning|afternoon|evening|night|week|weekend|month|year|"
    r"decade|century|season|spring|summer|autumn|fall|winter|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|ago|since|until|before|after|during|later|earlier|soon|recently|now|then|once|next|last)\b",
    re.IGNORECASE,
)
PLACE_WORDS = re.compile(
    r"\b(?:city|town|village|country|state|province|region|capital|border|coast|island|river|lake|"
    r"mountains?|street|road|square|building|house|office|headquarters|home|abroad|overseas|nationwide|"
    r"hospital|school|court|airport|station|port|base|camp|prison|embassy|north|south|east|west)\b",
    re.IGNORECASE,
)
ROLES = (r"president|minister|prime|chancellor|secretary|leader|chief|head|director|chair\w*|governor|mayor|"
         r"senator|member|official|spokes\w+|ambassador|general|commander|judge|coach|captain|founder|executive|"
         r"manager|editor|professor|counterpart|king|queen|prince|pope|ceo|adviser|advisor|envoy")
ROLE_WORDS = re.compile(rf"\b(?:{ROLES})\b", re.IGNORECASE)
# Who answers a "who" question when no name does: "the council", "police", "local residents".
PEOPLE_WORDS = re.compile(
    rf"\b(?:{ROLES}|council|committee|government|police|court|party|army|people|resident|voter|worker|student|"
    r"player|team|company|firm|group|board|authorit|agenc|union|member)\w*",
    re.IGNORECASE,
)
NAME_WORD = re.compile(r"^[A-Z][\w.’'-]*$")
SENTENCE_OPENERS = {"The", "A", "An", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I",
                    "His", "Her", "Its", "Their", "Our", "In", "On", "At", "By", "From"}
ECHO = 0.999  # every content word of the answer is one of the question's: it says nothing new


def expected(question: str) -> Expected | None:
    """The type the question asks for, or None when its words do not fix one."""
    for pattern, wanted in QUESTION_TYPES:
        if pattern.search(question):
            return wanted
    return None


def of_asked_type(question: str, answer: str, article: Article | None = None,
                  sentence_index: int | None = None) -> bool:
    """Whether ``answer`` is an answer of the type ``question`` asks for, and not an echo of it."""
    if term_coverage(answer, question) >= ECHO:
        return False
    wanted = expected(question)
    if wanted is None:
        return True
    if wanted is Expected.NUMBER:
        return bool(NUMBER.search(answer))
    if wanted is Expected.TIME:
        return bool(TIME.search(answer))
    if wanted is Expected.POSITION:
        return bool(ROLE_WORDS.search(answer)) or not _only_names(answer)
    labels = {"GPE", "LOC", "FAC", "ORG"} if wanted is Expected.PLACE else {"PERSON", "ORG", "NORP", "GPE"}
    if _names_an_entity(answer, labels, article, sentence_index) or _has_capitalised_word(answer):
        return True
    return bool((PLACE_WORDS if wanted is Expected.PLACE else PEOPLE_WORDS).search(answer))


def _only_names(text: str) -> bool:
    words = [w for w in re.findall(r"[\w.’'-]+", text) if w.lower() not in {"the", "of", "and"}]
    return bool(words) and all(NAME_WORD.match(w) for w in words)


def _has_capitalised_word(text: str) -> bool:
    """A word written as a name ("Budapest", "Truth Social"), not a capital that opens a sentence."""
    return any(NAME_WORD.match(word) and word not in SENTENCE_OPENERS for word in text.split())


def _names_an_entity(answer: str, labels: set[str], article: Article | None, sentence_index: int | None) -> bool:
    if article is None:
        return False
    lowered = answer.lower()
    return any(entity.label in labels and any(m.text.lower() in lowered for m in entity.mentions
                                              if sentence_index is None or m.sentence_index == sentence_index)
               for entity in article.entities)
