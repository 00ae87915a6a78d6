"""Answers to record, as the answering pipeline gives them, for tests of the question log."""

from nutgraf.records import Answer, Grade, Kind


def answer(question: str, grade: Grade = Grade.ANSWER, *, resolved: str | None = None, kind: Kind = Kind.PHRASE,
           language: str = "en", confidence: float = 0.8, total_ms: float = 420.0) -> Answer:
    answered = grade == Grade.ANSWER
    return Answer(question=question, answer="an answer" if answered else None, answerable=answered,
                  confidence=confidence, kind=kind, grade=grade, resolved_question=resolved, language=language,
                  note=None if answered else "The article does not say.",
                  timings_ms={"retrieve": 3.0, "total": total_ms}, conversation_id="5c893183cd4a40ca")
