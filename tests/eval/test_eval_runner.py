import json
from dataclasses import replace

import pytest

from nutgraf.api import Nutgraf
from nutgraf.errors import InputError
from nutgraf.eval import runner
from nutgraf.eval.datasets import EvalItem, EvalSet, load_squad_file
from nutgraf.records import Answer, Citation, Document

# What the answer function below says to each question of the tiny file, and how sure it is.
REPLIES = {
    "How much will the library cost?": ("12 million dollars", 0.9),  # exact
    "Who is the mayor of Maple Bay?": ("Mayor Ana Ruiz said", 0.7),  # F1 6/7, not exact
    "How many books will the library hold?": (None, 0.2),  # right to abstain
    "How long was the ferry closed?": ("three days", 0.95),  # exact, but its citation is tampered with
    "Who owns Tidewater Lines?": ("Tidewater Lines", 0.35),  # should have abstained
}


class CountingNutgraf(Nutgraf):
    """Counts the documents it is asked to ingest, to see when ingestion is skipped."""

    ingested = 0

    def ingest_documents(self, documents):
        documents = list(documents)
        self.ingested += len(documents)
        return super().ingest_documents(documents)


@pytest.fixture
def nutgraf(tmp_path):
    ng = CountingNutgraf(str(tmp_path / "eval.db"), model="none")
    yield ng
    ng.close()


def scripted_answers(nutgraf: Nutgraf, calls: list):
    """Answers from REPLIES, citing the stored sentence that holds the answer."""

    def answer(question: str, article_ids: list[str] | None) -> Answer:
        calls.append((question, article_ids))
        reply, confidence = REPLIES[question]
        if reply is None:
            return Answer(question, None, False, confidence)
        article = nutgraf.article(article_ids[0])
        sentence = next(s for s in article.sentences if reply in s.text)
        text = sentence.text if "ferry" not in question else sentence.text.upper()
        citation = Citation(article.id, sentence.index, sentence.start, sentence.end, text)
        return Answer(question, reply, True, confidence, [citation], timings_ms={"total": 1.0})

    return answer


def test_end_to_end_on_a_squad_format_file(tiny_squad, tmp_path, nutgraf):
    evalset = load_squad_file(tiny_squad)
    items, failures = runner.ingest_corpus(nutgraf, evalset, progress=False)
    assert failures == [] and nutgraf.ingested == 2
    calls: list = []
    out = tmp_path / "predictions.jsonl"
    summary = runner.run(items, scripted_answers(nutgraf, calls), out,
                         lookup=nutgraf.store.get_article, progress=False)

    # Each question was asked about its own paragraph's article only.
    library, ferry = items[0].article_ids, items[3].article_ids
    assert len(library) == len(ferry) == 1 and library != ferry
    assert calls == [(item.question, item.article_ids) for item in items]
    assert items[1].article_ids == library

    assert summary["questions"] == 5
    figures = summary["metrics"]
    assert figures["exact"] == pytest.approx(3 / 5)
    assert figures["f1"] == pytest.approx((1 + 6 / 7 + 1 + 1 + 0) / 5)
    assert figures["has_ans_exact"] == pytest.approx(2 / 3)
    assert figures["has_ans_f1"] == pytest.approx((1 + 6 / 7 + 1) / 3)
    assert figures["no_ans_accuracy"] == pytest.approx(1 / 2)
    assert summary["abstention_rate"] == pytest.approx(1 / 5)
    assert summary["errors"] == 0
    assert summary["citations"] == {"count": 4, "valid": 3, "valid_share": 0.75, "answers_without_citations": 0}
    assert summary["by_kind"]["NoAns"]["count"] == 2
    assert summary["latency_s"]["p50"] is not None

    # Calibration is read on the four answered questions.
    table = summary["reliability"]
    assert sum(row["count"] for row in table) == 4
    assert (table[9]["count"], table[9]["accuracy"]) == (2, 1.0)
    assert (table[7]["count"], table[7]["accuracy"]) == (1, 0.0)
    assert (table[3]["count"], table[3]["accuracy"]) == (1, 0.0)


def test_predictions_file_has_one_line_per_question(tiny_squad, tmp_path, nutgraf):
    items, _ = runner.ingest_corpus(nutgraf, load_squad_file(tiny_squad), progress=False)
    out = tmp_path / "predictions.jsonl"
    runner.run(items, scripted_answers(nutgraf, []), out, lookup=nutgraf.store.get_article, progress=False)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["cost", "mayor", "books", "closed", "owner"]
    keys = {"id", "answer", "answerable", "abstained", "citations", "confidence", "latency_ms", "correct"}
    assert all(keys <= set(line) for line in lines)
    cost, books, closed = lines[0], lines[2], lines[3]
    assert cost["answer"] == "12 million dollars" and cost["answerable"] is True
    assert set(cost["citations"][0]) == {"article_id", "sentence_index", "start", "end", "text"}
    assert (cost["exact"], cost["f1"], cost["citations_valid"]) == (1.0, 1.0, 1)
    assert cost["timings_ms"] == {"total": 1.0}
    assert (books["answer"], books["answerable"], books["citations"], books["correct"]) == (None, False, [], True)
    assert closed["citations_valid"] == 0


