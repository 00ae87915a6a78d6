import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_EVAL = REPO.parent / "shared" / "eval"

LIBRARY = (
    "The city council of Maple Bay voted on Tuesday to build a new library on Harbour Street. "
    "The library will cost 12 million dollars and open in 2027. "
    "Mayor Ana Ruiz said the building would have a rooftop garden."
)
FERRY = (
    "A storm closed the ferry between Maple Bay and Gull Island for three days. "
    "Ferry operator Tidewater Lines said service resumed on Friday morning."
)

# A SQuAD-v2-format file: three answerable questions and two the text does not answer.
TINY_SQUAD = {
    "version": "v2.0",
    "data": [
        {"title": "Maple Bay library", "paragraphs": [{"context": LIBRARY, "qas": [
            {"id": "cost", "question": "How much will the library cost?", "is_impossible": False,
             "answers": [{"text": "12 million dollars", "answer_start": 111},
                         {"text": "12 million", "answer_start": 111}]},
            {"id": "mayor", "question": "Who is the mayor of Maple Bay?", "is_impossible": False,
             "answers": [{"text": "Ana Ruiz", "answer_start": 154}, {"text": "Mayor Ana Ruiz", "answer_start": 148}]},
            {"id": "books", "question": "How many books will the library hold?", "is_impossible": True,
             "answers": []},
        ]}]},
        {"title": "Gull Island ferry", "paragraphs": [{"context": FERRY, "qas": [
            {"id": "closed", "question": "How long was the ferry closed?", "is_impossible": False,
             "answers": [{"text": "three days", "answer_start": 63}]},
            {"id": "owner", "question": "Who owns Tidewater Lines?", "is_impossible": True, "answers": []},
        ]}]},
    ],
}


@pytest.fixture
def tiny_squad(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    return path


@pytest.fixture
def shared_eval() -> Path:
    """The evaluation data next to the repository; tests that need it skip without it."""
    if not SHARED_EVAL.is_dir():
        pytest.skip(f"evaluation data not found at {SHARED_EVAL}")
    return SHARED_EVAL
