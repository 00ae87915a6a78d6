from nutgraf.answering.spans import agrees, align, answer_in_question, name_coverage, term_coverage, tidy

SENTENCE = ("Following a phone call between the U.S. and Russian Presidents that lasted more than "
            "two and a half hours yesterday, the path to Budapest is open.")


def span_text(reply):
    span = align(reply, SENTENCE)
    return None if span is None else SENTENCE[span.start:span.end]


def test_verbatim_reply_is_found_and_trimmed():
    assert span_text("more than two and a half hours") == "more than two and a half hours"
    assert span_text("Budapest.") == "Budapest"
    assert align("BUDAPEST", SENTENCE).alignment == 1.0


def test_close_reply_snaps_to_whole_words_of_the_sentence():
    assert span_text("The call lasted more than 2 and a half hours") == "that lasted more than two and a half hours"


def test_reply_not_in_the_sentence_is_refused():
    assert span_text("Vienna") is None
    assert span_text("2.5 hours") is None
    assert span_text("  ") is None


def test_tidy_drops_leading_preposition_for_where_and_when():
    assert tidy("in Budapest", "Where will the summit be held?") == "Budapest"
    assert tidy("in Budapest", "What city?") == "in Budapest"


def test_coverage_signals():
    assert term_coverage("How long did the phone calls last?", SENTENCE) == 0.75  # "long" is missing
    assert term_coverage("Who won the World Cup?", SENTENCE) == 0.0
    assert name_coverage("Did Galileo visit Budapest?", SENTENCE) == 0.5
    assert name_coverage("how long was it?", SENTENCE) == 1.0
    assert answer_in_question("the phone call", "How long was the phone call?") == 1.0


def test_answers_agree_when_they_name_the_same_thing():
    assert agrees("Trump", "Donald Trump")
    assert agrees("in 2025", "2025")
    assert agrees("more than two and a half hours", "two and a half hours")
    assert not agrees("Budapest", "Moscow")
    assert not agrees("Volodymyr Zelensky", "the United States")
