from nutgraf.analysis.analyzer import analyse

TEXT = (
    "Russian President Vladimir Putin spoke with Donald Trump on Thursday. "
    "Putin said the talks in Budapest were productive. Trump agreed, and Mr. Trump's aides "
    "flew to Budapest the next day."
)


def names(analysis, label=None):
    return {e.name for e in analysis.entities if label is None or e.label == label}


def test_surnames_join_the_full_name():
    analysis = analyse(TEXT)
    people = names(analysis, "PERSON")
    assert "Vladimir Putin" in people and "Donald Trump" in people
    assert "Putin" not in people and "Trump" not in names(analysis)
    putin = next(e for e in analysis.entities if e.name == "Vladimir Putin")
    assert putin.sentence_indexes == [0, 1]
    trump = next(e for e in analysis.entities if e.name == "Donald Trump")
    assert len(trump.mentions) >= 2
    assert all(not m.text.endswith(("'s", "’s")) and not m.text.startswith("Mr") for m in trump.mentions)


def test_mentions_point_at_their_text():
    analysis = analyse(TEXT)
    for entity in analysis.entities:
        for mention in entity.mentions:
            assert TEXT[mention.start:mention.end] == mention.text
            sentence = analysis.sentences[mention.sentence_index]
            assert sentence.start <= mention.start < sentence.end


def test_sample_article_entities(sample_text):
    analysis = analyse(sample_text)
    found = names(analysis)
    for expected in ["Volodymyr Zelensky", "Vladimir Putin", "Viktor Orban", "Budapest", "Anchorage"]:
        assert expected in found
