"""Candidate reader questions for one article, each linked to the sentence it came from.

Two generators: the language model, asked for questions that different numbered sentences
answer (it reads the same prompt prefix as the answering step, so the article is evaluated
once for both), and the article's structure: who said what about whom, and who the people
in the story are. Every candidate is checked later by answering it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..answering import reader
from ..answering.evidence import EvidenceSet
from ..llm.base import LLM
from ..records import Article

QUESTIONS_TASK = (
    "Task: write {count} different questions that a reader of this article might ask, each "
    "answered by a different numbered sentence; prefer sentences from different parts of the "
    "article. One question per line, as the sentence number, a colon and the question, for "
    "example `4: Where will the summit be held?`"
)
LINE = re.compile(r"^\s*\[?(\d{1,3})\]?\s*[:.)\-]\s*(.+\?)\s*$")


@dataclass
class Candidate:
    question: str
    article_id: str
    sentence_index: int | None  # the sentence it was written from, when known
    kind: str  # "model" | "quote" | "person"


def _grammar(count: int) -> str:
    return (f"root ::= line{{{count}}}\n"
            'line ::= number ": " question "?\\n"\n'
            "number ::= [1-9] | [1-9] [0-9] | [1-9] [0-9] [0-9]\n"
            "question ::= [A-Z] [^\\n?]{8,140}\n")


def from_model(llm: LLM, evidence: EvidenceSet, count: int = 10) -> list[Candidate]:
    messages = [
        {"role": "system", "content": reader.SYSTEM},
        {"role": "user", "content": f"{reader.numbered_sentences(evidence)}\n\n"
                                    f"{QUESTIONS_TASK.format(count=count)}"},
    ]
    completion = llm.complete(messages, max_tokens=32 * count, grammar=_grammar(count))
    candidates = []
    for line in completion.text.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        item = evidence.by_number(int(match.group(1)))
        question = " ".join(match.group(2).split())
        if item is not None:
            candidates.append(Candidate(question, item.article_id, item.sentence.index, "model"))
    return candidates


def _surname(name: str) -> str:
    return name.split()[-1]


def from_structure(article: Article) -> list[Candidate]:
    candidates = []
    people = {e.name: e for e in article.entities if e.label == "PERSON" and len(e.name.split()) >= 2}
    for quote in article.quotes:
        if quote.speaker not in people:
            continue
        topics = [e for e in article.entities
                  if e.name != quote.speaker and e.label in {"PERSON", "GPE", "ORG"}
                  and any(quote.start <= m.start < quote.end for m in e.mentions)]
        about = f" about {topics[0].name}" if topics else ""
        candidates.append(Candidate(f"What did {_surname(quote.speaker)} say{about}?", article.id,
                                    quote.sentence_index, "quote"))
    for name, entity in list(people.items())[:4]:
        candidates.append(Candidate(f"Who is {name}?", article.id, entity.mentions[0].sentence_index, "person"))
    return candidates
