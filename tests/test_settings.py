"""One settings object: an explicit argument wins over the environment, which wins over the default."""

import json
import re

import pytest
from click.testing import CliRunner

from nutgraf import Nutgraf
from nutgraf.cli import cli
from nutgraf.errors import InputError
from nutgraf.settings import DEFAULT_MODEL, Settings, current, default_text, env_name
from tests.conftest import FIXTURES, ROOT

REFERENCE = (ROOT / "docs" / "cli.md").read_text()


@pytest.fixture
def clean_environment(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    return monkeypatch


def test_default_then_environment_then_argument(clean_environment):
    assert current().model == DEFAULT_MODEL
    clean_environment.setenv("NUTGRAF_MODEL", "none")
    assert current().model == "none"
    assert current().with_values(model=DEFAULT_MODEL).model == DEFAULT_MODEL
    assert current().with_values(model=None).model == "none"  # None: not given


def test_the_library_takes_its_arguments_over_the_environment(clean_environment, tmp_path):
    clean_environment.setenv("NUTGRAF_MODEL", "none")
    clean_environment.setenv("NUTGRAF_MIN_CONFIDENCE", "0.9")
    explicit = Nutgraf(tmp_path / "news.db", model=DEFAULT_MODEL, min_confidence=0.2)
    assert (explicit.settings.model, explicit.settings.min_confidence) == (DEFAULT_MODEL, 0.2)
    from_environment = Nutgraf(tmp_path / "news.db")
    assert (from_environment.settings.model, from_environment.settings.min_confidence) == ("none", 0.9)
    clean_environment.delenv("NUTGRAF_MODEL")
    assert Nutgraf(tmp_path / "news.db").settings.model == DEFAULT_MODEL
    given = Settings(model="none", embedder_threads=2)
    assert Nutgraf(tmp_path / "news.db", settings=given).settings.embedder_threads == 2


@pytest.mark.slow
def test_the_command_line_takes_its_options_over_the_environment(clean_environment, tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "news.db")
    ingested = runner.invoke(cli, ["--db", db, "ingest", "--no-embed", str(FIXTURES / "riverside-bridge.md")])
    assert ingested.exit_code == 0, ingested.output

    def mode(*options, env):
        result = runner.invoke(cli, ["--db", db, "ask", "How much will the footbridge cost?", *options,
                                     "--json"], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["mode"]

    assert mode("--model", "smollm2-135m", env={"NUTGRAF_MODEL": "none"}) == "llm:smollm2-135m"
    assert mode("--model", "none", env={"NUTGRAF_MODEL": "smollm2-135m"}) == "extractive"
    assert mode(env={"NUTGRAF_MODEL": "none"}) == "extractive"


def test_settings_reach_worker_processes_through_the_environment(clean_environment):
    settings = Settings(db="/tmp/x.db", model="none", min_confidence=0.3, admin_keys=("k1", "k2"),
                        cors_origins=("https://news.example.org",), max_body_bytes=5000, rate_limit=1.5,
                        rate_burst=4, related_wait=0.5, related_on_ingest=False, llm_api_key="secret",
                        conversation_days=0.5, llm_threads=3)
    for name, value in settings.to_env().items():
        clean_environment.setenv(name, value)
    assert current() == settings
    for name, value in Settings().to_env().items():
        clean_environment.setenv(name, value)
    assert current() == Settings()


def test_lists_are_comma_separated(clean_environment):
    clean_environment.setenv("NUTGRAF_ADMIN_KEYS", " a, ,b ")
    assert current().admin_keys == ("a", "b")


@pytest.mark.parametrize("value", ["lots", "-1"])
def test_a_bad_value_is_refused_with_the_variable_named(clean_environment, value):
    clean_environment.setenv("NUTGRAF_RATE_LIMIT", value)
    with pytest.raises(InputError, match="NUTGRAF_RATE_LIMIT"):
        current()


def test_a_secret_is_never_repeated_in_an_error():
    with pytest.raises(InputError, match="NUTGRAF_LLM_API_KEY") as refused:
        Settings(llm_api_key=271828)
    assert "271828" not in str(refused.value)
    with pytest.raises(InputError, match="unknown setting 'modle'"):
        Settings(modle="none")


def test_command_line_help_shows_the_defaults_of_the_settings():
    result = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=500)
    assert f"[env: NUTGRAF_RATE_BURST; default: {default_text('rate_burst')}]" in result.output
    assert f"[env: NUTGRAF_MODEL; default: {DEFAULT_MODEL}]" in result.output


def test_the_default_model_is_named_in_one_place():
    """In settings.py; packaged.py names the model in its catalogue, not as a default."""
    quoted = f'"{DEFAULT_MODEL}"'
    naming = sorted(str(path.relative_to(ROOT)) for folder in ("nutgraf", "benchmarks")
                    for path in (ROOT / folder).rglob("*.py") if quoted in path.read_text(encoding="utf-8"))
    assert naming == ["nutgraf/llm/packaged.py", "nutgraf/settings.py"]


def settings_table() -> dict[str, str]:
    """``NUTGRAF_X`` -> its default, from the settings table of docs/cli.md."""
    section = REFERENCE.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(NUTGRAF_[A-Z_]+)` \| ([^|]*) \|", section, re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def test_every_setting_is_documented_with_its_default():
    documented = settings_table()
    assert set(documented) == {env_name(name) for name in Settings.model_fields}
    for name in Settings.model_fields:
        assert documented[env_name(name)] == default_text(name), f"docs/cli.md: default of {env_name(name)}"


# The environment is read where nutgraf is entered, and handed down from there as one Settings.
EDGES = {"nutgraf/settings.py", "nutgraf/api.py", "nutgraf/cli/main.py", "nutgraf/eval/cli.py",
         "nutgraf/server/app.py"}


def reads_the_environment(path) -> list[int]:
    """Lines of ``path`` that call current() or build a Settings (which reads the environment)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("current", "Settings"):
                found.append(node.lineno)
    return found


def test_the_environment_is_read_at_the_edges_only():
    readers = {str(path.relative_to(ROOT)): lines for path in (ROOT / "nutgraf").rglob("*.py")
               if (lines := reads_the_environment(path))}
    assert set(readers) <= EDGES, {name: lines for name, lines in readers.items() if name not in EDGES}
    assert "nutgraf/cli/main.py" in readers and "nutgraf/server/app.py" in readers


def test_a_benchmark_reads_the_environment_in_its_main_only():
    """A benchmark's ``main`` is its edge: it hands the settings down to everything it calls."""
    import ast

    for path in (ROOT / "benchmarks").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_main = {node.lineno for function in ast.walk(tree)
                   if isinstance(function, ast.FunctionDef) and function.name == "main"
                   for node in ast.walk(function) if hasattr(node, "lineno")}
        elsewhere = [line for line in reads_the_environment(path) if line not in in_main]
        assert not elsewhere, f"{path.relative_to(ROOT)} reads the environment outside main(), lines {elsewhere}"
