from nutgraf.analysis.analyzer import analyse
from nutgraf.analysis.quotes import is_named_person
from nutgraf.records import Entity, Mention


def quotes_of(text):
    analysis = analyse(text)
    return [(q.speaker, q.text) for q in analysis.quotes if q.form == "direct"], analysis


def test_speaker_after_the_quote():
    text = "Mayor Elena Kowalski opened the bridge. “This is the missing link for walkers,” Kowalski said."
    quotes, _ = quotes_of(text)
    assert quotes == [("Elena Kowalski", "This is the missing link for walkers,")]


def test_speaker_before_the_quote_and_pronouns():
    text = (
        "Councillor Martin Osei warned that “the budget leaves no room for delays.” "
        "\"We should fix the tunnel first,\" he said."
    )
    quotes, _ = quotes_of(text)
    assert ("Martin Osei", "the budget leaves no room for delays.") in quotes
    assert ("Martin Osei", "We should fix the tunnel first,") in quotes


def test_scare_quotes_are_not_quotes():
    quotes, _ = quotes_of("The so-called “Waterloo” in Anchorage still stings.")
    assert quotes == []


def test_offsets_cover_the_quoted_words():
    text = "“Work starts in September,” said Mayor Elena Kowalski."
    analysis = analyse(text)
    quote = analysis.quotes[0]
    assert text[quote.start:quote.end] == quote.text
    assert quote.speaker == "Elena Kowalski"


def test_sample_article_quotes_zelensky(sample_text):
    analysis = analyse(sample_text)
    zelensky = [q for q in analysis.quotes if q.speaker == "Volodymyr Zelensky"]
    assert any(q.text.startswith("Putin is certainly no braver than Hamas") for q in zelensky)


# -- attribution


def test_a_quotation_mark_never_closed_is_kept_but_marked():
    text = ("Mayor Elena Kowalski said: “The bridge opens in June. It will change the city.\n\n"
            "The council met on Monday.")
    [quote] = analyse(text).quotes
    assert quote.text == "The bridge opens in June. It will change the city."
    assert not quote.closed and not quote.verbatim
    closed = analyse("“The bridge opens in June,” Mayor Elena Kowalski said.").quotes[0]
    assert closed.closed and closed.verbatim


def test_he_said_with_nobody_named_before_is_nobody():
    quotes, _ = quotes_of("“We will open the bridge in June,” he said.")
    assert quotes == [(None, "We will open the bridge in June,")]


def test_he_said_after_two_people_is_nobody():
    text = ("Mayor Elena Kowalski and Councillor Martin Osei opened the bridge. "
            "“We will fix the tunnel next,” he said.")
    quotes, _ = quotes_of(text)
    assert quotes == [(None, "We will fix the tunnel next,")]


def test_a_title_stands_for_the_person_introduced_with_it_and_no_one_else():
    introduced = ("Mayor Elena Kowalski opened the bridge on Monday. "
                  "The mayor said that “walkers finally have their crossing.”")
    assert quotes_of(introduced)[0] == [("Elena Kowalski", "walkers finally have their crossing.")]
    bare = "The mayor said that “walkers finally have their crossing.”"
    assert quotes_of(bare)[0] == [(None, "walkers finally have their crossing.")]


def test_a_quoted_word_or_a_committee_is_no_person():
    text = "The speech recalled “Waterloo” and the vote. “Waterloo” was the word of the night."
    assert not is_named_person(text, Entity("Waterloo", "PERSON", [Mention(0, 19, 27, "Waterloo"),
                                                                     Mention(1, 45, 53, "Waterloo")]))
    committee = Entity("Harbour Committee", "PERSON", [Mention(0, 0, 17, "Harbour Committee")])
    assert not is_named_person("Harbour Committee said it would meet.", committee)
    assert not is_named_person("Kowalski spoke.", Entity("Kowalski", "PERSON", [Mention(0, 0, 8, "Kowalski")]))
    assert is_named_person("Elena Kowalski spoke.", Entity("Elena Kowalski", "PERSON",
                                                           [Mention(0, 0, 14, "Elena Kowalski")]))


