import json
import re

import pytest

from nutgraf.errors import InputError
from nutgraf.eval import datasets
from nutgraf.eval.datasets import detokenize_ptb, load, load_squad_file


@pytest.mark.parametrize("tokens, text", [
    ("-LRB- AP -RRB- -- The council met .", "(AP) -- The council met."),
    ("He said `` we 're ready , '' and left .", 'He said "we\'re ready," and left.'),
    ("It did n't cost $ 5 , or 50 % ; it was free !", "It didn't cost $5, or 50%; it was free!"),
    ("The students ' union and Ana 's office", "The students' union and Ana's office"),
    ("A note -LSB- sic -RSB- and -LCB- braces -RCB- ?", "A note [sic] and {braces}?"),
    ("Call -LRB-555-RRB- 010-0199 .", "Call (555) 010-0199."),
    ("He called it `` The Plan . ''", 'He called it "The Plan."'),
    ("a ` single ' quote", "a 'single' quote"),
])
def test_detokenize_ptb(tokens, text):
    assert detokenize_ptb(tokens) == text


def test_detokenize_ptb_treats_a_closing_mark_after_a_sentence_as_an_opening_quote():
    assert detokenize_ptb("They won . '' Second Act , '' opens today .") == 'They won. "Second Act," opens today.'


def test_detokenize_ptb_keeps_a_span_cut_inside_quotes_in_step_with_its_story():
    story = detokenize_ptb("She starred in `` Mad Men '' and `` Damages '' last year .")
    answer = detokenize_ptb("Mad Men '' and `` Damages")
    assert answer in story


def test_squad_file_items(tiny_squad):
    evalset = load_squad_file(tiny_squad)
    assert evalset.name == "data-tiny"
    assert [item.id for item in evalset.items] == ["cost", "mayor", "books", "closed", "owner"]
    assert [item.answerable for item in evalset.items] == [True, True, False, True, False]
    books = evalset.items[2]
    assert books.answers == [] and books.kind == "NoAns" and books.scoring == "squad"
    assert evalset.items[0].answers == ["12 million dollars", "12 million"]
    # One article per paragraph, titled after its page; questions share their paragraph's document.
    assert [d.title for d in evalset.corpus] == ["Maple Bay library", "Gull Island ferry"]
    assert evalset.items[0].documents[0] is evalset.items[1].documents[0]


def test_head_keeps_the_first_questions_and_only_their_articles(tiny_squad):
    head = load_squad_file(tiny_squad).head(2)
    assert [item.id for item in head.items] == ["cost", "mayor"]
    assert [d.title for d in head.corpus] == ["Maple Bay library"]


def test_squad_file_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_squad_file(tmp_path / "missing.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="not SQuAD v2 JSON"):
        load_squad_file(tmp_path / "list.json")
    (tmp_path / "broken.json").write_text(json.dumps({"data": [{"title": "x", "paragraphs": [{"qas": []}]}]}))
    with pytest.raises(InputError, match="not SQuAD v2 JSON"):
        load_squad_file(tmp_path / "broken.json")
    (tmp_path / "garbled.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot read"):
        load_squad_file(tmp_path / "garbled.json")


def test_missing_eval_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no evaluation data at .*NUTGRAF_EVAL_DIR"):
        load("squad2", "tune", tmp_path / "nowhere")


def test_unknown_dataset_or_split():
    with pytest.raises(InputError, match="unknown dataset"):
        load("trivia", "tune")
    with pytest.raises(InputError, match="unknown split"):
        load("squad2", "test")


# -- the real files


def test_squad2_splits_are_the_halves_of_dev(shared_eval):
    pages = json.loads((shared_eval / "squad2-dev" / "dev-v2.0.json").read_text(encoding="utf-8"))["data"]
    for split, chosen in (("tune", pages[0:8]), ("report", pages[8:16])):
        evalset = load("squad2", split)
        questions = [qa for page in chosen for p in page["paragraphs"] for qa in p["qas"]]
        assert [item.id for item in evalset.items] == [qa["id"] for qa in questions]
        assert sum(not item.answerable for item in evalset.items) == sum(qa["is_impossible"] for qa in questions)
        assert len(evalset.corpus) == sum(len(page["paragraphs"]) for page in chosen)
        assert all(len(item.documents) == 1 for item in evalset.items)


def test_newsqa_stories_are_readable_and_hold_their_answers(shared_eval):
    for split in datasets.SPLITS:
        evalset = load("newsqa", split)
        assert len(evalset.items) == 500
        assert all(item.answerable and len(item.answers) == 1 for item in evalset.items)
        assert all(item.answers[0] in item.documents[0].text for item in evalset.items)
        texts = [d.text for d in evalset.corpus]
        assert len(set(texts)) == len(texts)
        for marker in ("-LRB-", "-RRB-", "``", " n't", " 's "):
            assert not any(marker in text for text in texts), marker
        assert not any(re.search(r" [.,;:?!](\s|$)", text) for text in texts)


def test_rgb_has_a_negative_and_a_positive_run_per_query(shared_eval):
    for split, ids in (("tune", range(0, 50)), ("report", range(50, 100))):
        evalset = load("rgb", split)
        assert len(evalset.items) == 100
        assert [item.id for item in evalset.items[:2]] == [f"rgb-{ids[0]}-negative", f"rgb-{ids[0]}-positive"]
        assert {int(item.id.split("-")[1]) for item in evalset.items} == set(ids)
        negative = [item for item in evalset.items if item.kind == "negative"]
        positive = [item for item in evalset.items if item.kind == "positive"]
        assert all(not item.answerable and item.documents for item in negative)
        assert all(item.answerable and item.parts and item.documents for item in positive)


def test_multihop_archive_is_built_from_every_evidence_fact(shared_eval):
    truth = json.loads((shared_eval / "multihop-rag" / "ground_truth.json").read_text(encoding="utf-8"))
    tune, report = load("multihop", "tune"), load("multihop", "report")
    assert [item.id for item in tune.items] == [f"multihop-{n}" for n in range(250)]
    assert [item.id for item in report.items] == [f"multihop-{n}" for n in range(250, 500)]
    assert tune.corpus == report.corpus
    by_url = {d.url: d for d in tune.corpus}
    assert len(by_url) == len(tune.corpus)
    for entry in truth.values():
        for fact in entry["evidence_list"]:
            article = by_url[fact["url"]]
            assert fact["fact"] in article.text.split("\n\n")
            assert (article.title, article.source) == (fact["title"], fact["source"])
    for evalset, offset in ((tune, 0), (report, 250)):
        nulls = sum(truth[str(offset + n)]["answer"] == datasets.NULL_ANSWER for n in range(250))
        assert sum(not item.answerable for item in evalset.items) == nulls
        assert all(item.article_ids is None and not item.documents for item in evalset.items)
