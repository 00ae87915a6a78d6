import pytest

from nutgraf.answering.conversation import Turn, needs_context, resolve


def turn(question: str, people=(), resolved: str = "") -> Turn:
    return Turn(question, "an answer", ["a1"], list(people), resolved)


@pytest.mark.parametrize("previous, follow_up, expected", [
    ("What did Elena Kowalski say?", "And what did she say about cycling?",
     "What did Elena Kowalski say about cycling?"),
    ("Where will the footbridge be built?", "When?", "When will the footbridge be built?"),
    ("Is the footbridge approved?", "Why?", "Why is the footbridge approved?"),
    ("What did Kowalski say about the budget?", "And about the tunnel?", "What did Kowalski say about the tunnel?"),
    ("What did Kowalski say about the bridge?", "What about the tunnel?", "What did Kowalski say about the tunnel?"),
])
def test_follow_ups_are_made_to_stand_on_their_own(previous, follow_up, expected):
    people = ["Elena Kowalski"] if "Kowalski" in previous else []
    assert resolve(follow_up, [turn(previous, people)]) == expected


def test_a_name_replaces_the_one_of_the_same_kind(archive):
    bridge = archive.article(archive.bridge_id)
    turns = [turn("What did Elena Kowalski say?", ["Elena Kowalski"])]
    assert resolve("And Martin Osei?", turns, [bridge]) == "What did Martin Osei say?"


def test_the_resolved_form_of_the_last_turn_is_built_on():
    turns = [turn("What did Kowalski say?", ["Elena Kowalski"]),
             turn("And about the tunnel?", ["Elena Kowalski"], resolved="What did Kowalski say about the tunnel?")]
    assert resolve("Why?", turns) == "Why did Kowalski say about the tunnel?"


def test_a_question_that_stands_alone_is_left_as_it_is():
    turns = [turn("What did Kowalski say?", ["Elena Kowalski"])]
    assert resolve("How much will the footbridge cost?", turns) == "How much will the footbridge cost?"
    assert resolve("When?", []) == "When?"


def test_pronouns_for_things_are_left_to_the_model():
    turns = [turn("Is the footbridge approved?")]
    assert needs_context("When will it open?", turns)
    assert not needs_context("When will it open?", [])
    assert not needs_context("How much will the footbridge cost?", turns)
