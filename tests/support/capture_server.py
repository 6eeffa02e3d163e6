"""A real HTTP server on 127.0.0.1 that records what it receives and fails on demand.

Stands in for the WeCom robot and the WeChat API in tests::

    with CaptureServer() as server:
        server.fail_next(2, "500")            # the next two requests get HTTP 500
        ...POST to server.url + "/cgi-bin/webhook/send?key=x"...
        assert server.wait_for(3)
        server.requests[-1].json

The ``server`` fixture below is such a server (import it into a test module to use it).

Failure modes: ``"500"`` (HTTP 500), ``"hang"`` (no answer for ``hang_seconds``, past a
client's timeout, then 504), ``"errcode"`` (HTTP 200 with ``{"errcode": 45009, ...}``),
``"non_json"`` (HTTP 200 with an HTML body), ``"close"`` (connection dropped, no response).
Successful answers are ``{"errcode": 0, "errmsg": "ok"}`` unless :meth:`route` says otherwise.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import pytest

MODES = ("500", "hang", "errcode", "non_json", "close")


@dataclass
class Captured:
    method: str
    path: str
    query: dict[str, str]  # first value of each parameter
    headers: dict[str, str]
    body: bytes
    json: Any  # parsed body, or None
    outcome: str = "ok"  # "ok" or the failure mode it was answered with
    at: float = field(default_factory=time.monotonic)


Responder = Callable[[Captured], Any]


class CaptureServer:
    def __init__(self, host: str = "127.0.0.1", *, hang_seconds: float = 2.0):
        self.host = host
        self.hang_seconds = hang_seconds
        self.requests: list[Captured] = []
        self._lock = threading.Condition()
        self._failures: list[tuple[str, int, str]] = []  # (mode, errcode, errmsg)
        self._routes: dict[str, Responder | Any] = {}
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------
    def start(self) -> "CaptureServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                server._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="capture-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> "CaptureServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # behaviour ---------------------------------------------------------------------
    def fail_next(self, n: int, mode: str = "500", *, errcode: int = 45009,
                  errmsg: str = "api freq out of limit") -> None:
        """The next ``n`` requests fail with ``mode``; later ones succeed again."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        with self._lock:
            self._failures.extend([(mode, errcode, errmsg)] * n)

    def recover(self) -> None:
        """Forget any failures not yet served."""
        with self._lock:
            self._failures.clear()

    def route(self, path: str, response: Responder | Any) -> None:
        """Answer ``path`` with this JSON value, or with what ``response(captured)`` returns."""
        with self._lock:
            self._routes[path] = response

    # inspection --------------------------------------------------------------------
    def ok_requests(self, path: str | None = None) -> list[Captured]:
        with self._lock:
            return [r for r in self.requests if r.outcome == "ok" and (path is None or r.path == path)]

    def wait_for(self, count: int, timeout: float = 5.0, *, ok_only: bool = True) -> bool:
        """True once ``count`` requests (successful ones, by default) have arrived."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                seen = len([r for r in self.requests if r.outcome == "ok" or not ok_only])
                if seen >= count:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # serving -----------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        captured = Captured(
            method=handler.command, path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            headers={k: v for k, v in handler.headers.items()}, body=body, json=parsed,
        )
        with self._lock:
            mode, errcode, errmsg = self._failures.pop(0) if self._failures else ("ok", 0, "ok")
            responder = self._routes.get(captured.path)
            captured.outcome = mode
            self.requests.append(captured)
            self._lock.notify_all()
        if mode == "close":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if mode == "hang":
            self._stopping.wait(self.hang_seconds)
            self._reply(handler, 504, b"gateway timeout", "text/plain")
            return
        if mode == "500":
            self._reply(handler, 500, b"internal error", "text/plain")
            return
        if mode == "non_json":
            self._reply(handler, 200, b"<html>oops</html>", "text/html")
            return
        if mode == "errcode":
            payload: Any = {"errcode": errcode, "errmsg": errmsg}
        elif callable(responder):
            payload = responder(captured)
        elif responder is not None:
            payload = responder
        else:
            payload = {"errcode": 0, "errmsg": "ok"}
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._reply(handler, 200, data, "application/json; charset=utf-8")

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (timed out) before we answered


@pytest.fixture
def server():
    """A started :class:`CaptureServer`; its "hang" failure mode lasts one second."""
    with CaptureServer(hang_seconds=1.0) as s:
        yield s
