"""Nothing false is shown: the defects a reader met on the sample article, each answered by a
scripted model the way the packaged model answered it, and what the stages now make of it.

The scripted model replies to each of nutgraf's prompts by what the prompt asks: the article
reading, the verdict from the whole article, the verdict of one sentence alone, whether a
sentence answers, a translation, a support check. Every threshold is 0 here: what is tested
is what no confidence can buy (a verdict its sentence does not give, a premise never stated,
a quote reworded), not the calibration.
"""

import pytest

from nutgraf import Nutgraf
from nutgraf.answering.asked_type import of_asked_type
from nutgraf.llm.scripted import Scripted, ScriptedModel
from nutgraf.records import Grade, Kind, Verdict
from tests.conftest import shared_file

# (what the prompt is, the question it carries) → the reply the packaged model gave, or one like it.
READINGS = {
    "When is Zelensky visiting the White House?": "8: Budapest",  # the reading that missed
    "Did Putin agree to a ceasefire?": "yes",
    "Did the Kremlin welcome the idea of sending Tomahawks?": "yes",
    "Did the European Union comment on the summit?": "no",
    "Has Putin agreed to meet Zelensky in Budapest?": "yes",
    "Is the Budapest summit confirmed?": "yes",
    "Did Putin show any willingness to make concessions at the Anchorage press conference?": "yes",
    "Did Trump describe the phone call with Putin as productive?": "yes",
}
READ_ALONE = {  # "According to this sentence alone ...": yes, no or unknown
    "Did Putin agree to a ceasefire?": "unknown",
    "Did the Kremlin welcome the idea of sending Tomahawks?": "unknown",
    "Did the European Union comment on the summit?": "yes",
    "Has Putin agreed to meet Zelensky in Budapest?": "unknown",
    "Is the Budapest summit confirmed?": "unknown",
    "Did Putin show any willingness to make concessions at the Anchorage press conference?": "unknown",
    "Did Trump describe the phone call with Putin as productive?": "yes",
}
HAMAS_QUOTE = "Putin is certainly no braver than Hamas or any other terrorist organization."
REVERSED = "Poutine n'est pas plus courageux que le Hamas ; la force sera toujours en faveur de la Russie."
FAITHFUL = "Poutine n'est certainement pas plus courageux que le Hamas ou toute autre organisation terroriste."


def reply(messages):
    prompt = messages[-1]["content"]
    if prompt.startswith("Translate this into English"):
        text = prompt.split("\n\n", 1)[1]
        return {"Qu'a dit Zelensky sur le Hamas ?": "What did Zelensky say about Hamas?",
                REVERSED: "Putin is no braver than Hamas; strength will always favour Russia.",
                FAITHFUL: HAMAS_QUOTE}.get(text, text)
    if prompt.startswith("Translate this into French"):
        text = prompt.split("\n\n", 1)[1]
        return REVERSED if "Hamas" in text and reply.faithful is False else FAITHFUL if "Hamas" in text else text
    if prompt.startswith("Sentences from a news article"):  # the support check of a reworded claim
        return Scripted("yes" if "always favour" not in prompt else "no", confidence=0.95)
    question = next((q for q in {**READINGS, **READ_ALONE} if q in prompt), None)
    if prompt.startswith("Read this sentence") and "According to this sentence alone" in prompt:
        return Scripted(READ_ALONE.get(question, "unknown"), confidence=0.95)
    if prompt.startswith("Read this sentence"):
        return Scripted("yes", confidence=0.9)
    return READINGS.get(question, "NONE")


reply.faithful = True


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = shared_file("samples/budapest-summit.txt")
    nutgraf = Nutgraf(tmp_path_factory.mktemp("trust") / "db.sqlite", llm=ScriptedModel(reply), min_confidence=0.0)
    outcome, = nutgraf.ingest([str(path)])
    nutgraf.sample_id = outcome.article_id
    return nutgraf


def ask(nutgraf, question):
    return nutgraf.ask(question, article_id=nutgraf.sample_id)


def test_no_verdict_for_a_question_whose_sentence_does_not_decide_it(sample):
    answer = ask(sample, "Did Putin agree to a ceasefire?")
    assert (answer.grade, answer.verdict, answer.answer) == (Grade.NONE, None, None)
    assert answer.note.startswith("The article does not say whether Putin agreed to a ceasefire.")


def test_a_verdict_is_shown_only_where_its_cited_sentence_gives_it(sample):
    answer = ask(sample, "Did the Kremlin welcome the idea of sending Tomahawks?")
    assert answer.grade == Grade.NONE and answer.verdict is None  # the whole-article reading said yes
    assert "the Kremlin welcomed the idea of sending Tomahawks" in answer.note
    said = ask(sample, "Did Trump describe the phone call with Putin as productive?")
    assert (said.grade, said.verdict) == (Grade.ANSWER, Verdict.YES)
    assert "“productive,”" in said.citations[0].text


