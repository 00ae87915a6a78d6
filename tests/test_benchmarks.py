"""Every benchmark runs as ``python -m benchmarks.NAME`` and has a ``--smoke`` size, which
scripts/bench-smoke.sh runs in CI: a benchmark without one fails here, not months later."""

import importlib
import re

import pytest

from benchmarks import harness
from tests.conftest import ROOT

NAMES = sorted(path.stem for path in (ROOT / "benchmarks").glob("*.py") if path.stem not in ("__init__", "harness"))


def test_the_benchmarks_are_found():
    assert {"retrieval", "ingest", "prefix_cache", "widget_anchoring"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_benchmark_has_a_smoke_size(name):
    module = importlib.import_module(f"benchmarks.{name}")
    parser = module.arguments()
    assert isinstance(parser, harness.Arguments), f"benchmarks/{name}.py: arguments() is not a harness.Arguments"
    assert parser.smoke, f"benchmarks/{name}.py: --smoke changes nothing"
    options = {action.dest for action in parser._actions}
    assert set(parser.smoke) <= options, f"benchmarks/{name}.py: --smoke sets {set(parser.smoke) - options}"
    assert parser.parse_args(["--smoke"]).smoke
    assert callable(module.main)


@pytest.mark.parametrize("name", NAMES)
def test_a_benchmark_runs_as_a_module_of_the_package(name):
    source = (ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
    assert "sys.path" not in source, f"benchmarks/{name}.py patches sys.path"
    assert re.search(r'^if __name__ == "__main__":\n    harness\.run\(main\)$', source, re.MULTILINE), \
        f"benchmarks/{name}.py does not end in harness.run(main)"


def test_smoke_sizes_win_over_defaults_and_lose_to_options():
    parser = harness.Arguments("A benchmark.", smoke={"limit": 3})
    parser.add_argument("--limit", type=int, default=100)
    assert parser.parse_args([]).limit == 100
    assert parser.parse_args(["--smoke"]).limit == 3
    assert parser.parse_args(["--smoke", "--limit", "7"]).limit == 7


def test_a_skip_says_why_and_passes(capsys):
    def main():
        raise harness.Skip("no data here")

    harness.run(main)
    assert capsys.readouterr().out == "skipped: no data here\n"
