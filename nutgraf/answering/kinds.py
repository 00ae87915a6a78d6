"""What form of answer a question wants, from the way it is asked.

"Why ...?" wants an explanation, "Is ...?" a yes or no, "What are the issues?" a list,
"What did Zelensky say?" his words, "Who is Viktor Orban?" what the story says he is,
"When ...?" a day, "What is this about?" the story in three points; anything else a phrase.
A question with no topic of its own ("What happened?", "Give me the highlights") asks for
the story as a whole. The form decides how the evidence is read; the article may still widen
it (a sentence that introduces a bulleted list answers with the list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Article, Entity, Kind
from ..store.query import query_terms
from .structures import entity_named

OVERVIEW_FORMS = re.compile(
    r"^(?:so\s+)?(?:what(?:'s|’s| is| was)\s+(?:this|the|that)\s+(?:article|story|piece|report|news|text)?\s*(?:about|saying)\b"
    r"|what(?:'s|’s| is)\s+(?:this|it)\s+about\b|what(?:'s|’s| is)\s+the\s+(?:gist|story|upshot|bottom line)\b"
    r"|(?:please\s+)?(?:summari[sz]e|sum\s+up|recap|give\s+me\s+(?:the|a)\s+(?:gist|summary|rundown|overview))"
    r"|(?:tl;?dr|in\s+(?:short|brief|a nutshell))\b"
    r"|what\s+are\s+the\s+(?:key|main)\s+(?:points|takeaways|facts)|(?:key|main)\s+(?:points|takeaways)\b)",
    re.IGNORECASE,
)
YES_NO_FORMS = re.compile(
    r"^(?:and\s+|but\s+|so\s+)?(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|"
    r"should|shall|may|might|must|isn't|aren't|wasn't|weren't|doesn't|don't|didn't|hasn't|"
    r"haven't|won't|wouldn't|can't|couldn't)\b",
    re.IGNORECASE,
)
ALTERNATIVE = re.compile(r"\bor\b(?!\s+not\b)[^?]*\?*\s*$", re.IGNORECASE)  # "Is it A or B?" wants A or B
QUOTE_FORMS = re.compile(
    r"^(?:and\s+)?what\s+(?:else\s+)?(?:did|does|has|had|have|do)\s+(?P<who>.+?)\s+"
    r"(?:say|said|tell|told|write|wrote|claim|state|warn|argue|add|think|hope|emphasi[sz]e|stress|insist|"
    r"suggest|promise|announce|propose|demand|believe|predict|recall|admit|deny|note|explain|ask)\b(?P<rest>.*)$"
    r"|^(?:and\s+)?how\s+(?:did|does|has)\s+(?P<who2>.+?)\s+(?:react|respond|reply|answer)\b(?P<rest2>.*)$"
    r"|^(?:and\s+)?what\s+(?:was|is)\s+(?P<who3>.+?)(?:'s|’s)\s+(?:reaction|response|reply|view|position|message)\b(?P<rest3>.*)$",
    re.IGNORECASE,
)
WHO_IS_FORMS = re.compile(
    r"^(?i:and\s+)?(?i:who|what)\s+(?i:is|was|are|were)\s+(?P<name>(?:the\s+)?[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)\s*\??$"
)
# "What is Viktor Orban's position?", "What post does Orban hold?": what the story says he is.
POSITION_FORMS = re.compile(
    r"^(?i:and\s+)?(?:(?i:what)\s+(?i:is|was)\s+(?P<name>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)(?:'s|’s)\s+"
    r"(?i:position|role|title|job|post|office|function)"
    r"|(?i:what|which)\s+(?i:position|role|title|job|post|office)\s+(?i:does|did|do)\s+"
    r"(?P<name2>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)\s+(?i:hold|have|occupy|fill))\b"
)
# Words that name the story itself or a summary of it, not a topic within it: a question made
# only of these ("What happened?", "Give me the highlights", "What's the big picture?") asks
# for the story as a whole.
STORY_WORDS = {
    "article", "story", "piece", "report", "news", "text", "summary", "summarise", "summarize", "sum",
    "recap", "overview", "gist", "rundown", "highlights", "highlight", "points", "point", "takeaways",
    "takeaway", "facts", "main", "key", "important", "big", "picture", "short", "version", "brief",
    "briefly", "quick", "quickly", "tell", "give", "break", "down", "know", "need", "going", "happening",
    "happened", "happens", "upshot", "bottom", "line", "essence", "basics", "nutshell", "whole",
    "overall", "essentials", "learn", "take", "away", "say", "says", "saying", "explain", "describe",
    "read", "get", "understand", "matter", "matters", "gist", "headline", "headlines", "essential",
}
WHEN_FORMS = re.compile(r"^(?:and\s+)?(?:when|what\s+(?:day|date|time|month|year)|on\s+what\s+(?:day|date)|"
                        r"since\s+when|how\s+long\s+ago)\b", re.IGNORECASE)
LIST_FORMS = re.compile(
    r"^(?:and\s+)?(?:(?:what|which)\s+(?:are|were)\s+(?:the\s+)?(?:\w+\s+){0,3}\w+s\b"
    r"|(?:what|which)\s+(?:\w+\s+){0,2}(?:issues|obstacles|problems|conditions|demands|steps|options|"
    r"reasons|points|countries|items|measures|risks|topics|questions|differences|obstacles)\b"
    r"|(?:list|name|enumerate)\s+(?:the|all)\b)",
    re.IGNORECASE,
)
EXPLANATION_FORMS = re.compile(
    r"^(?:and\s+|but\s+|so\s+)?(?:why|how(?!\s+(?:many|much|long|old|far|often|big|large|tall|"
    r"high|soon|late|early)\b)|what\s+(?:happened|happens|will\s+happen|is\s+happening|went\s+wrong|"
    r"comes\s+next|is\s+next|'s\s+next|’s\s+next|is\s+the\s+(?:reason|cause|purpose|point|significance|"
    r"impact|effect|problem|issue|obstacle)|stands?\s+in\s+the\s+way|caused|led\s+to|does\s+.+\s+mean|"
    r"is\s+(?:at\s+stake|behind))|explain|describe)\b",
    re.IGNORECASE,
)


@dataclass
class Asked:
    """A question's form: its kind, and who or what it is about where the form names it."""

    kind: Kind
    subject: Entity | None = None  # the speaker of a quote question, the entity of a who-is one
    topic: str = ""  # what the quote question is about ("about Hamas")


