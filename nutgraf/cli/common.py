"""What the commands share: their options, how they report errors and print JSON."""

from __future__ import annotations

import functools
import json
import sys

import click

from ..errors import NutgrafError
from ..settings import Settings, help_text


def dump(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def reports_errors(command):
    """Turn a NutgrafError into one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NutgrafError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)

    return wrapper


def model_option(command):
    return click.option("--model", "-m", help=help_text("model"))(command)


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Output JSON (stable, documented).")(command)


def open_nutgraf(settings: Settings, **options):
    """The Python API on the command's settings; ``options`` given win over them."""
    from ..api import Nutgraf  # loads all of nutgraf: `nutgraf --help` and `models` need none of it

    return Nutgraf(settings=settings, **options)
