from nutgraf.related.filters import asks_why, gives_a_reason, same_template, self_contained


def test_a_question_names_what_it_is_about():
    assert self_contained("What stands in the way of the Budapest summit?")
    assert not self_contained("Where will the meeting take place?")
    assert not self_contained("What did he say about Hamas?")
    assert not self_contained("What does sentence 4 say?")


def test_questions_of_one_template_are_one_question():
    assert same_template("What is the price of the Ford Focus?", "What is the price of the Kia Rio?")
    assert same_template("How many votes did Osei get?", "How many votes did Kowalski get?")
    assert not same_template("Why did the council approve the bridge?", "When will the bridge open?")


CLOSED = "Why did the council close the Harbour Street footbridge?"


def test_a_why_is_answered_by_a_reason_or_a_purpose():
    assert gives_a_reason("because its cables were corroded", CLOSED)
    assert gives_a_reason("due to a shortage of steel for the repairs", CLOSED)
    assert gives_a_reason("to protect walkers from falling debris", CLOSED)
    assert gives_a_reason("so that engineers can replace the cables", CLOSED)
    assert gives_a_reason("since the inspection found cracks in the deck", CLOSED)
    assert gives_a_reason("a shortage of steel led to the closure", CLOSED)
    assert gives_a_reason("the new missiles are capable of striking deep behind the front line",
                          "Why does the army want the new missiles?")


def test_a_reason_cut_off_before_the_answer_counts():
    sentence = "The council closed the footbridge on Monday, as its cables were corroded."
    assert gives_a_reason("its cables were corroded", CLOSED, sentence)
    assert not gives_a_reason("its cables were corroded", CLOSED)


def test_a_fact_or_the_question_said_back_is_no_reason():
    assert not gives_a_reason("the council closed the Harbour Street footbridge on Monday", CLOSED)
    assert not gives_a_reason("the council is seeking to close the Harbour Street footbridge", CLOSED)
    assert not gives_a_reason("engineers inspected the deck in May", CLOSED)


def test_as_and_since_of_time_manner_or_attribution_are_no_reason():
    assert not gives_a_reason("as he said on Monday", CLOSED)
    assert not gives_a_reason("the tunnel as well as the footbridge was shut", CLOSED)
    assert not gives_a_reason("the footbridge has been closed since the storm", CLOSED)
    assert not gives_a_reason("since 2019", CLOSED)
    assert not gives_a_reason("it was seen as a risk", CLOSED)


def test_only_why_questions_need_a_reason():
    assert asks_why(CLOSED) and asks_why("What made the council act?", form="why")
    assert not asks_why("When will the footbridge reopen?")
