"""Candidate questions: which sentences the model writes about, and the real model writing them."""

import pytest

from nutgraf import Nutgraf
from nutgraf.answering.evidence import article_opening
from nutgraf.related import generate
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def llm_archive(tmp_path_factory):
    nutgraf = Nutgraf(tmp_path_factory.mktemp("related-llm") / "db.sqlite", model="smollm2-135m")
    [outcome] = list(nutgraf.ingest([str(FIXTURES / "riverside-bridge.md")]))
    nutgraf.bridge_id = outcome.article_id
    nutgraf.evidence = article_opening(nutgraf.article(outcome.article_id))
    return nutgraf


def test_targets_spread_over_the_paragraphs_from_the_opening(llm_archive):
    evidence = llm_archive.evidence
    chosen = generate.targets(evidence, 3)
    paragraphs = [item.sentence.paragraph for item in chosen]
    assert len(set(paragraphs)) == 3
    assert paragraphs[0] == min(item.sentence.paragraph for item in generate.targets(evidence, 50))
    assert max(paragraphs) >= 3  # not just the top of the story


def test_targets_fill_up_from_paragraphs_already_used_and_never_repeat(llm_archive):
    evidence = llm_archive.evidence
    every = generate.targets(evidence, 50)
    numbers = [item.number for item in every]
    assert numbers == sorted(set(numbers))
    assert all(len(item.sentence.text.split()) >= generate.MIN_WORDS for item in every)
    assert len(every) > len({item.sentence.paragraph for item in every})


def test_the_model_writes_one_question_and_its_answer_per_target_sentence(llm_archive):
    chosen = generate.targets(llm_archive.evidence, 3)
    candidates = generate.from_model(llm_archive.answerer.llm, llm_archive.evidence, chosen)
    assert [c.sentence_index for c in candidates] == [item.sentence.index for item in chosen]
    assert all(c.question.endswith("?") and c.kind == "model" and c.expected for c in candidates)


def test_model_questions_are_shown_only_once_answered_with_a_citation(llm_archive):
    for item in llm_archive.related(llm_archive.bridge_id)["questions"]:
        answer = llm_archive.ask(item["question"], article_id=llm_archive.bridge_id)
        assert answer.answerable and answer.answer == item["answer_preview"]
        assert answer.citations[0].to_dict() == item["citations"][0]


def test_a_story_without_paragraph_breaks_is_covered_from_start_to_end(tmp_path):
    from nutgraf.records import Document

    nutgraf = Nutgraf(tmp_path / "db.sqlite", model="none")
    text = " ".join(f"Councillor Number{n} said the plan for district {n} costs {n} million dollars."
                    for n in range(1, 31))
    [outcome] = nutgraf.ingest_documents([Document(text=text, title="One block", origin="block")])
    evidence = article_opening(nutgraf.article(outcome.article_id))
    chosen = generate.targets(evidence, 5)
    assert len(chosen) == 5
    assert chosen[0].number <= 6 and chosen[-1].number >= 25


def test_answer_phrases_are_names_numbers_and_dates_rarest_first(llm_archive):
    article = llm_archive.article(llm_archive.bridge_id)
    opening = next(s.text for s in article.sentences if s.text.startswith("The Riverside city council"))
    phrases = generate.answer_phrases(opening, article)
    assert phrases[0] == "Thursday"
    assert "the Maple River" in phrases
    assert "Riverside" not in phrases  # in the headline: a question for it repeats the headline
    assert generate.answer_phrases("Residents said so yesterday and today.", article) == []


def test_the_model_writes_the_question_for_a_given_answer_for_open_sentences_only(llm_archive):
    article = llm_archive.article(llm_archive.bridge_id)
    chosen = [item for item in generate.targets(llm_archive.evidence, 50)
              if generate.answer_phrases(item.sentence.text, article)][:3]
    closed = chosen[0].sentence.index
    first_of_second = generate.answer_phrases(chosen[1].sentence.text, article)[0]
    candidates = list(generate.from_answers(
        llm_archive.answerer.llm, llm_archive.evidence, chosen, article,
        still_open=lambda index: index != closed, taken={first_of_second.lower()}))
    assert [c.sentence_index for c in candidates] == [item.sentence.index for item in chosen[1:]]
    assert candidates[0].expected == generate.answer_phrases(chosen[1].sentence.text, article)[1]
    assert candidates[1].expected == generate.answer_phrases(chosen[2].sentence.text, article)[0]
    assert all(c.question.endswith("?") and c.kind == "model" for c in candidates)


def test_instructions_inside_an_article_never_reach_the_question_writer(tmp_path):
    nutgraf = Nutgraf(tmp_path / "db.sqlite", model="smollm2-135m")
    [outcome] = list(nutgraf.ingest([str(FIXTURES / "injection.txt")]))
    evidence = article_opening(nutgraf.article(outcome.article_id))
    assert not any("INSTRUCTIONS" in item.sentence.text for item in generate.targets(evidence, 50))
    for item in nutgraf.related(outcome.article_id)["questions"]:
        assert "cancelled" not in item["question"].lower() + item["answer_preview"].lower()
        assert all("INSTRUCTIONS" not in c["text"] for c in item["citations"])


def test_questions_about_the_prompt_rather_than_the_story_are_recognised():
    assert generate.ABOUT_THE_TEXT.search("What city did Edwin Lee mention in sentence 7?")
    assert generate.ABOUT_THE_TEXT.search("What is this article about?")
    assert not generate.ABOUT_THE_TEXT.search("Which city did Edwin Lee mention?")
