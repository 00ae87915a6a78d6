"""Choosing the shown questions from the checked ones: distinct answers, varied kinds."""

import numpy as np

from nutgraf.related.select import Verified, choose


def verified(question: str, kind: str, sentences: list[int], confidence: float, axis: int) -> Verified:
    vector = np.zeros(16, dtype=np.float32)
    vector[axis] = 1.0  # every question its own direction: none rewords another
    citations = [{"article_id": "a", "sentence_index": i} for i in sentences]
    return Verified(question, "answer", confidence, citations, paragraph=axis, kind=kind, vector=vector)


def test_no_two_shown_questions_share_a_cited_sentence():
    pool = [verified("What did Donald Trump say?", "quote", [14, 16], 0.95, 0),
            verified("What did Trump say about the war in Ukraine?", "quote", [16], 0.95, 1),
            verified("Where will the summit be held?", "phrase", [7], 0.6, 2)]
    shown = [q.question for q in choose(pool)]
    assert shown == ["What did Donald Trump say?", "Where will the summit be held?"]


def test_exact_answers_of_one_kind_do_not_crowd_out_the_others():
    asked = ["What did Trump say about the phone call?", "How did the Kremlin describe the missiles?",
             "What did Orban promise Budapest would do?", "What did Zelensky say about Hamas and terror?"]
    quotes = [verified(question, "quote", [n], 0.95, n) for n, question in enumerate(asked)]
    why = verified("Why does Ukraine want Tomahawk missiles?", "explanation", [10], 0.45, 10)
    shown = [q.kind for q in choose(quotes + [why], limit=3)]
    assert "explanation" in shown