def test_a_complete_corpus_is_not_ingested_again(tiny_squad, nutgraf):
    evalset = load_squad_file(tiny_squad)
    first, _ = runner.ingest_corpus(nutgraf, evalset, progress=False)
    again, _ = runner.ingest_corpus(nutgraf, evalset, progress=False)
    assert nutgraf.ingested == 2
    assert [i.article_ids for i in again] == [i.article_ids for i in first]
    # A larger selection is a different corpus: only then is anything ingested.
    runner.ingest_corpus(nutgraf, evalset.head(2), progress=False)
    assert nutgraf.ingested == 3


def test_questions_whose_articles_failed_are_not_asked(nutgraf, tmp_path):
    empty = Document(text="  ", origin="empty.txt")
    fine = Document(text="The bridge reopened on Monday after repairs.", origin="bridge.txt")
    items = [
        EvalItem("lost", "When did it reopen?", [empty], ["Monday"], True, "squad"),
        EvalItem("kept", "When did the bridge reopen?", [fine], ["Monday"], True, "squad"),
    ]
    bound, failures = runner.ingest_corpus(nutgraf, EvalSet("mixed", items), progress=False)
    assert len(failures) == 1 and failures[0].startswith("empty.txt: ")
    assert bound[0].article_ids == [] and len(bound[1].article_ids) == 1
    asked = []

    def answer(question, article_ids):
        asked.append(question)
        return Answer(question, "Monday", True, 0.8)

    summary = runner.run(bound, answer, tmp_path / "p.jsonl", progress=False)
    assert asked == ["When did the bridge reopen?"]
    assert summary["errors"] == 1
    assert summary["metrics"]["exact"] == 0.5
    assert summary["citations"]["answers_without_citations"] == 1


def test_errors_from_the_answer_function_count_as_abstentions(tmp_path):
    item = EvalItem("q", "Who?", [], ["Ana Ruiz"], True, "squad")

    def refuse(question, article_ids):
        raise InputError("the question is too long")

    summary = runner.run([item], refuse, tmp_path / "p.jsonl", progress=False)
    line = json.loads((tmp_path / "p.jsonl").read_text())
    assert line["error"] == "the question is too long" and line["answer"] is None
    assert summary["errors"] == 1 and summary["abstention_rate"] == 1.0


def test_rgb_and_multihop_scoring():
    positive = EvalItem("p", "Where?", [], ["Tampa, Florida"], True, "rgb", "positive", [["Tampa, Florida"]])
    negative = replace(positive, id="n", answers=[], answerable=False, kind="negative", parts=[])
    assert runner.score(positive, "In Tampa, Florida.") == {"correct": True}
    assert runner.score(positive, None) == {"correct": False}
    assert runner.score(negative, None) == {"correct": True}
    assert runner.score(negative, "Tampa") == {"correct": False}
    yes = EvalItem("y", "Do both agree?", [], ["Yes"], True, "multihop", "comparison_query")
    null = EvalItem("z", "Which network?", [], [], False, "multihop", "null_query")
    assert runner.score(yes, "yes") == {"correct": True}
    assert runner.score(yes, "Yes, mostly") == {"correct": False}
    assert runner.score(null, None) == {"correct": True}
    assert runner.score(null, "CNN") == {"correct": False}


def test_rgb_headline_figures(tmp_path):
    positive = EvalItem("p", "Where?", [], ["Tampa"], True, "rgb", "positive", [["Tampa"]])
    negative = replace(positive, id="n", answers=[], answerable=False, kind="negative", parts=[])
    items = [negative, positive, replace(negative, id="n2"), replace(positive, id="p2")]
    replies = iter(["Tampa", "Tampa", None, "Miami"])

    def answer(question, article_ids):
        reply = next(replies)
        return Answer(question, reply, reply is not None, 0.5)

    summary = runner.run(items, answer, tmp_path / "p.jsonl", progress=False)
    assert summary["metrics"] == {"rejection_rate": 0.5, "accuracy": 0.5}
    assert summary["by_kind"]["negative"]["abstention_rate"] == 0.5


def test_cache_db_is_in_the_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert runner.cache_db("squad2-report") == tmp_path / "nutgraf" / "eval" / "squad2-report.db"


def test_each_risk_regrades_the_answers_its_thresholds_would_still_show():
    from nutgraf.eval.runner import by_risk

    items = [EvalItem("a", "Who?", [], ["Kowalski"], True, "squad"), EvalItem("b", "Who else?", [], [], False, "squad")]
    records = [{"abstained": False, "answer": "Kowalski", "confidence": 0.95, "judge": "structure", "grade": "answer"},
               {"abstained": False, "answer": "Osei", "confidence": 0.95, "judge": "structure", "grade": "answer"}]
    table = by_risk(list(zip(items, records)), risks=(0.01, 0.05))
    assert table["0.01"]["shown"] == 0 and table["0.01"]["metrics"]["no_ans_accuracy"] == 1.0
    assert table["0.05"]["shown"] == 2 and table["0.05"]["error_among_shown"] == 0.5
