import pytest

from nutgraf import Nutgraf
from tests.conftest import EXTRACTIVE_THRESHOLD, FIXTURES


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A small archive answered without a generative model (the extractive mode)."""
    nutgraf = Nutgraf(tmp_path_factory.mktemp("answering") / "db.sqlite", model="none", min_confidence=EXTRACTIVE_THRESHOLD)
    outcomes = list(nutgraf.ingest([str(FIXTURES / "riverside-bridge.md"), str(FIXTURES / "injection.txt")]))
    assert all(not o.failed for o in outcomes), [o.error for o in outcomes]
    nutgraf.bridge_id, nutgraf.festival_id = (o.article_id for o in outcomes)
    return nutgraf
