"""Candidate reader questions for one article, each linked to the sentence it came from.

Three generators, all over sentences chosen to cover the story:
- the language model, asked in one call for a question and its answer about each sentence;
- the language model, given a name, number, date or place from one sentence and asked for
  the question it answers (slower, one call a sentence, so it runs only while more
  questions are needed);
- the article's structure: who said what about whom, and who the people in the story are.
The model reads the same prompt prefix as the answering step, so the article is evaluated
once for all of them. Every candidate is checked later by answering it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ..analysis.analyzer import spacy_pipeline
from ..answering import reader
from ..answering.evidence import Evidence, EvidenceSet
from ..llm.base import LLM
from ..records import Article

QUESTIONS_TASK = (
    "Task: for each of the sentences numbered {numbers}, write one question that a reader of "
    "this article might ask and that the sentence answers with a name, number, date, place or "
    "short phrase, then that answer in brackets, copied from the sentence. One question per "
    "line, as the sentence number, a colon, the question and the answer, for example "
    "`4: Where will the two leaders meet? (Budapest)`"
)
# A worked example keeps a small model from asking about the answer instead of for it.
ANSWER_TASK = (
    'Task: sentence {number} says: "{sentence}"\n'
    'Write the question a reader would ask to which "{answer}" is the answer, using the other '
    "words of sentence {number}. For example, for the sentence \"The two leaders will meet in "
    'Budapest within two weeks" and the answer "Budapest", the question is "Where will the two '
    'leaders meet within two weeks?" Reply with the question only.'
)
QUESTION_GRAMMAR = 'root ::= [A-Z] [^\\n?]{8,140} "?"\n'
LINE = re.compile(r"^\s*(\d{1,3}): (.+\?) \((.+)\)\s*$")
# Entity kinds that make a short, checkable answer, most telling first.
ANSWER_LABELS = ["DATE", "MONEY", "PERCENT", "QUANTITY", "CARDINAL", "GPE", "PERSON", "ORG",
                 "EVENT", "FAC", "LOC", "TIME", "PRODUCT", "LAW", "WORK_OF_ART"]
# "today" or "last week" says nothing once the story is a day old.
RELATIVE_TIME = re.compile(r"^(today|yesterday|tomorrow|tonight|now|this|last|next|recent)", re.IGNORECASE)
# "What city is mentioned in sentence 7?" asks about the prompt, not about the story.
ABOUT_THE_TEXT = re.compile(r"\b(sentences?|paragraphs?|passage|(the|this) (article|text|story))\b", re.IGNORECASE)
FACT = re.compile(r"\d|\b[A-Z][a-z]+")  # numbers and names: what a reader's question is about
MIN_WORDS, MAX_WORDS = 6, 60


@dataclass
class Candidate:
    question: str
    article_id: str
    sentence_index: int | None  # the sentence it was written from, when known
    kind: str  # "model" | "quote" | "person"
    expected: str | None = None  # the answer it was written for, when known


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
    lines = " ".join(f'"{number}: " question "? (" answer ")\\n"' for number in numbers)
    return (f"root ::= {lines}\nquestion ::= [A-Z] [^\\n?]{{8,140}}\n"
            f"answer ::= [^\\n()]{{1,80}}\n")


def _messages(evidence: EvidenceSet, task: str) -> list[dict]:
    return [
        {"role": "system", "content": reader.SYSTEM},
        {"role": "user", "content": f"{reader.numbered_sentences(evidence)}\n\n{task}"},
    ]


def from_model(llm: LLM, evidence: EvidenceSet, chosen: list[Evidence]) -> list[Candidate]:
    """A question and its answer for each chosen sentence, in one call."""
    if not chosen:
        return []
    numbers = [item.number for item in chosen]
    task = QUESTIONS_TASK.format(numbers=_listed(numbers))
    completion = llm.complete(_messages(evidence, task), max_tokens=60 * len(numbers),
                              grammar=_grammar(numbers))
    candidates = []
    for line in completion.text.splitlines():
        match = LINE.match(line)
        item = evidence.by_number(int(match.group(1))) if match else None
        if item is None:
            continue
        question = " ".join(match.group(2).split())
        if not ABOUT_THE_TEXT.search(question):
            candidates.append(Candidate(question, item.article_id, item.sentence.index, "model",
                                        expected=match.group(3).strip()))
    return candidates


def answer_phrases(sentence: str, article: Article) -> list[str]:
    """Names, numbers, dates and places in ``sentence`` that could answer a question, the
    ones the rest of the article mentions least first: a question for a name on every line
    of the story has many answers."""
    story = article.text.lower()
    headline = (article.title or "").lower()
    found = [entity for entity in spacy_pipeline()(sentence).ents
             if entity.label_ in ANSWER_LABELS and not RELATIVE_TIME.match(entity.text)
             and entity.text.lower() not in headline]
    found.sort(key=lambda entity: (story.count(entity.text.lower()), ANSWER_LABELS.index(entity.label_)))
    return list(dict.fromkeys(entity.text for entity in found))


def from_answers(llm: LLM, evidence: EvidenceSet, chosen: list[Evidence], article: Article,
                 still_open: Callable[[int], bool], taken: set[str]) -> Iterator[Candidate]:
    """For each chosen sentence that ``still_open`` lets through when its turn comes, the
    question whose answer is a name, number, date or place of that sentence not in ``taken``."""
    for item in chosen:
        if not still_open(item.sentence.index):
            continue
        answer = next((phrase for phrase in answer_phrases(item.sentence.text, article)
                       if phrase.lower() not in taken), None)
        if answer is None:
            continue
        task = ANSWER_TASK.format(number=item.number, sentence=item.sentence.text, answer=answer)
        completion = llm.complete(_messages(evidence, task), max_tokens=48, grammar=QUESTION_GRAMMAR)
        question = " ".join(completion.text.split())
        if question.endswith("?") and not ABOUT_THE_TEXT.search(question):
            yield Candidate(question, item.article_id, item.sentence.index, "model", expected=answer)


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
