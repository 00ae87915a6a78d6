"""What the browser tests run on: the browser, the fixture articles, and a publisher's site
on an origin of its own that relays to nutgraf."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.server.live import free_port, read_events

CHROMIUM = Path("/usr/bin/chromium")
MARATHON = "Kestrel Valley marathon draws a record field"
LIBRARY = "Fernhill library reopens after a two-year rebuild"
RELAY_HOLD_SECONDS = 60


class PublisherSite(BaseHTTPRequestHandler):
    """A publisher's site on an origin of its own. Every path is its article page, except
    /relay/..., which passes requests on to the nutgraf server: an answer stream is held
    before its final answer while ``hold`` is set, so a test sees what comes first."""

    def do_GET(self):
        if self.path.startswith("/relay/"):
            self.pass_on()
            return
        self.reply(200, "text/html; charset=utf-8", self.server.page)

    def do_POST(self):
        if self.path.startswith("/relay/v1/ask"):
            self.relay_answer()
        else:
            self.pass_on()

    def pass_on(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        response = httpx.request(self.command, self.upstream_url(), content=body or None, timeout=120,
                                 headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
        self.reply(response.status_code, response.headers["content-type"], response.content)

    def relay_answer(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.asked.append(json.loads(body))
        with httpx.stream("POST", self.upstream_url(), content=body, timeout=300,
                          headers={"Content-Type": "application/json", "Accept": "text/event-stream"}) as response:
            events = read_events(response) if response.status_code == 200 else None
            if events is None:
                self.reply(response.status_code, response.headers["content-type"], response.read())
                return
        assert events[0][0] == "evidence", "the server sends the evidence first"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        for kind, data in events:
            if kind == "answer" and self.server.hold.is_set():
                self.server.holding.set()
                assert self.server.released.wait(RELAY_HOLD_SECONDS), "the test never let the answer go"
            self.wfile.write(f"event: {kind}\ndata: {data}\n\n".encode())
            self.wfile.flush()
            self.server.sent.append((kind, data))

    def upstream_url(self) -> str:
        return self.server.upstream + self.path.removeprefix("/relay")

    def reply(self, status: int, content_type: str, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Publisher:
    """The publisher's site: its origin, the page it serves, and the relay's hold."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), PublisherSite)
        self.server.page = b""
        self.server.asked = []  # the questions relayed (request bodies), in order
        self.server.sent = []  # (event, data) of the answer streams relayed, in order
        self.server.hold = threading.Event()
        self.server.holding = threading.Event()
        self.server.released = threading.Event()
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.relay = f"{self.origin}/relay/"

    def relay_to(self, upstream: str) -> None:
        """Relays to the nutgraf server at ``upstream``."""
        self.server.upstream = upstream

    def show(self, html: str) -> None:
        self.server.page = html.encode()

    def hold_answers(self) -> None:
        for event in (self.server.holding, self.server.released):
            event.clear()
        self.server.hold.set()

    def wait_until_holding(self) -> None:
        assert self.server.holding.wait(RELAY_HOLD_SECONDS), "no answer reached the relay"

    def release(self) -> None:
        self.server.hold.clear()
        self.server.released.set()