# -- reported statements


def statements_of(text):
    analysis = analyse(text)
    for quote in analysis.quotes:
        assert text[quote.start:quote.end] == quote.text
    return [(q.speaker, q.verb, q.text) for q in analysis.quotes if q.form == "reported"]


def test_a_that_clause_is_what_an_organisation_warned():
    text = "The Kremlin warned that any decision to send the missiles would be seen as a provocation."
    assert statements_of(text) == [
        ("Kremlin", "warned", "any decision to send the missiles would be seen as a provocation")]


def test_a_clause_without_that_before_or_after_its_verb():
    assert statements_of("Councillor Martin Osei told reporters the budget leaves no room for delays.") == [
        ("Martin Osei", "told", "the budget leaves no room for delays")]
    text = "Councillor Martin Osei spoke first. The tunnel must be fixed before the bridge, Osei said."
    assert statements_of(text) == [("Martin Osei", "said", "The tunnel must be fixed before the bridge")]


def test_reactions_and_descriptions_give_their_object():
    assert statements_of("Moscow welcomed the decision to resume talks.") == [
        ("Moscow", "welcomed", "the decision to resume talks")]
    described = "Mayor Elena Kowalski described the new footbridge as “the missing link for walkers.”"
    assert statements_of(described) == [
        ("Elena Kowalski", "described", "the new footbridge as “the missing link for walkers.”")]
    assert statements_of("Mayor Elena Kowalski expressed hope that the bridge would open before winter.") == [
        ("Elena Kowalski", "expressed hope", "the bridge would open before winter")]


def test_a_clause_hung_on_after_a_comma_is_not_what_was_said():
    text = "The White House insisted that the talks would continue, although no date has been set."
    assert statements_of(text) == [("White House", "insisted", "the talks would continue")]
    text = "According to the Harbour Gazette, the council plans to sell the old pier, although no buyer is known."
    assert statements_of(text) == [("Harbour Gazette", "according to", "the council plans to sell the old pier")]


def test_no_statement_without_a_named_speaker():
    for text in ("The committee warned that the costs would rise.",
                 "Officials said the road would reopen in May.",
                 "He said the road would reopen in May.",
                 "The mayor said that the tunnel comes next.",
                 "Elena Kowalski and Martin Osei said that the bridge was finished."):
        assert statements_of(text) == [], text


def test_what_was_not_said_is_no_statement():
    for text in ("Councillor Martin Osei did not say that the tunnel would close.",
                 "If Mayor Elena Kowalski says that the bridge is safe, it will open.",
                 "Mayor Elena Kowalski would warn that the bridge is unsafe.",
                 "Councillor Martin Osei insisted the mayor had said the bridge was safe."):
        assert all(verb != "said" for _, verb, _ in statements_of(text)), text
    assert statements_of("Councillor Martin Osei insisted Mayor Elena Kowalski had said the bridge was safe.") == [
        ("Martin Osei", "insisted", "Mayor Elena Kowalski had said the bridge was safe")]


def test_a_direct_quote_is_not_a_statement_again():
    assert statements_of("“The bridge opens in June,” Mayor Elena Kowalski said.") == []
    assert statements_of("Mayor Elena Kowalski said: ‘The bridge opens in June.’") == []


def test_sample_article_statements(sample_text):
    found = statements_of(sample_text)
    assert ("Kremlin", "warned", "any U.S. decision to send Tomahawk missiles to Ukraine would be seen as "
            "a provocation") in found
    assert ("Donald Trump", "described", "his lengthy communication with President Putin as “productive,”") in found
    assert any(speaker == "Volodymyr Zelensky" and verb == "emphasized" for speaker, verb, _ in found)
    direct = [q for q in analyse(sample_text).quotes if q.form == "direct"]
    assert all(q.closed for q in direct) and len(direct) == 6
