"""Any server that speaks the OpenAI chat completions API: llama.cpp, vLLM, Ollama, hosted APIs.

The ``grammar`` argument is sent as the ``grammar`` request field, which llama.cpp's
servers honour. Other servers ignore it, or reject it (then it is dropped and the request
retried), so callers must parse replies defensively.
Servers differ in what they report: ``cached_prompt_tokens`` is 0 unless the server
returns ``usage.prompt_tokens_details.cached_tokens``, and ``tokens`` is filled only when
``top_logprobs`` > 0 (logprobs are not requested otherwise).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ..errors import ModelError
from .base import Completion, Message, Stream, TokenChoice

BODY_EXCERPT = 200


class OpenAICompatibleModel:
    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
    ) -> None:
        """``model`` is the server's model name; when None, the first one it lists.
        ``api_key`` is sent as a bearer token (``load_model`` gives the ``llm_api_key``
        setting)."""
        self.base_url = base_url.rstrip("/")
        self._model = model
        self._model_lock = threading.Lock()
        # Servers rejecting unknown fields (the OpenAI API does) get no grammar after a 400.
        self._sends_grammar = True
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout)

    @property
    def name(self) -> str:
        return f"{self.base_url}#{self._model}" if self._model else self.base_url

    def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 64,
        stop: list[str] | None = None,
        grammar: str | None = None,
        top_logprobs: int = 0,
        prefix: str | None = None,
    ) -> Completion:
        body = self._request_body(messages, max_tokens, stop, grammar)
        if top_logprobs > 0:
            body.update(logprobs=True, top_logprobs=top_logprobs)
        started = time.perf_counter()
        with _transport_errors(self.base_url):
            response = self._send(body)
            try:
                response.read()
            finally:
                response.close()
        seconds = time.perf_counter() - started
        try:
            return _completion(response.json(), seconds)
        except ValueError:
            raise ModelError(
                f"{self.base_url} replied with invalid JSON: {_excerpt(response.text)}"
            ) from None
        except (KeyError, IndexError, TypeError) as error:
            raise ModelError(f"malformed reply from {self.base_url}: missing {error!r}") from None

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 64,
        stop: list[str] | None = None,
        grammar: str | None = None,
        top_logprobs: int = 0,
        prefix: str | None = None,
    ) -> Stream:
        """Text pieces as the server sends them. Unlike llama.cpp's stream this gives no
        Completion: callers that need log-probabilities call :meth:`complete` afterwards."""
        return Stream(self._pieces(messages, max_tokens, stop, grammar))

    def _pieces(self, messages, max_tokens, stop, grammar) -> Iterator[str]:
        body = self._request_body(messages, max_tokens, stop, grammar)
        body["stream"] = True
        with _transport_errors(self.base_url):
            response = self._send(body)
            try:
                for event in _sse_events(response.iter_lines(), self.base_url):
                    if piece := _delta_text(event, self.base_url):
                        yield piece
            finally:
                response.close()

    def close(self) -> None:
        self._client.close()

    def _send(self, body: dict[str, Any]) -> httpx.Response:
        """POST to /chat/completions; the response is open and has a 2xx status."""
        response = self._post(body)
        if response.status_code == 400 and "grammar" in body:
            response.close()
            response = self._post({key: value for key, value in body.items() if key != "grammar"})
            self._sends_grammar = not response.is_success
        _check_status(response, self.base_url)
        return response

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        request = self._client.build_request("POST", f"{self.base_url}/chat/completions", json=body)
        return self._client.send(request, stream=True)

    def _request_body(
        self, messages: list[Message], max_tokens: int, stop: list[str] | None, grammar: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model_name(),
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        if stop:
            body["stop"] = stop
        if grammar and self._sends_grammar:
            body["grammar"] = grammar
        return body

    def _model_name(self) -> str:
        with self._model_lock:
            if self._model is None:
                self._model = self._first_listed_model()
            return self._model

    def _first_listed_model(self) -> str:
        with _transport_errors(self.base_url):
            response = self._client.get(f"{self.base_url}/models")
        _check_status(response, self.base_url)
        try:
            return response.json()["data"][0]["id"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ModelError(
                f"{self.base_url}/models lists no model; name one with #model-name"
            ) from None


@contextmanager
def _transport_errors(base_url: str) -> Iterator[None]:
    """Turns httpx transport failures into one-line ModelErrors naming the server."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise ModelError(
            f"LLM server {base_url} did not answer in time ({type(error).__name__})"
        ) from None
    except httpx.TransportError as error:
        raise ModelError(f"cannot reach LLM server {base_url}: {error}") from None


def _check_status(response: httpx.Response, base_url: str) -> None:
    if response.is_success:
        return
    response.read()
    raise ModelError(
        f"LLM server {base_url} returned HTTP {response.status_code}: {_excerpt(response.text)}"
    )


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "..."


def _completion(data: dict[str, Any], seconds: float) -> Completion:
    choice = data["choices"][0]
    usage = data.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    tokens = [_token_choice(item) for item in ((choice.get("logprobs") or {}).get("content") or [])]
    text = choice["message"].get("content") or ""
    return Completion(
        text=text,
        tokens=tokens,
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        completion_tokens=int(usage.get("completion_tokens", len(tokens))),
        cached_prompt_tokens=int(details.get("cached_tokens") or 0),
        seconds=seconds,
        finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
    )


def _token_choice(item: dict[str, Any]) -> TokenChoice:
    top: dict[str, float] = {}
    for alternative in item.get("top_logprobs") or []:
        top.setdefault(alternative["token"], float(alternative["logprob"]))
    return TokenChoice(token=item["token"], logprob=float(item["logprob"]), top=top)


def _sse_events(lines: Iterator[str], base_url: str) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments, event names
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            return
        try:
            event = json.loads(payload)
        except ValueError:
            raise ModelError(f"{base_url} streamed invalid JSON: {_excerpt(payload)}") from None
        yield event


def _delta_text(event: dict[str, Any], base_url: str) -> str:
    if "error" in event:
        raise ModelError(
            f"LLM server {base_url} failed while streaming: {_excerpt(json.dumps(event['error']))}"
        )
    try:
        choices = event["choices"]
        if not choices:  # some servers end with a usage-only event
            return ""
        return (choices[0].get("delta") or {}).get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ModelError(
            f"{base_url} streamed a malformed event: {_excerpt(json.dumps(event))}"
        ) from None
