from nutgraf.related.filters import same_template, self_contained


def test_a_question_names_what_it_is_about():
    assert self_contained("What stands in the way of the Budapest summit?")
    assert not self_contained("Where will the meeting take place?")
    assert not self_contained("What did he say about Hamas?")
    assert not self_contained("What does sentence 4 say?")


def test_questions_of_one_template_are_one_question():
    assert same_template("What is the price of the Ford Focus?", "What is the price of the Kia Rio?")
    assert same_template("How many votes did Osei get?", "How many votes did Kowalski get?")
    assert not same_template("Why did the council approve the bridge?", "When will the bridge open?")
