from nutgraf.analysis.analyzer import analyse


def quotes_of(text):
    analysis = analyse(text)
    return [(q.speaker, q.text) for q in analysis.quotes], analysis


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
