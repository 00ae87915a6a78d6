import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from nutgraf.errors import ModelError
from nutgraf.llm import load_model, option_logprobs
from nutgraf.llm.openai_compat import OpenAICompatibleModel

HELLO = [{"role": "user", "content": "Write one sentence about the sea."}]
QUESTION = [{"role": "user", "content": "Is Paris in France? Answer yes or no."}]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(smollm2_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server running SmolLM2; yields its /v1 URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(smollm2_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def remote(llama_server: str) -> Iterator[OpenAICompatibleModel]:
    model = OpenAICompatibleModel(llama_server)
    yield model
    model.close()


def test_complete(remote: OpenAICompatibleModel) -> None:
    completion = remote.complete(HELLO, max_tokens=16)
    assert completion.text.strip()
    assert completion.prompt_tokens > 5
    assert 0 < completion.completion_tokens <= 16
    assert completion.tokens == []  # no logprobs were asked for
    assert remote.name.startswith(remote.base_url + "#")  # named after the model the server lists


def test_stream_pieces_join_to_the_completion(remote: OpenAICompatibleModel) -> None:
    pieces = list(remote.stream(HELLO, max_tokens=16))
    assert len(pieces) > 1
    assert "".join(pieces) == remote.complete(HELLO, max_tokens=16).text


def test_top_logprobs(remote: OpenAICompatibleModel) -> None:
    completion = remote.complete(HELLO, max_tokens=4, top_logprobs=3)
    assert len(completion.tokens) == completion.completion_tokens
    for choice in completion.tokens:
        values = list(choice.top.values())
        assert len(values) == 3
        assert values == sorted(values, reverse=True)
        assert choice.logprob <= 0


def test_grammar_is_honoured_by_llama_cpp(remote: OpenAICompatibleModel) -> None:
    assert remote.complete(QUESTION, max_tokens=8, grammar='root ::= "yes" | "no"').text in {
        "yes",
        "no",
    }


def test_option_logprobs(remote: OpenAICompatibleModel) -> None:
    scores = option_logprobs(remote, QUESTION, ["yes", "no"])
    assert set(scores) == {"yes", "no"} and all(value <= 0 for value in scores.values())


def test_load_model_with_a_url_and_model_name(llama_server: str) -> None:
    model = load_model(f"{llama_server}#smollm2")
    assert isinstance(model, OpenAICompatibleModel)
    assert model.name == f"{llama_server}#smollm2"
    assert model.complete(HELLO, max_tokens=2).completion_tokens > 0


def test_an_unknown_path_is_a_model_error_with_the_status(llama_server: str) -> None:
    model = OpenAICompatibleModel(llama_server.removesuffix("/v1") + "/nowhere", "m")
    with pytest.raises(ModelError, match="HTTP 404"):
        model.complete(HELLO)


def test_an_unreachable_server_is_a_model_error() -> None:
    model = OpenAICompatibleModel(f"http://127.0.0.1:{free_port()}/v1", "m", timeout=5)
    with pytest.raises(ModelError, match="cannot reach"):
        model.complete(HELLO)
    with pytest.raises(ModelError, match="cannot reach"):
        list(model.stream(HELLO))


def test_a_slow_server_is_a_model_error(llama_server: str) -> None:
    model = OpenAICompatibleModel(llama_server, "m", timeout=0.001)
    with pytest.raises(ModelError, match="did not answer in time"):
        model.complete(HELLO, max_tokens=32)


class OddServer(BaseHTTPRequestHandler):
    """Answers every chat completion with whatever the test put in ``reply``."""

    reply: bytes = b""
    status: int = 200
    seen: list[dict] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).seen.append({"authorization": self.headers.get("Authorization"), "body": body})
        status = 400 if "grammar" in body else type(self).status
        self.send_response(status)
        self.send_header("Content-Length", str(len(self.reply)))
        self.end_headers()
        self.wfile.write(self.reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def odd_server() -> Iterator[tuple[str, type[OddServer]]]:
    handler = type("Handler", (OddServer,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()


def test_invalid_json_is_a_model_error(odd_server) -> None:
    url, handler = odd_server
    handler.reply = b"<html>gateway says hello</html>"
    with pytest.raises(ModelError, match="invalid JSON: <html>gateway"):
        OpenAICompatibleModel(url, "m").complete(HELLO)


def test_json_without_choices_is_a_model_error(odd_server) -> None:
    url, handler = odd_server
    handler.reply = json.dumps({"object": "chat.completion"}).encode()
    with pytest.raises(ModelError, match="malformed reply"):
        OpenAICompatibleModel(url, "m").complete(HELLO)


def test_an_invalid_stream_event_is_a_model_error(odd_server) -> None:
    url, handler = odd_server
    good = {"choices": [{"delta": {"content": "Hi"}}]}
    handler.reply = f"data: {json.dumps(good)}\n\ndata: {{oops\n\n".encode()
    pieces = []
    with pytest.raises(ModelError, match="streamed invalid JSON"):
        for piece in OpenAICompatibleModel(url, "m").stream(HELLO):
            pieces.append(piece)
    assert pieces == ["Hi"]


def test_a_server_error_names_status_and_body(odd_server) -> None:
    url, handler = odd_server
    handler.status, handler.reply = 503, b'{"error": "model is loading"}'
    with pytest.raises(ModelError, match=r"HTTP 503: .*model is loading"):
        OpenAICompatibleModel(url, "m").complete(HELLO)


def test_a_rejected_grammar_is_dropped_and_the_key_is_sent(odd_server) -> None:
    url, handler = odd_server
    reply = {
        "choices": [{"message": {"content": "yes"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 1},
    }
    handler.reply = json.dumps(reply).encode()
    model = OpenAICompatibleModel(url, "m", api_key="secret-key")
    assert model.complete(QUESTION, grammar='root ::= "yes" | "no"').text == "yes"
    assert model.complete(QUESTION, grammar='root ::= "yes" | "no"').text == "yes"
    sent = [("grammar" in request["body"]) for request in handler.seen]
    assert sent == [True, False, False]  # rejected once, then no longer sent
    assert {request["authorization"] for request in handler.seen} == {"Bearer secret-key"}
    assert handler.seen[0]["body"]["temperature"] == 0
