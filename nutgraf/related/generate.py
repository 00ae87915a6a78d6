"""Candidate questions for an article's explore panel, of the kinds readers ask.

A reader who has the headline wonders what the story is about underneath: why something
happened, what stands in the way, what happens next, how someone reacted, what the numbers
mean, what the people quoted said. Each candidate is written for one sentence of the story,
in the form that sentence's content invites:

- a sentence giving a reason ("because", "as", "since") → *Why ...?*
- one naming an obstacle or a dispute → *What stands in the way of ...?*
- one saying what is planned or expected → *What happens next ...?*
- one with a reaction or a warning → *How did ... react ...?*
- one introducing a list → *What are the ...?*
- one with a number → *How many / how much / how long ...?*
- any other → *What ...?*

The model writes the question for its sentence, held by a grammar to the form's opening
words; all of them are written side by side, after the article the model has read once.
A named person's own quoted words give "What did Zelensky say about Putin and Hamas?" and
a person the story introduces later on gives "Who is Viktor Orban?", both without a model. Every candidate
is then checked by answering it (see ``service``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..analysis.quotes import is_named_person
from ..answering import prompts
from ..answering.evidence import Evidence, EvidenceSet
from ..answering.structures import bullet_items, clauses, description, is_list_item
from ..llm.base import LLM, complete_all
from ..records import Article, Quote


@dataclass(frozen=True)
class Form:
    name: str
    openings: tuple[str, ...]  # the words the question may start with
    signal: re.Pattern | None  # what in a sentence invites this form

    @property
    def grammar(self) -> str:
        return "root ::= (" + " | ".join(f'"{opening} "' for opening in self.openings) + f") {QUESTION}\n"


def _words(*words: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


LIST_FORM = Form("list", ("What are the", "Which"), None)
FORMS = [
    LIST_FORM,
    Form("why", ("Why",), _words("because", "as", "since", "due to", "so that", "in order to",
                                 "for this reason", "capable of", "led to", "caused")),
    Form("obstacle", ("What stands in the way of", "What are the obstacles to", "What issues remain"),
         _words("obstacles?", "issues remain", "thorny", "disputed?", "remain", "far from", "hurdles?",
                "stumbling", "concerns?", "opposition", "disagree\\w*")),
    Form("next", ("What will", "When will", "What is planned for", "What is expected"),
         _words("expected to", "will", "plans? to", "planning", "planned", "next", "upcoming",
                "scheduled", "set to", "aims? to", "intends? to")),
    Form("reaction", ("How did", "How has"),
         _words("warned", "reacted", "responded", "rejected", "welcomed", "criticized", "criticised",
                "condemned", "praised", "denied", "dismissed", "accused")),
    Form("number", ("How many", "How much", "How long"),
         re.compile(r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|hundreds?|thousands?|millions?|"
                    r"billions?|percent|half)\b", re.IGNORECASE)),
    Form("what", ("What", "Who", "Where", "Which"), None),
]
FORM_BY_NAME = {form.name: form for form in FORMS}
# The instructions and the worked example come first, so that every prompt of a batch
# shares them with the article; what differs (the sentence, its part, the opening) comes last.
# A worked example keeps a small model from asking about the answer instead of for it.
WRITE_TASK = (
    "Task: write the question a reader of this article would ask that the given part of a "
    "sentence answers. Start it with the given words, name who and what it is about so that it "
    "makes sense without the article, and do not give the answer away. For example, for the "
    "sentence \"The mayor closed the Harbour Street bridge on Monday because its cables were "
    "corroded\", the part \"because its cables were corroded\" and the start \"Why\", the "
    "question is \"Why did the mayor close the Harbour Street bridge?\" Reply with the question only."
    "\n\nSentence: \"{sentence}\"\nPart: \"{part}\"\nStart: \"{start}\""
)
QUESTION = '[^\\n?]{8,120} "?"'
MIN_WORDS, MAX_WORDS = 6, 60
MAX_OF_A_FORM = 2  # candidates of one form, so the panel can mix kinds
# Who a story's main actors are, a reader knows; a person it names once or twice it explains.
PERSON_MENTIONS = 2
TOPIC_LABELS = ["PERSON", "ORG", "EVENT", "GPE"]  # not NORP: "Russian" is no topic


@dataclass
class Candidate:
    question: str
    article_id: str
    sentence_index: int | None  # the sentence it was written for, when known
    form: str  # why, obstacle, next, reaction, list, number, what, quote, person


def targets(article: Article, evidence: EvidenceSet, count: int = 8) -> list[tuple[Evidence, Form]]:
    """Sentences to write questions for, spread over the story after its lede, each with the
    form its content invites; forms are varied where the story allows."""
    def eligible_item(item: Evidence) -> bool:
        words = len(item.sentence.text.split())
        introduces_list = bool(bullet_items(article.sentences, item.sentence.index))
        return (item.sentence.index > 0 and not is_list_item(article.sentences, item.sentence.index)
                and words <= MAX_WORDS
                and (words >= MIN_WORDS or introduces_list) and not item.sentence.text.rstrip().endswith("?"))

    eligible = [item for item in evidence.items if item.article_id == article.id and eligible_item(item)]
    if not eligible:
        return []
    parts = [eligible[round(i * len(eligible) / count):round((i + 1) * len(eligible) / count)] for i in range(count)]
    used: dict[str, int] = {}
    chosen = []
    for part in filter(None, parts):
        options = [(FORMS.index(form), -_substance(item), n, item, form)
                   for n, item in enumerate(part) for form in _forms_of(article, item)
                   if used.get(form.name, 0) < MAX_OF_A_FORM or form.name == "what"]
        _, _, _, item, form = min(options, key=lambda option: option[:3])
        used[form.name] = used.get(form.name, 0) + 1
        chosen.append((item, form))
    return chosen


def _forms_of(article: Article, item: Evidence) -> list[Form]:
    forms = [form for form in FORMS if form.signal is not None and form.signal.search(item.sentence.text)]
    if bullet_items(article.sentences, item.sentence.index):
        forms.insert(0, LIST_FORM)
    return forms + [FORM_BY_NAME["what"]]


def _substance(item: Evidence) -> int:
    """Names and numbers: what a reader's question is about."""
    return len(re.findall(r"\d|\b[A-Z][a-z]+", item.sentence.text))