def test_no_verdict_on_a_premise_the_article_never_states(sample):
    answer = ask(sample, "Did the European Union comment on the summit?")
    assert answer.grade == Grade.NONE and answer.verdict is None  # though its sentence "said yes"
    assert answer.note.startswith("The article does not say whether the European Union commented on the summit.")


def test_not_decided_yet_only_for_a_plan_its_sentence_states(sample):
    planned = ask(sample, "Is the Budapest summit confirmed?")
    assert (planned.grade, planned.verdict) == (Grade.ANSWER, Verdict.NOT_DECIDED)
    assert "expected to take place in Budapest" in planned.answer
    unstated = ask(sample, "Has Putin agreed to meet Zelensky in Budapest?")  # Zelensky is not in that plan
    assert unstated.grade == Grade.NONE and unstated.verdict is None


def test_a_sentence_that_negates_the_questions_own_words_says_no(sample):
    answer = ask(sample, "Did Putin show any willingness to make concessions at the Anchorage press conference?")
    assert (answer.grade, answer.verdict) == (Grade.ANSWER, Verdict.NO)
    assert "without showing any willingness" in answer.citations[0].text


def test_a_when_question_is_answered_from_the_articles_own_dates(sample):
    answer = ask(sample, "When is Zelensky visiting the White House?")
    assert answer.grade == Grade.ANSWER and answer.kind == Kind.WHEN
    assert "today" in answer.answer and "White House today" in answer.citations[0].text


@pytest.mark.parametrize("faithful", [False, True])
def test_a_quote_in_another_language_stays_the_speakers_words(sample, faithful):
    reply.faithful = faithful
    try:
        answer = ask(sample, "Qu'a dit Zelensky sur le Hamas ?")
    finally:
        reply.faithful = True
    assert answer.kind == Kind.QUOTE and answer.grade == Grade.ANSWER
    assert HAMAS_QUOTE in answer.answer and all(HAMAS_QUOTE in p.text for p in answer.points)
    translations = [p.translation for p in answer.points]
    assert translations == ([FAITHFUL] if faithful else [None])  # a reversed rendering is never shown


def test_a_position_is_not_answered_with_a_name(sample):
    answer = ask(sample, "What position does Viktor Orban hold?")
    assert (answer.kind, answer.answer) == (Kind.WHO_IS, "Hungarian Prime Minister")
    assert not of_asked_type("What position does Viktor Orban hold?", "Viktor Orban")


@pytest.mark.parametrize("question, answer, right", [
    ("Where will the summit take place?", "Budapest", True),
    ("Where will the summit take place?", "the negotiating table", False),
    ("When was the phone call?", "Budapest", False),
    ("When was the phone call?", "yesterday", True),
    ("How long did the phone call last?", "more than two and a half hours", True),
    ("How many missiles will be sent?", "Tomahawk missiles", False),
    ("Who will Trump host at the White House?", "his Ukrainian counterpart, Volodymyr Zelensky", True),
    ("Who voted against the plan?", "two councillors", True),
    ("What weapons does Ukraine want?", "Ukraine wants weapons", False),  # only the question's own words
])
def test_an_answer_is_of_the_type_its_question_asks_for(question, answer, right):
    assert of_asked_type(question, answer) == right


@pytest.mark.parametrize("question", ["What are the main points?", "Give me the highlights", "What happened?",
                                      "Tell me the key facts", "What's the big picture?"])
def test_a_plain_request_for_the_main_points_is_an_overview(sample, question):
    answer = ask(sample, question)
    assert answer.kind == Kind.OVERVIEW and len(answer.points) == 3


def test_a_reaction_is_answered_from_what_the_story_reports_was_said(sample):
    answer = ask(sample, "How did the Kremlin react to the idea of sending Tomahawks?")
    assert (answer.kind, answer.grade) == (Kind.QUOTE, Grade.ANSWER)
    assert answer.answer == ("The Kremlin warned that any U.S. decision to send Tomahawk missiles to Ukraine "
                             "would be seen as a provocation")
    assert "“" not in answer.answer  # reported, not quoted: these are not the Kremlin's own words
    assert "the Kremlin warned that any U.S. decision" in answer.citations[0].text


@pytest.mark.parametrize("question", ["What thorny issues remain on the path to Budapest?", "What are the issues?"])
def test_a_list_question_on_a_bulleted_list_is_answered_with_its_bullets_as_written(sample, question):
    answer = ask(sample, question)
    assert (answer.kind, answer.grade, answer.judge) == (Kind.LIST, Grade.ANSWER, "structure")
    assert [p.text for p in answer.points] == ["The occupation of Ukrainian territories", "Ukraine’s NATO membership veto",
                                               "The demilitarization of Ukraine"]
