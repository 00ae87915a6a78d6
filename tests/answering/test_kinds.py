import pytest

from nutgraf.records import Kind
from nutgraf.answering.kinds import classify


@pytest.fixture(scope="module")
def bridge(archive):
    return archive.article(archive.bridge_id)


@pytest.mark.parametrize("question, kind", [
    ("What is this article about?", Kind.OVERVIEW),
    ("Summarize the article in three points.", Kind.OVERVIEW),
    ("What are the key points?", Kind.OVERVIEW),
    ("Is the footbridge approved?", Kind.YES_NO),
    ("Did the council vote against the plan?", Kind.YES_NO),
    ("Is it true that the bridge will cost $4.5 million?", Kind.YES_NO),
    ("Why did Martin Osei vote against the plan?", Kind.EXPLANATION),
    ("How will the bridge help cyclists?", Kind.EXPLANATION),
    ("What happens next?", Kind.EXPLANATION),
    ("What stands in the way of the project?", Kind.EXPLANATION),
    ("What are the features of the project?", Kind.LIST),
    ("What did Kowalski say?", Kind.QUOTE),
    ("What did Mayor Elena Kowalski say about the bridge?", Kind.QUOTE),
    ("Who is Martin Osei?", Kind.WHO_IS),
    ("When did the council vote?", Kind.WHEN),
    ("How much will the footbridge cost?", Kind.PHRASE),
    ("How many councillors voted for the plan?", Kind.PHRASE),
    ("Where will the footbridge be built?", Kind.PHRASE),
    ("Is the bridge made of steel or wood?", Kind.PHRASE),  # an alternative, not a yes/no
])
def test_questions_get_the_form_of_answer_they_ask_for(bridge, question, kind):
    assert classify(question, [bridge]).kind == kind


def test_quote_and_who_is_questions_name_their_subject(bridge):
    asked = classify("What did Kowalski say about cycling?", [bridge])
    assert asked.subject.name == "Elena Kowalski" and asked.topic == "about cycling"
    assert classify("Who is Martin Osei?", [bridge]).subject.name == "Martin Osei"


def test_a_speaker_the_article_does_not_name_is_read_as_an_explanation(bridge):
    assert classify("What did the governor say?", [bridge]).kind == Kind.EXPLANATION


def test_an_overview_needs_one_article():
    assert classify("What is this article about?", []).kind != Kind.OVERVIEW
