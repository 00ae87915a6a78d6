"""The calibration nutgraf ships reads the signals the decide stage computes, and
`nutgraf eval calibrate --refit` fits it again from kept rows."""

import json
import random

from click.testing import CliRunner

from nutgraf import Nutgraf
from nutgraf.answering import calibration
from nutgraf.answering.decide import SIGNAL_DEFAULTS
from nutgraf.eval import calibrate
from nutgraf.eval.cli import eval_group
from nutgraf.llm.scripted import Scripted, ScriptedModel
from nutgraf.records import Scope
from tests.conftest import FIXTURES

JUDGES = ("phrase", "sentence", "evidence", "verdict", "extractive")


def test_every_shipped_judge_reads_the_signals_its_fit_was_given():
    for name in JUDGES:
        assert calibration.load(name).features == calibrate.FEATURES[name], name


def signals_of(nutgraf, question):
    answerer = nutgraf.answerer
    request = answerer.resolve(answerer.open(question, Scope(article_ids=[nutgraf.bridge_id])))
    evidence = answerer.gather(request)
    draft = answerer.check(answerer.read(request, answerer.classify(request, evidence), evidence))
    return draft, {**SIGNAL_DEFAULTS, **answerer.decider.signals(request, draft, evidence, answerer.retriever.embedder)}


def test_the_decide_stage_computes_every_signal_each_judge_reads(tmp_path):
    def reply(messages):
        prompt = messages[-1]["content"]
        if prompt.startswith("Read this sentence"):
            return Scripted("yes", confidence=0.8)
        return {"How much": "2: about $4.5 million", "Why did": "4: the budget leaves no room for delays",
                "Is the footbridge": "yes"}.get(next((k for k in ("How much", "Why did", "Is the footbridge")
                                                      if k in prompt), ""), "NONE")

    with_model = Nutgraf(tmp_path / "model.db", llm=ScriptedModel(reply))
    with_model.bridge_id = next(iter(with_model.ingest([str(FIXTURES / "riverside-bridge.md")]))).article_id
    for question, judge in [("How much will the footbridge cost?", "phrase"),
                            ("Why did Martin Osei vote against the plan?", "sentence"),
                            ("Is the footbridge approved?", "verdict")]:
        draft, values = signals_of(with_model, question)
        assert with_model.answerer.decider.judge(draft).name == judge
        assert set(calibrate.FEATURES[judge]) <= set(values), (judge, set(calibrate.FEATURES[judge]) - set(values))
    without = Nutgraf(tmp_path / "none.db", model="none")
    without.bridge_id = next(iter(without.ingest([str(FIXTURES / "riverside-bridge.md")]))).article_id
    _, values = signals_of(without, "How much will the footbridge cost?")
    assert set(calibrate.FEATURES["extractive"]) <= set(values)


def rows(count: int, seed: int) -> list[dict]:
    """Rows of an extractive run: the better the term coverage, the likelier the sentence holds the answer."""
    shuffle = random.Random(seed)
    made = []
    for number in range(count):
        coverage = shuffle.random()
        features = {"term_coverage": coverage, "name_coverage": 1.0, "typed_span": 1.0, "retrieval_rr": 1.0,
                    "dense_similarity": coverage / 2}
        made.append({"set": "squad2", "id": str(number), "answerable": True, "kind": "phrase", "source": "search",
                     "read": False, "verdict": None, "features": features, "top": features, "answer": "x",
                     "right": 0.0, "typed": True, "sentence_ok": float(shuffle.random() < coverage),
                     "top_ok": 0.0})
    return made


def test_refit_writes_a_judge_with_its_risk_curve_from_kept_rows(tmp_path):
    folder, output = tmp_path / "rows", tmp_path / "calibration.json"
    folder.mkdir()
    (folder / "rows-extractive-squad2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows(400, 1)))
    result = CliRunner().invoke(eval_group, ["calibrate", "--mode", "extractive", "--refit", "--rows", str(folder),
                                             "--output", str(output)])
    assert result.exit_code == 0, result.output
    written = json.loads(output.read_text())["extractive"]
    judge = calibration.Calibration(written["features"], written["weights"], written["bias"],
                                    [tuple(r) for r in written["risk_curve"]])
    assert written["weights"][0] > 0  # coverage makes it likelier, as the rows say
    assert judge.threshold_for(0.3) < judge.threshold_for(0.2) <= calibration.NEVER
    assert all(shown >= 0 for _, _, shown in judge.risk_curve)


def test_refit_without_rows_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(eval_group, ["calibrate", "--refit", "--rows", str(tmp_path / "none"),
                                             "--output", str(tmp_path / "out.json")])
    assert result.exit_code == 1 and "no calibration rows" in result.output
