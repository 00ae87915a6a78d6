"""Candidate reader questions for one article, each linked to the sentence it came from.

Two generators: the language model, asked for one question about each of a few sentences
chosen to cover the story (it reads the same prompt prefix as the answering step, so the
article is evaluated once for both), and the article's structure: who said what about whom, and who the people
in the story are. Every candidate is checked later by answering it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..answering import reader
from ..answering.evidence import Evidence, EvidenceSet
from ..llm.base import LLM
from ..records import Article

QUESTIONS_TASK = (
    "Task: for each of the sentences numbered {numbers}, write one question that a reader of "
    "this article might ask and that the sentence answers, without giving the answer away. "
    "One question per line, as the sentence number, a colon and the question, for example "
    "`4: Where will the summit be held?`"
)
LINE = re.compile(r"^\s*\[?(\d{1,3})\]?\s*[:.)\-]\s*(.+\?)\s*$")
FACT = re.compile(r"\d|\b[A-Z][a-z]+")  # numbers and names: what a reader's question is about
MIN_WORDS, MAX_WORDS = 6, 60


@dataclass
class Candidate:
    question: str
    article_id: str
    sentence_index: int | None  # the sentence it was written from, when known
    kind: str  # "model" | "quote" | "person"


def targets(evidence: EvidenceSet, count: int = 10) -> list[Evidence]:
    """The sentences to write questions for, spread over the whole story: the sentence with
    the most facts from each of up to ``count`` evenly spaced paragraphs (the opening one
    always among them), then the next best of each while ``count`` is not reached. A story
    with few paragraph breaks is cut into equal runs of sentences instead."""
    eligible = [item for item in evidence.items
                if MIN_WORDS <= len(item.sentence.text.split()) <= MAX_WORDS
                and not item.sentence.text.endswith("?")]
    paragraphs: dict[tuple[str, int], list[Evidence]] = {}
    for item in eligible:
        paragraphs.setdefault((item.article_id, item.sentence.paragraph), []).append(item)
    groups = list(paragraphs.values())
    if len(groups) < count // 2:  # a story without paragraph breaks: equal runs of sentences
        size = max(1, -(-len(eligible) // count))
        groups = [eligible[i:i + size] for i in range(0, len(eligible), size)]
    if len(groups) > count:
        step = (len(groups) - 1) / max(1, count - 1)
        groups = [groups[round(i * step)] for i in range(count)]
    ranked = [sorted(group, key=lambda item: len(FACT.findall(item.sentence.text)), reverse=True)
              for group in groups]
    chosen = [group[depth] for depth in range(max(map(len, ranked), default=0))
              for group in ranked if depth < len(group)]
    return sorted(chosen[:count], key=lambda item: item.number)


def _grammar(numbers: list[int]) -> str:
    lines = " ".join(f'"{number}: " question "?\\n"' for number in numbers)
    return f"root ::= {lines}\nquestion ::= [A-Z] [^\\n?]{{8,140}}\n"


def from_model(llm: LLM, evidence: EvidenceSet, chosen: list[Evidence]) -> list[Candidate]:
    """One question per chosen sentence, in one call over the same prompt prefix as answering."""
    if not chosen:
        return []
    numbers = [item.number for item in chosen]
    messages = [
        {"role": "system", "content": reader.SYSTEM},
        {"role": "user", "content": f"{reader.numbered_sentences(evidence)}\n\n"
                                    f"{QUESTIONS_TASK.format(numbers=_listed(numbers))}"},
    ]
    completion = llm.complete(messages, max_tokens=40 * len(numbers), grammar=_grammar(numbers))
    candidates = []
    for line in completion.text.splitlines():
        match = LINE.match(line)
        item = evidence.by_number(int(match.group(1))) if match else None
        if item is not None:
            question = " ".join(match.group(2).split())
            candidates.append(Candidate(question, item.article_id, item.sentence.index, "model"))
    return candidates


def _listed(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


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
