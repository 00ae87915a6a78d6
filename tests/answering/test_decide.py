"""The check and decide stages on drafts made by hand, with calibrations made by hand."""

import pytest

from nutgraf.records import Kind
from nutgraf.answering.calibration import NEVER, Calibration, risk_curve
from nutgraf.answering.decide import Decider
from nutgraf.answering.drafts import Draft, Point
from nutgraf.answering.support import agrees, check
from nutgraf.records import Scope


@pytest.fixture(scope="module")
def staged(archive):
    answerer = archive.answerer
    request = answerer.resolve(answerer.open("How many goals did the team score?", Scope([archive.bridge_id])))
    return request, answerer.gather(request)


def judge(features: list[str], weights: list[float], bias: float, answer_at: float,
          closest_at: float | None = None) -> Calibration:
    """A calibration whose curves keep any risk from ``answer_at`` (and ``closest_at``) up."""
    return Calibration(features, weights, bias, [(answer_at, 0.0, 1000)],
                       [(closest_at, 0.0, 1000)] if closest_at is not None else [])


def decider(answer_at: float, closest_at: float | None) -> Decider:
    decider = Decider(with_model=False)
    # A single signal: how much of the question the sentence and its neighbours cover.
    calibration = judge(["term_coverage"], [10.0], -5.0, answer_at, closest_at)
    decider.phrase = decider.sentence = decider.evidence = decider.verdict = calibration
    return decider


def test_grades_follow_the_bands(staged):
    request, evidence = staged
    item = evidence.items[0]
    draft = Draft(Kind.PHRASE, [Point("7 to 2", [item])], chosen=item, source="search")
    assert decider(0.0, None).decide(request, draft, evidence, None, "extractive").grade == "answer"
    closest = decider(0.99, 0.0).decide(request, draft, evidence, None, "extractive")
    assert (closest.grade, closest.answerable, closest.answer) == ("closest", False, None)
    assert closest.note.startswith("The article comes closest here: “")
    assert closest.citations[0].text in closest.note
    none = decider(0.99, 0.99).decide(request, draft, evidence, None, "extractive")
    assert none.grade == "none" and none.note.startswith("The article does not say.")


def test_a_yes_no_draft_without_a_verdict_is_never_an_answer(staged):
    request, evidence = staged
    item = evidence.items[0]
    draft = Draft(Kind.YES_NO, [Point("The council voted", [item])], chosen=item, source="search")
    answer = decider(0.0, 0.0).decide(request, draft, evidence, None, "extractive")
    assert answer.grade == "none" and answer.note.startswith("The article does not say")


def test_the_risk_picks_the_lowest_threshold_every_stricter_one_also_keeps():
    curve = [(0.95, 0.3, 5), (0.9, 0.01, 40), (0.8, 0.03, 60), (0.7, 0.08, 80), (0.6, 0.04, 100), (0.5, 0.2, 150)]
    calibration = Calibration(["term_coverage"], [1.0], 0.0, curve)
    assert calibration.threshold_for(0.05) == 0.8  # 0.6 keeps 5% too, but only past 0.7, which does not
    assert calibration.threshold_for(0.1) == 0.6
    assert calibration.threshold_for(0.005) == NEVER  # and 0.95 is too thinly supported to stop it


def test_the_risk_curve_counts_the_wrong_answers_at_or_above_each_threshold():
    curve = {threshold: (bound, shown) for threshold, bound, shown in
             risk_curve([0.95] * 60 + [0.55] * 40, [1.0] * 60 + [0.0] * 40)}
    assert (curve[0.9], curve[0.5]) == ((0.0, 60), (0.4, 100))


def test_a_yes_no_answer_is_rated_by_one_calibration_against_its_own_threshold():
    decider = Decider(with_model=True)
    decider.verdict = judge(["verdict_logodds", "sentence_yes"], [0.5, 6.0], -4.0, 0.7)
    draft = Draft(Kind.YES_NO, verdict="yes")
    said = {"verdict_logodds": 3.0, "sentence_yes": 0.9}
    unsaid = {"verdict_logodds": 3.0, "sentence_yes": 0.1}
    assert decider.confidence(draft, said) == pytest.approx(0.948, abs=1e-3)
    assert decider.confidence(draft, unsaid) < decider.threshold(decider.verdict) <= decider.confidence(draft, said)


def test_answers_read_off_the_article_are_shown_only_within_the_risk():
    draft = Draft(Kind.QUOTE, source="article")
    assert Decider(with_model=True, risk=0.05).threshold(None) <= Decider(with_model=True).confidence(draft, {})
    assert Decider(with_model=True, risk=0.01).threshold(None) > Decider(with_model=True).confidence(draft, {})


def test_points_their_citations_do_not_support_are_dropped(staged):
    _, evidence = staged
    item = evidence.items[0]  # "The Riverside city council voted 7 to 2 on Thursday ..."
    copied = Point("voted 7 to 2 on Thursday", [item])
    reworded = Point("The council approved it by seven votes to two", [item], verbatim=False)
    invented = Point("The council voted 8 to 1 in Springfield", [item], verbatim=False)
    uncited = Point("voted 7 to 2", [])
    kept = check(Draft(Kind.LIST, [copied, reworded, invented, uncited], chosen=item)).points
    assert kept == [copied, reworded]
    assert not check(Draft(Kind.YES_NO, [invented], chosen=item, verdict="yes")).verdict


def test_names_and_numbers_must_agree():
    cited = "Mayor Elena Kowalski said the bridge would cost $4.5 million."
    assert agrees("It would cost $4.5 million, Kowalski said", cited)
    assert not agrees("It would cost $5 million", cited)
    assert not agrees("Mayor Osei said so", cited)
