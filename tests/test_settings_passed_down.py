"""Settings given in code reach every part that reads them, whatever the environment says.

Each test sets the environment to one value and gives the settings another; only the one
given may take effect.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from nutgraf import Nutgraf, Settings
from nutgraf.eval.cli import eval_group
from nutgraf.settings import env_name
from tests.conftest import FIXTURES


@pytest.fixture
def environment_says(monkeypatch):
    """Sets NUTGRAF_* variables, none of which the settings under test may follow."""

    def say(**values):
        for name, value in values.items():
            monkeypatch.setenv(env_name(name), str(value))

    return say


@pytest.mark.slow
def test_a_local_model_reads_its_settings_from_nutgraf(tmp_path, environment_says):
    environment_says(kv_type="f16", state_dir=tmp_path / "env-states", state_cache_mb=1,
                     models_dir=tmp_path / "env-models", llm_threads=2)
    settings = Settings(db=str(tmp_path / "news.db"), model="smollm2-135m", kv_type="q8_0",
                        state_dir=tmp_path / "states", state_cache_mb=7, models_dir=tmp_path / "models",
                        llm_threads=1)
    nutgraf = Nutgraf(settings=settings, embed=False)
    [ingested] = nutgraf.ingest([str(FIXTURES / "riverside-bridge.md")])
    llm = nutgraf.answerer.llm
    assert llm.path == tmp_path / "models" / "smollm2-135m.gguf"
    assert llm.threads == 1 and ":q8_0:" in llm.identity
    assert (llm.prefix_cache.directory, llm.prefix_cache.capacity) == (tmp_path / "states", 7 << 20)
    assert nutgraf.read_ahead(ingested.article_id)
    assert llm.prefix_cache.usage().files == 1  # what it read is kept where the settings say
    assert not (tmp_path / "env-states").exists() and not (tmp_path / "env-models").exists()


class RecordingServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that answers "yes" and remembers the keys it was sent."""

    keys: list[str] = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.keys.append(self.headers.get("Authorization"))
        body = json.dumps({"choices": [{"message": {"content": "yes"}, "finish_reason": "stop"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def model_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    RecordingServer.keys = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_the_api_key_given_is_the_one_sent(tmp_path, environment_says, model_server):
    environment_says(llm_api_key="from-the-environment")
    settings = Settings(db=str(tmp_path / "news.db"), model=f"{model_server}#m", llm_api_key="from-settings")
    llm = Nutgraf(settings=settings, embed=False).answerer.llm
    assert llm.complete([{"role": "user", "content": "Is it?"}]).text == "yes"
    assert RecordingServer.keys == ["Bearer from-settings"]


def test_the_embedder_threads_given_are_the_ones_used(tmp_path, environment_says):
    environment_says(embedder_threads=1)
    nutgraf = Nutgraf(settings=Settings(db=str(tmp_path / "news.db"), model="none", embedder_threads=3))
    assert nutgraf.retriever.embedder.threads == 3
    assert nutgraf.ingester.embed.__self__.threads == 2  # one fewer at ingest, beside spaCy


def test_the_eval_command_reads_the_evaluation_folder_of_its_settings(tmp_path, environment_says):
    environment_says(eval_dir=tmp_path / "from-the-environment")
    settings = Settings(eval_dir=tmp_path / "from-settings", model="none")
    result = CliRunner().invoke(eval_group, ["qa", "--dataset", "squad2", "--predictions",
                                             str(tmp_path / "p.jsonl")], obj=settings)
    assert result.exit_code != 0
    assert "from-settings" in result.output and "from-the-environment" not in result.output
