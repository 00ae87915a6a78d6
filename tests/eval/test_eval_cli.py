import json

import pytest
from click.testing import CliRunner

from nutgraf.cli import cli
from nutgraf.eval.cli import eval_group
from nutgraf.eval.datasets import EvalItem
from nutgraf.eval.runner import holds_answer


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_eval_qa_on_a_squad_format_file(tiny_squad, tmp_path, cache_home):
    if "eval" not in cli.commands:
        pytest.skip("nutgraf/cli.py does not register eval_group yet (cli.add_command(eval_group))")
    out = tmp_path / "predictions.jsonl"
    args = ["eval", "qa", "--data", str(tiny_squad), "--predictions", str(out), "--model", "none",
            "--no-progress", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["dataset"] == "data-tiny" and summary["questions"] == 5
    assert summary["database"] == str(cache_home / "nutgraf" / "eval" / "data-tiny.db")
    assert set(summary["metrics"]) == {"exact", "f1", "has_ans_exact", "has_ans_f1", "no_ans_accuracy"}
    assert summary["errors"] == 0
    # Every citation nutgraf gives must point at a sentence of the cited article, verbatim.
    if summary["citations"]["count"]:
        assert summary["citations"]["valid_share"] == 1.0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["cost", "mayor", "books", "closed", "owner"]
    assert all({"id", "answer", "answerable", "citations", "confidence"} <= set(line) for line in lines)
    assert all((line["answer"] is None) == (not line["answerable"]) for line in lines)
    assert all(line["grade"] in ("answer", "closest", "none") for line in lines)
    trust = summary["trust"]["overall"]
    assert trust["closest"] == sum(line["grade"] == "closest" for line in lines)
    assert trust["shown"] == sum(line["grade"] == "answer" for line in lines)
    assert trust["wrong_shown"] == sum(line["grade"] == "answer" and not line["right"] for line in lines)


def test_the_risk_coverage_curve_is_drawn_and_written(tiny_squad, tmp_path, cache_home):
    out, picture = tmp_path / "predictions.jsonl", tmp_path / "curve.png"
    args = ["qa", "--data", str(tiny_squad), "--predictions", str(out), "--model", "none", "--no-progress",
            "--min-confidence", "0", "--curve", str(picture), "--json"]
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 0, result.output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    points = json.loads(picture.with_suffix(".json").read_text())
    shown = json.loads(result.stdout)["trust"]["overall"]["shown"]
    assert points and points[-1]["shown"] == shown  # at --min-confidence 0 every draft is shown
    assert [p["threshold"] for p in points] == sorted((p["threshold"] for p in points), reverse=True)


def test_a_closest_sentence_is_scored_on_whether_it_holds_the_answer():
    squad = EvalItem("q", "How much?", [], ["$4.5 million"], True, "squad")
    assert holds_answer(squad, "It will cost about $4.5 million.")
    assert not holds_answer(squad, "It will open in 2026.")
    rgb = EvalItem("r", "Who won?", [], [], True, "rgb", parts=[["Kowalski"], ["2024", "last year"]])
    assert holds_answer(rgb, "Kowalski won last year.") and not holds_answer(rgb, "Kowalski won.")


def test_text_summary(tiny_squad, tmp_path, cache_home):
    out = tmp_path / "predictions.jsonl"
    args = ["qa", "--data", str(tiny_squad), "--predictions", str(out), "--model", "none", "--no-progress"]
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("data-tiny: 5 questions, model none\n")
    for label in ("exact", "f1", "no_ans_accuracy", "abstained", "latency p50", "citations", "reliability"):
        assert label in result.stdout
    assert len(out.read_text().splitlines()) == 5


def test_dataset_or_data_is_required(tmp_path, cache_home):
    result = CliRunner().invoke(eval_group, ["qa", "--predictions", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 2
    assert "give either --dataset or --data" in result.output


def test_missing_data_file_is_one_line(tmp_path, cache_home):
    args = ["qa", "--data", str(tmp_path / "nope.json"), "--predictions", str(tmp_path / "p.jsonl")]
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no such file: {tmp_path / 'nope.json'}"


def test_missing_eval_folder_is_one_line(tmp_path, cache_home, monkeypatch):
    monkeypatch.setenv("NUTGRAF_EVAL_DIR", str(tmp_path / "absent"))
    args = ["qa", "--dataset", "rgb", "--predictions", str(tmp_path / "p.jsonl")]
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no evaluation data at ")
    assert len(result.stderr.strip().splitlines()) == 1
