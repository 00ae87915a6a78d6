"""Every answer kind through the stages, with a scripted model: fast and deterministic.

The scripted model replies as a real one would to nutgraf's prompts (a sentence number and
the words copied, a verdict, a list); what is tested is what the stages make of it.
"""

import pytest

from nutgraf import Nutgraf
from nutgraf.records import Kind
from nutgraf.llm.scripted import ScriptedModel
from nutgraf.records import Scope
from tests.conftest import FIXTURES

SCRIPT = {
    "How much will the footbridge cost?": "2: about $4.5 million",
    "Why did Martin Osei vote against the plan?": "4: the budget leaves no room for delays",
    "What are the parts of the project?": "7: a 120-metre steel deck\n8: lighting powered by solar panels",
    "Is the footbridge approved?": "yes",
    "Will the bridge open in 2026?": "yes",
    "Wie viel kostet die Brücke?": "How much will the footbridge cost?",  # the translation
    "about $4.5 million": "etwa 4,5 Millionen Dollar",
    "Did the mayor say the bridge was a mistake?": "no",
    "When will the lighting be switched on?": "8: lighting powered by solar panels",
    "When did the council vote?": "1: on Thursday",
}


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    model = ScriptedModel(SCRIPT)
    # The scripted model's confidences are not a real model's: every draft is answered, and
    # the grades are tested on the decide stage with calibrations of their own.
    nutgraf = Nutgraf(tmp_path_factory.mktemp("stages") / "db.sqlite", llm=model, min_confidence=0.0)
    outcome, = nutgraf.ingest([str(FIXTURES / "riverside-bridge.md")])
    nutgraf.bridge_id = outcome.article_id
    nutgraf.model = model
    return nutgraf


def ask(nutgraf, question, **options):
    return nutgraf.ask(question, article_id=nutgraf.bridge_id, **options)


def assert_grounded(nutgraf, answer):
    """Every citation points at a sentence that exists, and every point is cited."""
    article = nutgraf.article(nutgraf.bridge_id)
    for citation in answer.citations:
        assert article.text[citation.start:citation.end] == citation.text
        assert article.sentences[citation.sentence_index].text == citation.text
    for point in answer.points:
        assert point.citations and all(c in answer.citations for c in point.citations)


def test_a_phrase_is_copied_from_its_sentence(scripted):
    answer = ask(scripted, "How much will the footbridge cost?")
    assert (answer.kind, answer.grade, answer.answer) == (Kind.PHRASE, "answer", "about $4.5 million")
    assert answer.citations[0].sentence_index == 1
    assert_grounded(scripted, answer)


def test_an_explanation_is_the_clause_that_gives_the_reason(scripted):
    answer = ask(scripted, "Why did Martin Osei vote against the plan?")
    assert answer.kind == Kind.EXPLANATION
    assert answer.answer == "The budget leaves no room for delays"
    assert answer.citations[0].sentence_index == 3
    assert_grounded(scripted, answer)


def test_a_list_from_a_bulleted_list_is_every_bullet(scripted):
    answer = ask(scripted, "What are the parts of the project?")
    assert answer.kind == Kind.LIST
    assert [p.text for p in answer.points] == ["A 120-metre steel deck", "Lighting powered by solar panels",
                                               "A viewing platform above the weir"]
    assert [p.citations[0].sentence_index for p in answer.points] == [6, 7, 8]
    assert_grounded(scripted, answer)


def test_yes_or_no_comes_with_the_deciding_sentence(scripted):
    answer = ask(scripted, "Is the footbridge approved?")
    assert (answer.kind, answer.verdict) == (Kind.YES_NO, "yes")
    assert answer.answer.startswith("Yes: ")
    assert answer.citations[0].sentence_index == 0
    no = ask(scripted, "Did the mayor say the bridge was a mistake?")
    assert no.verdict == "no" and no.answer.startswith("No: ")
    assert_grounded(scripted, answer)


def test_what_is_only_expected_is_not_decided_yet(scripted):
    answer = ask(scripted, "Will the bridge open in 2026?")
    assert answer.verdict == "not-decided"
    assert answer.answer.startswith("Not decided yet: ")
    assert "expects" in answer.citations[0].text


def test_quotes_come_from_the_speaker_without_a_model_call(scripted):
    calls = len(scripted.model.calls)
    answer = ask(scripted, "What did Kowalski say?")
    assert answer.kind == Kind.QUOTE and len(answer.points) == 2
    assert answer.points[0].text == "“This is the missing link for people who walk or cycle to work”"
    assert len(scripted.model.calls) == calls
    bridge = ask(scripted, "What did Kowalski say about the bridge?")
    assert bridge.kind == Kind.QUOTE and "missing link" in bridge.answer  # said just after naming it
    about = ask(scripted, "What did Elena Kowalski say about waiting?")
    assert [p.text for p in about.points] == [] and about.answer == "“We have waited long enough.”"
    assert_grounded(scripted, answer)


