from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
# The extractive mode's calibrated threshold is fitted on hard evaluation data and withholds
# most answers; the fixtures here are plain, so tests of the pipeline's mechanics use a
# fixed, lower threshold instead of whatever the latest fit chose.
EXTRACTIVE_THRESHOLD = 0.25


def shared_file(relative: str) -> Path:
    """A file under ../shared, or a skip that says what is missing."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared evaluation folder is not beside the repository)")
    return path


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "nutgraf.db"


@pytest.fixture
def sample_text() -> str:
    return shared_file("samples/budapest-summit.txt").read_text(encoding="utf-8")


@pytest.fixture
def fixture_path():
    return lambda name: FIXTURES / name


def pytest_configure(config):
    """Tests answer extractively unless they name a model, and keep model states in a
    folder of their own, never in the user's cache."""
    import os
    import tempfile

    os.environ.setdefault("NUTGRAF_MODEL", "none")
    os.environ.setdefault("NUTGRAF_STATE_DIR", tempfile.mkdtemp(prefix="nutgraf-test-states-"))
