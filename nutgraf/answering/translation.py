"""Answers in the reader's language, with the article's words left as they were said.

Retrieval and reading work in English, the articles' language. For a reader who asked in
another language, nutgraf translates only its own words: a phrase, a verdict's reason, the
lead of a note. A quote stays the speaker's exact words, in quotation marks, in the original
language; its translation is given beside it, labelled as one (``AnswerPoint.translation``),
and only after it is checked like any reworded point: translated back into English, it must
keep every name and number and be said by the cited sentences. A translation that fails the
check is not shown; the English words are.
"""

from __future__ import annotations

from ..llm.base import LLM
from ..records import Answer, AnswerPoint, Grade, Kind
from . import prompts
from .support import MIN_SUPPORT, agrees

QUOTE_MARK = "“"


def translate_answer(llm: LLM, answer: Answer, language: str) -> None:
    """``answer`` in ``language`` where its words are nutgraf's own; quotes keep their words."""
    if answer.grade != Grade.ANSWER:
        answer.note = _note(llm, answer.note, language) if answer.note else answer.note
        return
    cited = [c.text for c in answer.citations]
    if answer.kind == Kind.QUOTE:
        points = answer.points or [AnswerPoint(answer.answer or "", answer.citations)]
        for point in points:
            point.translation = checked(llm, point.text.strip("“”"), language, [c.text for c in point.citations])
        answer.points = points
        return
    if answer.answer:
        answer.answer = checked(llm, answer.answer, language, cited) or answer.answer
    for point in answer.points:
        point.text = checked(llm, point.text, language, [c.text for c in point.citations]) or point.text


def checked(llm: LLM, text: str, language: str, cited: list[str]) -> str | None:
    """A translation of ``text`` that says what the cited sentences say, or None."""
    translation = prompts.translate(llm, text, language)
    if translation == text:
        return None
    back = prompts.translate(llm, translation, "English")
    if not agrees(back, " ".join(cited)):
        return None
    if prompts.support_probability(llm, cited, back) < MIN_SUPPORT:
        return None
    return translation


def _note(llm: LLM, note: str, language: str) -> str:
    """The note's own words translated; the sentence it quotes from the article kept as written."""
    lead, mark, quoted = note.partition(QUOTE_MARK)
    return f"{prompts.translate(llm, lead.strip(), language)} {mark}{quoted}".strip() if mark else \
        prompts.translate(llm, note, language)
