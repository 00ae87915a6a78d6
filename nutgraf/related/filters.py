"""Which checked questions are worth showing: self-contained, not obvious, not repetitive.

- *Self-contained*: a question shown under a story is read on its own, so it names what it
  is about ("the Budapest summit"), never "the meeting" or "he".
- *Not obvious*: the headline and the first sentence are what the reader just read; a
  question they answer, or one asking for a name the first paragraph gives, is not shown.
- *Not repetitive*: two questions of one template ("What is the price of X?", "What is the
  price of Y?") are one question to a reader.
- *A why answered with a reason*: "Why did the council close the bridge?" is worth clicking
  for "because its cables were corroded", not for "the council closed the bridge on Monday",
  the question's own fact said back.
"""

from __future__ import annotations

import re

from ..answering.spans import term_coverage
from ..records import Answer, Article
from ..store.query import query_terms

PRONOUN = re.compile(r"\b(?:he|she|him|his|her|hers|they|them|their|theirs|it|its|this|these|those)\b",
                     re.IGNORECASE)
# A bare "the meeting" needs the story to say which; "the Budapest summit" does not.
VAGUE_REFERENCE = re.compile(
    r"\b(?:the|that)\s+(?:meeting|deal|agreement|talks|event|plan|decision|summit|call|conference|"
    r"report|article|story|statement|move|proposal|visit|vote|game|match|case|incident|attack|"
    r"project|company|country|city|team|group|man|woman|official|president|leader|minister)\b",
    re.IGNORECASE,
)
ABOUT_THE_TEXT = re.compile(r"\b(?:sentences?|paragraphs?|passage|(?:the|this) (?:article|text|story))\b",
                            re.IGNORECASE)
NAME = re.compile(r"(?<!^)\b[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")
NUMBER = re.compile(r"\d[\d.,]*")


def self_contained(question: str) -> bool:
    return not (PRONOUN.search(question) or VAGUE_REFERENCE.search(question) or ABOUT_THE_TEXT.search(question))


def obvious(answer: Answer, article: Article) -> bool:
    """Answered by the headline or the first sentence, or by a name the first paragraph gives."""
    first = answer.citations[0]
    if first.sentence_index == 0:
        return True
    preview = (answer.answer or "").lower()
    if article.title and preview and preview in article.title.lower():
        return True
    lede = " ".join(s.text for s in article.sentences if s.paragraph == 0)
    return answer.kind in ("phrase", "who-is") and bool(preview) and _names_only(answer.answer) \
        and answer.answer in lede


def template(question: str) -> str:
    """The question with its names and numbers taken out: its form, as a reader sees it."""
    return " ".join(NUMBER.sub("#", NAME.sub("X", question)).lower().split())


def same_template(a: str, b: str) -> bool:
    """Two questions that differ only in names and numbers, or nearly so."""
    first, second = template(a).split(), template(b).split()
    if first == second:
        return True
    shared = len(set(first) & set(second))
    return shared / max(len(set(first)), len(set(second))) >= 0.8


def _names_only(text: str) -> bool:
    words = text.split()
    return bool(words) and all(word[:1].isupper() for word in words)


# -- reasons
# Words after which news prose gives a reason or a purpose: "because ...", "due to ...",
# "so that ...", "capable of ...".
REASON_AHEAD = re.compile(
    r"\b(?:because|due to|owing to|thanks to|(?:as )?a result of|in response to|in retaliation for|"
    r"in protest (?:at|against|over)|so that|so as to|in order to|in (?:a|an) (?:bid|effort|attempt) to|"
    r"with the aim of|aim(?:s|ed|ing)? (?:to|at)|intended to|designed to|meant to|in the hope|for fear|"
    r"the (?:main )?(?:reason|cause|purpose|aim|goal) (?:is|was|being|for)|reasons? (?:is|was|for|why)|"
    r"capable of|able to|would (?:allow|enable|help)|allows?|enables?|therefore|hence|thus)\b",
    re.IGNORECASE,
)
# Words before which it gives the cause: "a shortage of steel led to ...".
REASON_BEHIND = re.compile(
    r"\b(?:led to|leads to|lead to|caused|causes|prompted|prompting|triggered|triggering|resulted in|"
    r"(?:that|this|which) is why|is the reason)\b",
    re.IGNORECASE,
)
# "as" and "since" give a reason when a clause follows them ("as this weapons system is
# capable of ...", "since the budget is spent"), not in "as well", "seen as a provocation",
# "as he said" or "since 2019", "has grown since the war began".
CAUSAL_AS = re.compile(
    r"(?:^|[,;—–]\s*)as\s+(?!(?:he|she|they|it|we|i)\s+(?:\w+\s+)?(?:said|says|stated|told|put it|noted|"
    r"added|wrote|reported)\b)(?:the|this|that|these|those|his|her|its|their|our|it|he|she|they|we|there)\b",
    re.IGNORECASE,
)
CAUSAL_SINCE = re.compile(
    r"(?:^|[,;—–]\s*)since\s+(?!\d|(?:then|last|early|late|yesterday|the (?:start|beginning|end|summer|"
    r"winter|spring|autumn|fall)|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|\w+day)\b)",
    re.IGNORECASE,
)
# An answer that is a purpose on its own: "to push Putin toward a peace deal".
PURPOSE = re.compile(r"^(?:in order |so as )?to (?!the\b|a\b|an\b|his\b|her\b|their\b|its\b)[a-z]+\b")
REASON_WORDS = 8  # words read after (or before) a reason's marker to see that they are new
RESTATED = 0.5  # share of those words already in the question at which they say it back


def asks_why(question: str, form: str = "") -> bool:
    return form == "why" or question.lstrip().lower().startswith("why")


def gives_a_reason(answer: str, question: str, sentence: str = "") -> bool:
    """Whether ``answer`` gives a reason for what ``question`` asks why of, rather than saying
    the question's fact back. A marker the reader cut off just before the answer in its
    ``sentence`` ("..., as" + "this weapons system is capable of ...") counts too."""
    text = " ".join(answer.split())
    read = f"{_words_before(' '.join(sentence.split()), text)} {text}".strip()
    if PURPOSE.match(text) and _new(text, question):
        return True
    for marker in (REASON_AHEAD, CAUSAL_AS, CAUSAL_SINCE):
        if any(_new(read[m.end():], question) for m in marker.finditer(read)):
            return True
    return any(_new(text[:m.start()], question, behind=True) for m in REASON_BEHIND.finditer(text))


def _words_before(sentence: str, answer: str, count: int = 3) -> str:
    """The few words of the sentence right before the answer, or "" when it is not found there."""
    at = sentence.lower().find(answer.lower())
    return " ".join(sentence[:at].split()[-count:]) if at > 0 else ""


def _new(words: str, question: str, behind: bool = False) -> bool:
    """Whether the words next to a marker say something the question does not."""
    near = words.split()
    near = " ".join(near[-REASON_WORDS:] if behind else near[:REASON_WORDS])
    return bool(query_terms(near)) and term_coverage(near, question) < RESTATED
