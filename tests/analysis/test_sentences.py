from nutgraf.analysis.analyzer import analyse
from nutgraf.analysis.sentences import blocks

TEXT = (
    "The council met on Thursday. It voted 7 to 2.\n\n"
    "The project includes:\n- a steel deck\n- solar lighting\n\n"
    "“We have waited long enough,” Kowalski said. Work starts in September."
)


def test_offsets_are_exact_and_sentences_stay_in_paragraphs():
    analysis = analyse(TEXT)
    for sentence in analysis.sentences:
        assert TEXT[sentence.start:sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
    texts = [s.text for s in analysis.sentences]
    assert texts == [
        "The council met on Thursday.", "It voted 7 to 2.", "The project includes:",
        "- a steel deck", "- solar lighting",
        "“We have waited long enough,” Kowalski said.", "Work starts in September.",
    ]
    assert [s.paragraph for s in analysis.sentences] == [0, 0, 1, 1, 1, 2, 2]
    assert [s.index for s in analysis.sentences] == list(range(7))


def test_text_without_blank_lines_has_one_paragraph_per_line():
    text = "A headline here\nFirst sentence of the body. Second one.\nAnother paragraph."
    spans = blocks(text)
    assert [text[b.start:b.end] for b in spans] == [
        "A headline here", "First sentence of the body. Second one.", "Another paragraph."]
    assert [b.paragraph for b in spans] == [0, 1, 2]


def test_sample_article_has_exact_sentences(sample_text):
    analysis = analyse(sample_text)
    assert len(analysis.sentences) >= 25
    for sentence in analysis.sentences:
        assert sample_text[sentence.start:sentence.end] == sentence.text
    assert any(s.text == "- the demilitarization of Ukraine" for s in analysis.sentences)