def test_who_is_comes_from_how_the_story_introduces_them(scripted):
    answer = ask(scripted, "Who is Martin Osei?")
    assert (answer.kind, answer.answer) == (Kind.WHO_IS, "Councillor")
    assert answer.citations[0].sentence_index == 3


def test_when_is_resolved_against_publication(scripted):
    answer = ask(scripted, "When did the council vote?")
    assert answer.kind == Kind.WHEN
    assert answer.answer == "14 March 2024 (“Thursday”)"
    assert answer.citations[0].sentence_index == 0


def test_a_when_answer_without_any_time_in_it_is_not_given(scripted):
    answer = ask(scripted, "When will the lighting be switched on?")
    assert answer.kind == Kind.WHEN and answer.grade != "answer" and answer.answer is None


def test_a_bulleted_list_is_rated_on_the_line_that_introduces_it(scripted):
    answerer = scripted.answerer
    request = answerer.resolve(answerer.open("What are the parts of the project?", Scope([scripted.bridge_id])))
    evidence = answerer.gather(request)
    draft = answerer.check(answerer.read(request, answerer.classify(request, evidence), evidence))
    assert draft.chosen.sentence.text == "The project includes:"


def test_an_overview_is_three_cited_points_from_different_parts(scripted):
    answer = ask(scripted, "What is this article about?")
    assert answer.kind == Kind.OVERVIEW and len(answer.points) == 3
    cited = [p.citations[0].sentence_index for p in answer.points]
    assert cited[0] == 0 and cited == sorted(cited)
    article = scripted.article(scripted.bridge_id)
    assert len({article.sentences[i].paragraph for i in cited}) == 3  # one point a paragraph
    assert_grounded(scripted, answer)


def test_a_question_the_article_does_not_answer_is_not_answered(scripted):
    answer = ask(scripted, "How many goals did the national football team score?")
    assert (answer.answerable, answer.answer, answer.grade) == (False, None, "none")
    assert answer.note.startswith("The article does not say.")


def test_a_follow_up_is_answered_as_the_question_it_stands_for(scripted):
    first = ask(scripted, "What did Kowalski say?")
    follow = ask(scripted, "And what did she say about waiting?", conversation_id=first.conversation_id)
    assert follow.resolved_question == "What did Elena Kowalski say about waiting?"
    assert follow.answer == "“We have waited long enough.”"
    again = ask(scripted, "Who is Martin Osei?", conversation_id=first.conversation_id)
    assert again.resolved_question is None


def test_a_question_in_another_language_is_answered_in_it(scripted):
    answer = ask(scripted, "Wie viel kostet die Brücke?")
    assert answer.resolved_question == "How much will the footbridge cost?"
    assert answer.answer == "etwa 4,5 Millionen Dollar"
    assert answer.citations[0].text.endswith("cost about $4.5 million.")


def test_the_stream_shows_the_evidence_first_then_the_words_then_the_answer(scripted):
    events = list(scripted.ask_stream("How much will the footbridge cost?", article_id=scripted.bridge_id))
    types = [e["type"] for e in events]
    assert types[0] == "evidence" and types[-1] == "answer" and "delta" in types
    assert events[0]["citations"][0]["sentence_index"] == 1
    assert "".join(e["text"] for e in events if e["type"] == "delta") == "about $4.5 million"
    assert events[-1]["answer"].timings_ms["evidence"] <= events[-1]["answer"].timings_ms["total"]


def test_stages_can_be_run_one_by_one(scripted):
    answerer = scripted.answerer
    request = answerer.resolve(answerer.open("How much will the footbridge cost?", Scope([scripted.bridge_id])))
    evidence = answerer.gather(request)
    asked = answerer.classify(request, evidence)
    draft = answerer.check(answerer.read(request, asked, evidence))
    answer = answerer.decide(request, draft, evidence)
    assert (asked.kind, draft.points[0].text, answer.answer) == (Kind.PHRASE, "about $4.5 million",
                                                                 "about $4.5 million")


class CountingStore:
    """The store, counting the calls made through it."""

    def __init__(self, store):
        self.store, self.calls = store, []

    def __getattr__(self, name):
        method = getattr(self.store, name)
        if not callable(method):
            return method

        def counted(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return counted


def test_one_question_makes_few_store_calls(scripted, tmp_path):
    counting = CountingStore(scripted.store)
    nutgraf = Nutgraf(store=counting, llm=ScriptedModel(SCRIPT), min_confidence=0.0)
    first = nutgraf.ask("How much will the footbridge cost?", article_id=scripted.bridge_id)
    counting.calls.clear()
    nutgraf.ask("Why did Martin Osei vote against the plan?", article_id=scripted.bridge_id,
                conversation_id=first.conversation_id)
    # The answer's own path, then the question log's: a lookup of the wording and one insert.
    logged = [call for call in counting.calls if call in ("knows_wording", "log_ask")]
    assert len(counting.calls) - len(logged) <= 5, counting.calls
    assert logged == ["knows_wording", "log_ask"], counting.calls
    assert counting.calls.count("get_article") == 1
