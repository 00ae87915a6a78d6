"""Candidate questions: the sentences and forms they are written for, and what the article's
structures give without a model."""

from nutgraf.analysis.analyzer import analyse
from nutgraf.answering.evidence import Evidence, article_opening
from nutgraf.records import Article, Entity, Mention, Quote, Sentence
from nutgraf.related import generate


def test_targets_cover_the_story_after_its_lede_in_the_forms_it_invites(scripted):
    article = scripted.article(scripted.bridge_id)
    chosen = generate.targets(article, article_opening(article), 8)
    forms = {item.sentence.index: form.name for item, form in chosen}
    assert 0 not in forms  # the lede is what the reader just read
    assert not {6, 7, 8} & set(forms)  # list items are asked about through their list
    assert forms[1] == "next" and forms[3] == "reaction" and forms[5] == "list" and forms[10] == "number"
    assert max(forms) >= 9  # down to the end of the story


def test_the_part_that_answers_is_the_clause_with_the_signal():
    text = "The council closed the old footbridge on Monday, because its cables were corroded."
    item = Evidence(1, "a1", Sentence(0, 0, len(text), 0, text), None, 0.0)
    why = next(form for form in generate.FORMS if form.name == "why")
    assert generate.answering_part(item, why) == "because its cables were corroded."
    anything = next(form for form in generate.FORMS if form.name == "what")
    assert generate.answering_part(item, anything) == text


def test_quotes_and_people_give_questions_without_a_model(scripted):
    bridge = generate.from_structure(scripted.article(scripted.bridge_id))
    questions = [c.question for c in bridge]
    assert "What did Elena Kowalski say?" in questions
    assert "Who is Martin Osei?" in questions  # named once, and not in the opening paragraph
    tunnel = [c.question for c in generate.from_structure(scripted.article(scripted.tunnel_id))]
    assert "What did Martin Osei say?" in tunnel


def test_the_model_writes_each_question_in_its_form(scripted):
    article = scripted.article(scripted.bridge_id)
    evidence = article_opening(article)
    written = generate.from_model(scripted.model, evidence, generate.targets(article, evidence, 8))
    by_sentence = {c.sentence_index: c for c in written}
    assert by_sentence[1].question == "When will construction of the Riverside footbridge begin?"
    assert by_sentence[1].form == "next"
    prompt = next(call for call in scripted.model.calls if "expected to begin" in call[-1]["content"])
    assert prompt[-1]["content"].endswith('Start: "What will"')


def article_of(text: str) -> Article:
    analysis = analyse(text)
    return Article(id="a1", text=text, sentences=analysis.sentences, entities=analysis.entities,
                   quotes=analysis.quotes)


def quote_questions(article: Article) -> list[str]:
    return [c.question for c in generate.from_structure(article) if c.form == "quote"]


def test_quote_questions_come_only_from_a_named_persons_closed_quotes():
    said = "Mayor Elena Kowalski opened the footbridge. “It links the mill district to the station,” Kowalski said."
    assert quote_questions(article_of(said)) == ["What did Elena Kowalski say?"]
    unclosed = "Mayor Elena Kowalski opened the footbridge. Kowalski said: “It links the mill district to the station."
    assert quote_questions(article_of(unclosed)) == []
    reported = "Mayor Elena Kowalski said the footbridge links the mill district to the station."
    assert quote_questions(article_of(reported)) == []


def test_a_body_of_people_taken_for_a_person_asks_no_quote_question():
    text = "“The footbridge links the mill district to the station,” the Harbour Committee said."
    start = text.index("Harbour Committee")
    committee = Entity("Harbour Committee", "PERSON", [Mention(0, start, start + 17, "Harbour Committee")])
    article = Article(id="a1", text=text, sentences=[Sentence(0, 0, len(text), 0, text)], entities=[committee],
                      quotes=[Quote(text[1:55], 1, 55, 0, "Harbour Committee")])
    assert quote_questions(article) == []
