"""A real HTTP server on 127.0.0.1 serving the fixtures, plus a few routes for bad cases."""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nutgraf.ingest import IngestOptions

FIXTURES = Path(__file__).resolve().parent / "fixtures"

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
}


class FixtureHandler(BaseHTTPRequestHandler):
    """Serves tests/ingest/fixtures, with ``{{base}}`` replaced by the server's own URL."""

    def do_GET(self) -> None:  # the name http.server calls
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        route = getattr(self, f"route_{parts[0].replace('-', '_')}", None)
        if route is not None:
            route(*parts[1:])
        else:
            self.serve_file(path)

    def serve_file(self, path: str, media_type: str | None = None) -> None:
        file = (FIXTURES / path.lstrip("/")).resolve()
        if FIXTURES not in file.parents or not file.is_file():
            self.send_error(404)
            return
        body = file.read_bytes().replace(b"{{base}}", self.base.encode())
        self.send_response(200)
        self.send_header("Content-Type", media_type or MEDIA_TYPES.get(file.suffix, "text/plain"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_redirect(self, hops: str) -> None:
        """/redirect/N: N more hops, then the article."""
        count = int(hops)
        self.redirect(f"/redirect/{count - 1}" if count > 0 else f"{self.base}/article.html")

    def route_to_ftp(self) -> None:
        self.redirect("ftp://files.example.org/article.txt")

    def route_status(self, code: str) -> None:
        self.send_error(int(code))

    def route_big(self, size: str) -> None:
        """A body of SIZE bytes with no Content-Length: only counting stops it."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        line = b"The river rose again overnight and the ferry stayed in port.\n"
        sent = 0
        while sent < int(size):
            self.wfile.write(line)
            sent += len(line)

    def route_gzip(self, size: str) -> None:
        """SIZE bytes of text, gzip-compressed on the wire."""
        body = gzip.compress(b"a" * int(size))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_declared_big(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(50_000_000))
        self.end_headers()
        self.wfile.write(b"only the start of a very long body")

    def route_slow(self) -> None:
        time.sleep(3)
        self.serve_file("/plain.txt")

    def route_feed_as_html(self) -> None:
        self.serve_file("/feed-full.rss", media_type="text/html")

    def route_untyped(self, name: str) -> None:
        self.serve_file(f"/{name}", media_type="application/octet-stream")

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


class FixtureServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # The timeout and size tests hang up on purpose; the handler then writes to a closed
        # socket, seconds later, while another test may be capturing stderr.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    httpd = FixtureServer(("127.0.0.1", 0), FixtureHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local() -> IngestOptions:
    """Options that may reach the test server on 127.0.0.1."""
    return IngestOptions(allow_private=True, timeout=5)


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
