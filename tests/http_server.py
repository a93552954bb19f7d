"""A real HTTP server on 127.0.0.1 for the source tests, with routes built in code.

Each route says what to answer (status, body, headers, validators, delays, an endless
body); the server counts hits, 304 answers, the largest number of requests in flight at
once, and keeps the request headers, so tests check what the client really did.
Import the ``server`` fixture into a test module: ``from http_server import server``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CHUNK = b"x" * 65536


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before the status line
    drip: float = 0.0  # seconds between 1-byte pieces of the body
    endless: bool = False  # stream data without Content-Length until the client hangs up


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.request_headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.handle_error = lambda request, address: None  # clients hanging up is expected
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._stopped = False

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **options) -> str:
        """Serve ``body`` at ``path``; returns the full address."""
        self.routes[path] = Route(body.encode("utf-8") if isinstance(body, str) else body, **options)
        return self.url(path)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._httpd.shutdown()
            self._httpd.server_close()

    def enter(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path] += 1
            self.request_headers.append(headers)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            pass

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            path = self.path.split("?")[0]
            route = server.routes.get(path)
            server.enter(path, {k.lower(): v for k, v in self.headers.items()})
            try:
                time.sleep(route.delay if route else 0)
            finally:
                # counted out before the reply: once the client has it, its next request may
                # arrive before this thread runs again, which would count as two in flight
                server.leave()
            self.answer(path, route)

        def answer(self, path: str, route: Route | None) -> None:
            if route is None:
                route = Route(b"not found", status=404, content_type="text/plain")
            if self.unchanged(route):
                server.not_modified[path] += 1
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for name, value in {"ETag": route.etag, "Last-Modified": route.last_modified, **route.headers}.items():
                if value:
                    self.send_header(name, value)
            if route.endless:
                self.send_header("Connection", "close")
                self.end_headers()
                while True:  # until the client hangs up (BrokenPipe ends the handler)
                    self.wfile.write(CHUNK)
                return
            if "Content-Length" not in route.headers:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.drip:
                for i in range(len(route.body)):
                    self.wfile.write(route.body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(route.drip)
                return
            self.wfile.write(route.body)

        def unchanged(self, route: Route) -> bool:
            etag = self.headers.get("If-None-Match")
            since = self.headers.get("If-Modified-Since")
            return bool((route.etag and etag == route.etag) or (route.last_modified and since == route.last_modified))

    return Handler


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    local.start()
    try:
        yield local
    finally:
        local.stop()
