import numpy as np
import pytest

from nutgraf.eval.metrics import (
    answer_parts,
    contains_answer,
    exact_match,
    expected_calibration_error,
    multihop_correct,
    normalize_answer,
    percentile,
    reliability_table,
    squad_scores,
    token_f1,
)


@pytest.mark.parametrize("text, expected", [
    ("The Denver Broncos!", "denver broncos"),
    ("an apple a day", "apple day"),
    ("  Theatre,   the   Arts  ", "theatre arts"),  # "the" only as a whole word
    ("U.S.-led (2019)", "usled 2019"),
])
def test_normalize_answer_follows_squad(text, expected):
    assert normalize_answer(text) == expected


def test_exact_match_ignores_case_articles_and_punctuation():
    assert exact_match("the Denver Broncos.", "Denver Broncos") == 1.0
    assert exact_match("Broncos", "Denver Broncos") == 0.0


def test_token_f1_on_a_hand_computed_example():
    # predicted: broncos of denver; gold: denver broncos -> 2 shared, P = 2/3, R = 1
    assert token_f1("Broncos of Denver", "Denver Broncos") == pytest.approx(0.8)
    assert token_f1("Carolina Panthers", "Denver Broncos") == 0.0


def test_token_f1_counts_repeated_tokens_once_per_occurrence():
    # predicted: new new york; gold: new york -> shared 2 of 3 predicted tokens
    assert token_f1("New New York", "New York") == pytest.approx(2 * (2 / 3) / (2 / 3 + 1))


def test_scores_take_the_best_gold_answer():
    exact, f1 = squad_scores("French Republic", ["France", "the French Republic", "Republic of France"])
    assert (exact, f1) == (1.0, 1.0)
    exact, f1 = squad_scores("Mayor Ana Ruiz said", ["Ana Ruiz", "Mayor Ana Ruiz"])
    assert exact == 0.0
    assert f1 == pytest.approx(6 / 7)  # best against "Mayor Ana Ruiz": P = 3/4, R = 1


def test_unanswerable_scores_one_only_on_abstention():
    assert squad_scores(None, []) == (1.0, 1.0)
    assert squad_scores("Paris", []) == (0.0, 0.0)
    # An answer that normalises to nothing is still an answer, not an abstention.
    assert squad_scores("The", []) == (0.0, 0.0)
    # Gold answers that normalise to nothing leave the question unanswerable.
    assert squad_scores(None, ["the"]) == (1.0, 1.0)


def test_abstaining_on_an_answerable_question_scores_zero():
    assert squad_scores(None, ["Paris"]) == (0.0, 0.0)


@pytest.mark.parametrize("raw, parts", [
    ("Tampa, Florida", [["Tampa, Florida"]]),
    (["Norway", "Germany"], [["Norway"], ["Germany"]]),
    ([["April 20 2018", "Apr 20, 2018", "20 April 2018"]], [["April 20 2018", "Apr 20, 2018", "20 April 2018"]]),
    ([["Lyon", "Lyons"], "France"], [["Lyon", "Lyons"], ["France"]]),
])
def test_rgb_answer_field_in_every_shape(raw, parts):
    assert answer_parts(raw) == parts


def test_rgb_answer_is_found_case_insensitively_inside_the_prediction():
    assert contains_answer("It was held in tampa, florida, in February.", answer_parts("Tampa, Florida"))
    assert not contains_answer("Glendale, Arizona", answer_parts("Tampa, Florida"))
    assert not contains_answer(None, answer_parts("Tampa, Florida"))


def test_rgb_any_alternative_of_a_part_counts():
    parts = answer_parts([["April 20 2018", "Apr 20, 2018", "20 April 2018"]])
    assert contains_answer("The game came out on 20 April 2018.", parts)
    assert not contains_answer("The game came out in April.", parts)


def test_rgb_every_part_is_required():
    parts = answer_parts([["Lyon", "Lyons"], "France"])
    assert contains_answer("Lyons, France", parts)
    assert not contains_answer("Lyons", parts)


def test_multihop_yes_no_must_be_exact():
    assert multihop_correct("Yes.", "Yes")
    assert multihop_correct("no", "No")
    assert not multihop_correct("Yes, and no.", "Yes")
    assert not multihop_correct("Not at all", "no")
    assert multihop_correct("Yes: both reports say the deal was signed.", "Yes")
    assert not multihop_correct("No: the deal was never signed.", "Yes")


def test_multihop_other_answers_must_appear_as_whole_words():
    assert multihop_correct("It was Sam Bankman-Fried who founded the firm.", "Sam Bankman-Fried")
    assert multihop_correct("GOOGLE", "Google")
    assert not multihop_correct("She googled it.", "Google")
    assert not multihop_correct(None, "Google")


def test_percentile_matches_numpy():
    values = [0.3, 1.2, 0.9, 4.0, 2.2, 0.1, 0.5]
    for q in (0, 50, 95, 100):
        assert percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert percentile([], 50) is None


def test_reliability_table_bins_and_calibration_error():
    table = reliability_table([0.05, 0.15, 0.95, 1.0, 0.92], [0, 1, 1, 0, 1])
    assert len(table) == 10
    assert [row["count"] for row in table] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert table[0] == {"bin": [0.0, 0.1], "count": 1, "mean_confidence": 0.05, "accuracy": 0.0}
    assert table[2]["mean_confidence"] is None and table[2]["accuracy"] is None
    last = table[9]
    assert last["mean_confidence"] == pytest.approx((0.95 + 1.0 + 0.92) / 3)
    assert last["accuracy"] == pytest.approx(2 / 3)
    gaps = 1 * 0.05 + 1 * 0.85 + 3 * abs((0.95 + 1.0 + 0.92) / 3 - 2 / 3)
    assert expected_calibration_error(table) == pytest.approx(gaps / 5)


def test_calibration_error_of_nothing_is_none():
    assert expected_calibration_error(reliability_table([], [])) is None
