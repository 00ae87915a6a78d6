"""The explore panel with a real llama.cpp model (the small SmolLM2: the code path, not quality)."""

import pytest

from nutgraf import Nutgraf
from tests.conftest import FIXTURES


@pytest.mark.slow
def test_a_real_model_builds_a_panel_whose_questions_answer_again(tmp_path):
    nutgraf = Nutgraf(tmp_path / "db.sqlite", model="smollm2-135m")
    [outcome] = nutgraf.ingest([str(FIXTURES / "riverside-bridge.md")])
    panel = nutgraf.related(outcome.article_id)
    assert len(panel["key_points"]) == 3
    for item in panel["questions"]:
        answer = nutgraf.ask(item["question"], article_id=outcome.article_id)
        assert answer.answerable and answer.citations
        assert answer.citations[0].sentence_index == item["citations"][0]["sentence_index"]