def from_model(llm: LLM, evidence: EvidenceSet, chosen: list[tuple[Evidence, Form]]) -> list[Candidate]:
    """A question for each chosen sentence in its form, all written side by side (each held
    to its form's opening words by a grammar of its own)."""
    if not chosen:
        return []
    tasks = [prompts.messages_for(evidence, WRITE_TASK.format(
        sentence=item.sentence.text, part=answering_part(item, form), start=form.openings[0]))
        for item, form in chosen]
    completions = complete_all(llm, tasks, prefix=prompts.numbered_sentences(evidence), max_tokens=48,
                               stop=["\n"], grammar=[form.grammar for _, form in chosen])
    candidates = []
    for (item, form), completion in zip(chosen, completions):
        question = " ".join(completion.text.split())
        if question.endswith("?"):
            candidates.append(Candidate(question, item.article_id, item.sentence.index, form.name))
    return candidates


def answering_part(item: Evidence, form: Form) -> str:
    """The words of the sentence that should answer the question: the clause that carries the
    form's signal (the reason, the warning, the plan), or the sentence for a list or a fact."""
    if form.signal is None:
        return item.sentence.text
    for span in clauses(item.sentence):
        if form.signal.search(span.text):
            return span.text
    return item.sentence.text


def from_structure(article: Article) -> list[Candidate]:
    """What each quote says about whom, and who the people the story introduces are."""
    candidates = []
    for quote in article.quotes:
        if not _a_persons_own_words(article, quote):
            continue
        topics = _named_in(article, quote.start, quote.end, exclude=quote.speaker)
        about = " and ".join(topics[:2])
        question = f"What did {quote.speaker.split()[-1]} say about {about}?" if about else \
            f"What did {quote.speaker} say?"
        candidates.append(Candidate(question, article.id, quote.sentence_index, "quote"))
    lede_people = _people_in_paragraph(article, 0)
    for entity in article.entities:
        if entity.label == "PERSON" and len(entity.name.split()) >= 2 and entity.name not in lede_people \
                and len(entity.sentence_indexes) <= PERSON_MENTIONS and description(article, entity) is not None:
            candidates.append(Candidate(f"Who is {entity.name}?", article.id, entity.mentions[0].sentence_index,
                                        "person"))
    return candidates


def _a_persons_own_words(article: Article, quote: Quote) -> bool:
    """A direct quote whose quotation mark closes, said by a person the story names in full:
    a committee, a bare title or a quoted word taken for a name asks no question of anyone."""
    if not quote.verbatim or quote.speaker is None:
        return False
    return any(e.name == quote.speaker and is_named_person(article.text, e) for e in article.entities)


def _named_in(article: Article, start: int, end: int, exclude: str) -> list[str]:
    """Who and what a stretch of text names: people first, then organisations, events and
    places, each in order of mention; people by surname."""
    found = []
    for entity in article.entities:
        if entity.name == exclude or entity.label not in TOPIC_LABELS:
            continue
        positions = [m.start for m in entity.mentions if start <= m.start < end]
        if positions:
            name = entity.name.split()[-1] if entity.label == "PERSON" else entity.name
            found.append((TOPIC_LABELS.index(entity.label), min(positions), name))
    return list(dict.fromkeys(name for _, _, name in sorted(found)))


def _people_in_paragraph(article: Article, paragraph: int) -> set[str]:
    indexes = {s.index for s in article.sentences if s.paragraph == paragraph}
    return {e.name for e in article.entities if e.label == "PERSON"
            and any(m.sentence_index in indexes for m in e.mentions)}


