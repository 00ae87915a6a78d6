from pathlib import Path

import pytest

from nutgraf.llm.packaged import model_path

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def smollm2_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2 joined and verified into a models directory of its own."""
    return model_path("smollm2-135m", tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def smollm2(smollm2_path: Path):
    from nutgraf.llm.llamacpp import LlamaCppModel

    # One thread: llama.cpp's threads spin while waiting for each other, which turns slow
    # when the tests share the CPU with other work (see default_threads).
    model = LlamaCppModel(smollm2_path, name="smollm2-135m", n_ctx=2048, n_threads=1)
    yield model
    model.close()


@pytest.fixture(scope="session")
def bridge_article() -> str:
    return (FIXTURES / "harbour-bridge.txt").read_text()


@pytest.fixture(scope="session")
def fire_article() -> str:
    return (FIXTURES / "library-fire.txt").read_text()


@pytest.fixture(scope="session")
def ask():
    """Messages asking one question about one article, article first so it can be reused."""

    def messages(article: str, question: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": "Answer from the article only, in one short sentence."},
            {"role": "user", "content": f"Article:\n{article}\n\nQuestion: {question}"},
        ]

    return messages
