"""The check and decide stages on drafts made by hand, with calibrations made by hand."""

import pytest

from nutgraf.answering import kinds
from nutgraf.answering.calibration import Calibration
from nutgraf.answering.decide import Decider
from nutgraf.answering.read import Draft, Point
from nutgraf.answering.support import agrees, check
from nutgraf.records import Scope


@pytest.fixture(scope="module")
def staged(archive):
    answerer = archive.answerer
    request = answerer.resolve(answerer.open("How many goals did the team score?", Scope([archive.bridge_id])))
    return request, answerer.gather(request)


def decider(answer_at: float, closest_at: float | None) -> Decider:
    decider = Decider(with_model=False)
    # A single signal: how much of the question the sentence and its neighbours cover.
    calibration = Calibration(["term_coverage"], [10.0], -5.0, answer_at, closest_at)
    decider.phrase = decider.sentence = decider.evidence = decider.verdict = calibration
    return decider


def test_grades_follow_the_bands(staged):
    request, evidence = staged
    item = evidence.items[0]
    draft = Draft(kinds.PHRASE, [Point("7 to 2", [item])], chosen=item, source="search")
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
    draft = Draft(kinds.YES_NO, [Point("The council voted", [item])], chosen=item, source="search")
    assert decider(0.0, 0.0).decide(request, draft, evidence, None, "extractive").grade == "closest"


def test_a_yes_no_answer_needs_both_an_article_that_speaks_to_it_and_a_sure_verdict():
    decider = Decider(with_model=True)
    decider.evidence = Calibration(["dense_similarity"], [10.0], -5.0, 0.5, None)
    decider.verdict = Calibration(["verdict_logodds"], [1.0], 0.0, 0.5, None)
    draft = Draft(kinds.YES_NO, verdict="yes")
    on_topic = {"dense_similarity": 0.7, "verdict_logodds": 3.0}
    stranger = {"dense_similarity": 0.1, "verdict_logodds": 3.0}
    assert decider.confidence(draft, on_topic) == pytest.approx(0.881 * 0.953, abs=1e-3)
    assert decider.confidence(draft, stranger) < 0.05  # however sure the verdict
    decider.phrase = Calibration(["term_coverage"], [10.0], -5.0, 0.5, None)
    assert decider.confidence(Draft(kinds.PHRASE), on_topic | {"term_coverage": 0.5}) == 0.5


def test_points_their_citations_do_not_support_are_dropped(staged):
    _, evidence = staged
    item = evidence.items[0]  # "The Riverside city council voted 7 to 2 on Thursday ..."
    copied = Point("voted 7 to 2 on Thursday", [item])
    reworded = Point("The council approved it by seven votes to two", [item], verbatim=False)
    invented = Point("The council voted 8 to 1 in Springfield", [item], verbatim=False)
    uncited = Point("voted 7 to 2", [])
    kept = check(Draft(kinds.LIST, [copied, reworded, invented, uncited], chosen=item)).points
    assert kept == [copied, reworded]
    assert not check(Draft(kinds.YES_NO, [invented], chosen=item, verdict="yes")).verdict


def test_names_and_numbers_must_agree():
    cited = "Mayor Elena Kowalski said the bridge would cost $4.5 million."
    assert agrees("It would cost $4.5 million, Kowalski said", cited)
    assert not agrees("It would cost $5 million", cited)
    assert not agrees("Mayor Osei said so", cited)