def classify(question: str, articles: list[Article]) -> Asked:
    """The kind of answer ``question`` wants, given the articles it is asked about."""
    text = question.strip()
    if len(articles) == 1 and OVERVIEW_FORMS.search(text):
        return Asked(Kind.OVERVIEW)
    if quoted := _quote_question(text, articles):
        return quoted
    if who := _who_is_question(text, articles):
        return who
    if WHEN_FORMS.search(text):
        return Asked(Kind.WHEN)
    if YES_NO_FORMS.search(text) and not ALTERNATIVE.search(text):
        return Asked(Kind.YES_NO)
    if len(articles) == 1 and about_the_story(text):
        return Asked(Kind.OVERVIEW)
    if EXPLANATION_FORMS.search(text):
        return Asked(Kind.EXPLANATION)
    if LIST_FORMS.search(text):
        return Asked(Kind.LIST)
    return Asked(Kind.PHRASE)


def about_the_story(question: str) -> bool:
    """Whether every content word of the question names the story or a summary of it."""
    terms = query_terms(question)
    return bool(terms) and all(term in STORY_WORDS for term in terms)


def _who_is_question(text: str, articles: list[Article]) -> Asked | None:
    match = WHO_IS_FORMS.match(text) or POSITION_FORMS.match(text)
    if not match:
        return None
    name = match.groupdict().get("name") or match.groupdict().get("name2")
    entity = _named(name, articles) if name else None
    return Asked(Kind.WHO_IS, subject=entity) if entity else None


def _quote_question(text: str, articles: list[Article]) -> Asked | None:
    match = QUOTE_FORMS.match(text)
    if not match:
        return None
    who = match.group("who") or match.group("who2") or match.group("who3")
    rest = (match.group("rest") or match.group("rest2") or match.group("rest3") or "").strip(" ?.")
    speaker = _named(who, articles, {"PERSON", "ORG", "NORP", "GPE"})
    if speaker is None:
        return Asked(Kind.EXPLANATION)  # someone the articles do not name as such: read what was said
    return Asked(Kind.QUOTE, subject=speaker, topic=rest)


def _named(text: str, articles: list[Article], labels: set[str] | None = None) -> Entity | None:
    for article in articles:
        if entity := entity_named(text, article, labels):
            return entity
    return None
