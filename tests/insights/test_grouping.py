"""Grouping near-identical questions, on a labelled set written for these tests."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from nutgraf.insights.grouping import (
    SAME_QUESTION, closest_group, group_labels, pack_mean, question_form, same_form, unpack_mean, wording_key,
)
from nutgraf.retrieval.embedder import get_embedder

STORIES = json.loads((Path(__file__).parent / "fixtures" / "question_groups.json").read_text())["stories"]


def pair_scores(stories: dict, reverse: bool) -> tuple[float, float]:
    """Pairwise precision and recall of grouping each story's questions, asked in the order
    written (or the reverse): every question of a list after the one before it."""
    embed = get_embedder().embed
    together = paraphrases = both = 0
    for groups in stories.values():
        questions = [q for group in groups for q in group]
        truth = [n for n, group in enumerate(groups) for _ in group]
        order = list(range(len(questions)))[::-1 if reverse else 1]
        labels = group_labels([questions[i] for i in order], embed([questions[i] for i in order]))
        predicted = dict(zip(order, labels))
        for i, j in itertools.combinations(range(len(questions)), 2):
            same, joined = truth[i] == truth[j], predicted[i] == predicted[j]
            together += joined
            paraphrases += same
            both += same and joined
    return both / together, both / paraphrases


@pytest.mark.parametrize("reverse", [False, True])
def test_paraphrases_go_together_and_other_questions_stay_apart(reverse):
    precision, recall = pair_scores(STORIES, reverse)
    # Recall was 0.96 in the order written and 0.87 reversed: a wording far enough from the
    # first of its list ("how long is the new coachs contract") starts a group of its own.
    assert precision == 1.0 and recall >= 0.85


def test_the_ferry_story_is_grouped_exactly():
    groups = STORIES["ferry"]
    questions = [q for group in groups for q in group]
    labels = group_labels(questions, get_embedder().embed(questions))
    assert labels == [n for n, group in enumerate(groups) for _ in group]


def test_when_and_where_are_never_one_question_however_alike():
    questions = ["When is the summit?", "Where is the summit?", "When will the summit be?"]
    vectors = get_embedder().embed(questions)
    assert float(vectors[0] @ vectors[1]) > SAME_QUESTION  # the embedder alone would join them
    assert group_labels(questions, vectors) == [0, 1, 0]


@pytest.mark.parametrize("question, form", [
    ("When is the summit?", "when"), ("And where will it be held?", "where"), ("Who's going?", "who"),
    ("Is the summit confirmed?", "yes-no"), ("Isn't it confirmed?", "yes-no"), ("How much will it cost?", "how much"),
    ("How many people live there?", "how much"), ("What share of the vote did they get?", "how much"),
    ("Number of voters in Israel?", "how much"), ("How long is the contract?", "how long"),
    ("How did it happen?", "how"), ("What did Zelensky say?", "what"), ("Summit date", "other"), ("", "other"),
])
def test_the_form_of_a_question_is_read_off_its_question_word(question, form):
    assert question_form(question) == form


def test_open_forms_may_join_any_other():
    assert same_form("what", "when") and same_form("other", "yes-no") and same_form("who", "who")
    assert not same_form("when", "where") and not same_form("yes-no", "why")


def test_the_same_text_typed_differently_has_one_key():
    assert wording_key("  When is the  VOTE ?") == wording_key("when is the vote") == "when is the vote"
    assert wording_key("What’s “Tomahawk”?") == wording_key("what's \"tomahawk\"")
    assert wording_key("When is the vote?") != wording_key("Where is the vote?")


def test_a_group_joins_only_at_the_threshold_and_keeps_its_mean_in_a_byte_a_coordinate():
    rng = np.random.default_rng(7)
    vector = rng.normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    packed = pack_mean(vector)
    assert len(packed) == 384
    assert float(unpack_mean(packed) @ vector) == pytest.approx(1.0, abs=0.01)
    means = np.stack([vector * SAME_QUESTION, -vector])
    assert closest_group(vector, means) == 0
    assert closest_group(vector, means[:, :] * 0.99) is None
    assert closest_group(vector, np.zeros((0, 384), np.float32)) is None
