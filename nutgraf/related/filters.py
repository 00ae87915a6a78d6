"""Which checked questions are worth showing: self-contained, not obvious, not repetitive.

- *Self-contained*: a question shown under a story is read on its own, so it names what it
  is about ("the Budapest summit"), never "the meeting" or "he".
- *Not obvious*: the headline and the first sentence are what the reader just read; a
  question they answer, or one asking for a name the first paragraph gives, is not shown.
- *Not repetitive*: two questions of one template ("What is the price of X?", "What is the
  price of Y?") are one question to a reader.
"""

from __future__ import annotations

import re

from ..records import Answer, Article

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
