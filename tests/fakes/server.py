"""HTTP plumbing shared by the fake services: serve an app on 127.0.0.1, record requests.

An app is anything with `base_path`, `handle(Request) -> Response` and
`env(url) -> dict`; the fakes differ only in their apps. Responses whose body
is an iterable of byte chunks are sent with chunked transfer encoding, one
flush per chunk, so streaming clients see a real stream.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

HOST = "127.0.0.1"
_SECRET_HEADERS = frozenset({"x-amz-security-token", "x-api-key", "api-key"})


@dataclass(frozen=True)
class Request:
    """An incoming request; `path` is still percent-encoded and has no query."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body or b"null")


@dataclass
class Response:
    """A reply: bytes are sent with Content-Length, an iterable of bytes chunked."""

    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


class ApiError(Exception):
    """A client error an app raises; each app renders it in its API's error format."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent, for assertions; credential values are redacted."""

    method: str
    path: str  # percent-decoded
    headers: dict[str, str]
    body: Any  # parsed JSON, else text, else None


class App(Protocol):
    base_path: str

    def handle(self, request: Request) -> Response: ...

    def env(self, url: str) -> dict[str, str]: ...


def redact(headers: dict[str, str]) -> dict[str, str]:
    """Keep header names (and the auth scheme) but never credential values."""
    redacted = dict(headers)
    for name, value in headers.items():
        if name == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            redacted[name] = f"{scheme} <redacted>".strip()
        elif name in _SECRET_HEADERS:
            redacted[name] = "<redacted>"
    return redacted


def _recorded(request: Request) -> RecordedRequest:
    body: Any = None
    if request.body:
        try:
            body = request.json()
        except ValueError:
            body = request.body.decode("utf-8", "replace")
    return RecordedRequest(request.method, unquote(request.path), redact(request.headers), body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections must not pin a thread forever
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: tests read `.requests`, not stderr."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, parts.path, parts.query, headers, self._read_body(headers))
        self.server.record(request)
        try:
            response = self.server.app.handle(request)
        except Exception:  # noqa: BLE001 -- a bug in the fake must be loud (500 + .errors), not a hang
            self.server.errors.append(traceback.format_exc())
            response = Response.json(500, {"message": "fake server error", "traceback": traceback.format_exc()})
        self._send(response)

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return self._read_chunked()
        return self.rfile.read(int(headers.get("content-length") or 0))

    def _read_chunked(self) -> bytes:
        body = b""
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        return body

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in response.body:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading early


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: App) -> None:
        super().__init__((HOST, 0), _Handler)
        self.app = app
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(_recorded(request))


class RunningFake:
    """A fake service serving in a background thread; what the fixtures yield."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._server = _Server(app)
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(app).__name__, daemon=True)
        self._thread.start()

    @property
    def server_address(self) -> tuple[str, int]:
        """The bound socket address (host is always 127.0.0.1)."""
        host, port = self._server.socket.getsockname()[:2]
        return host, port

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        """Base URL a client is pointed at (includes the app's base path)."""
        return f"http://{HOST}:{self.port}{self.app.base_path}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a live list; `clear()` empties it)."""
        return self._server.requests

    @property
    def errors(self) -> list[str]:
        """Tracebacks of exceptions raised inside the fake (answered with HTTP 500)."""
        return self._server.errors

    def clear(self) -> None:
        """Forget recorded requests and errors (the fixtures are session-scoped)."""
        self._server.requests.clear()
        self._server.errors.clear()

    def env(self) -> dict[str, str]:
        """Environment variables a subprocess needs to talk to this fake."""
        return self.app.env(self.url)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def serve(app: App) -> Iterator[RunningFake]:
    """Run `app` on an ephemeral 127.0.0.1 port for the duration of the block."""
    fake = RunningFake(app)
    try:
        yield fake
    finally:
        fake.close()
