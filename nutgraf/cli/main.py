"""The ``nutgraf`` group: its global options, the settings every command runs with, logging."""

from __future__ import annotations

import logging
import sys

import click

from ..errors import NutgrafError
from ..settings import current, help_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nutgraf")
@click.option("--db", metavar="PATH_OR_URL", help=help_text("db"))
@click.option("-v", "--verbose", count=True,
              help="Log progress and other libraries' messages (-v), or everything (-vv), to stderr.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: int) -> None:
    """nutgraf: grounded answers and related questions about news articles.

    Ingest articles, then search them, ask questions about them and get related questions,
    from this command, the Python API or the HTTP server (nutgraf serve).
    """
    _configure_logging(verbose)
    try:
        # Read from the environment here, once; every command is handed these settings.
        ctx.obj = current().with_values(db=db)
    except NutgrafError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged, as click's test runner
    swaps it; one is installed per process, however often the command runs."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logging(verbose: int) -> None:
    """nutgraf's own warnings always; other libraries' log lines (trafilatura's complaints
    about a page, for one) only with -v, since nutgraf reports each failure itself."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(lambda record: record.name == "nutgraf" or record.name.startswith("nutgraf."))
    root.addHandler(handler)
    root.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))
