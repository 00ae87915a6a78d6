"""Real nutgraf servers for tests: the app under uvicorn in a thread, or ``nutgraf serve`` in
a subprocess, each on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from nutgraf.server.app import create_app
from nutgraf.settings import Settings

ADMIN_KEY = "test-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(settings: Settings) -> Iterator[str]:
    """The app built from ``settings``, served by uvicorn on a thread; yields its base URL."""
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def serve_process(db: Path, *options: str, env: dict[str, str] | None = None,
                  log: Path | None = None) -> Iterator[str]:
    """``nutgraf --db DB serve`` as its own process; yields its base URL once /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "nutgraf.cli", "--db", str(db), "serve", "--port", str(port), *options]
    log = log or db.with_suffix(".serve.log")
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=out,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, process, log)
        yield base
        if process.poll() is not None:
            raise RuntimeError(f"nutgraf serve died with {process.returncode} during the tests:\n"
                               f"{log.read_text()[-4000:]}")
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nutgraf serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nutgraf serve did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


def read_events(response: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a Server-Sent Events response, comments and pings skipped."""
    events, kind, data = [], "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                events.append((kind, "\n".join(data)))
            kind, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)
    if data:
        events.append((kind, "\n".join(data)))
    return events
