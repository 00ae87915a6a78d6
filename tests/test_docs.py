"""The reference docs keep up with the code: every command and its options are documented."""

import re

import pytest

from nutgraf.cli import cli
from tests.conftest import ROOT

REFERENCE = (ROOT / "docs" / "cli.md").read_text()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_documented(name):
    assert re.search(rf"^## `nutgraf {name}\b", REFERENCE, re.MULTILINE), f"docs/cli.md lacks nutgraf {name}"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_is_documented(name):
    command = cli.commands[name]
    for parameter in command.params:
        for flag in getattr(parameter, "opts", []):
            if flag.startswith("--") and flag not in {"--json", "--help"}:
                assert flag in REFERENCE or flag in (command.help or ""), f"{name} {flag} is undocumented"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/demo.sh" in readme and "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
