import pytest

from nutgraf.answering import kinds
from nutgraf.answering.kinds import classify


@pytest.fixture(scope="module")
def bridge(archive):
    return archive.article(archive.bridge_id)


@pytest.mark.parametrize("question, kind", [
    ("What is this article about?", kinds.OVERVIEW),
    ("Summarize the article in three points.", kinds.OVERVIEW),
    ("What are the key points?", kinds.OVERVIEW),
    ("Is the footbridge approved?", kinds.YES_NO),
    ("Did the council vote against the plan?", kinds.YES_NO),
    ("Is it true that the bridge will cost $4.5 million?", kinds.YES_NO),
    ("Why did Martin Osei vote against the plan?", kinds.EXPLANATION),
    ("How will the bridge help cyclists?", kinds.EXPLANATION),
    ("What happens next?", kinds.EXPLANATION),
    ("What stands in the way of the project?", kinds.EXPLANATION),
    ("What are the features of the project?", kinds.LIST),
    ("What did Kowalski say?", kinds.QUOTE),
    ("What did Mayor Elena Kowalski say about the bridge?", kinds.QUOTE),
    ("Who is Martin Osei?", kinds.WHO_IS),
    ("When did the council vote?", kinds.WHEN),
    ("How much will the footbridge cost?", kinds.PHRASE),
    ("How many councillors voted for the plan?", kinds.PHRASE),
    ("Where will the footbridge be built?", kinds.PHRASE),
    ("Is the bridge made of steel or wood?", kinds.PHRASE),  # an alternative, not a yes/no
])
def test_questions_get_the_form_of_answer_they_ask_for(bridge, question, kind):
    assert classify(question, [bridge]).kind == kind


def test_quote_and_who_is_questions_name_their_subject(bridge):
    asked = classify("What did Kowalski say about cycling?", [bridge])
    assert asked.subject.name == "Elena Kowalski" and asked.topic == "about cycling"
    assert classify("Who is Martin Osei?", [bridge]).subject.name == "Martin Osei"


def test_a_speaker_the_article_does_not_name_is_read_as_an_explanation(bridge):
    assert classify("What did the governor say?", [bridge]).kind == kinds.EXPLANATION


def test_an_overview_needs_one_article():
    assert classify("What is this article about?", []).kind != kinds.OVERVIEW
