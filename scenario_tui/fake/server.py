"""How requests reach the fake Scenario API: faults, the request log, an httpx transport, a server.

``fake_api.FakeScenario`` is the behaviour of the API; this module is the delivery side and does
not import it (it works on any object with ``handle``, ``latency``, ``faults``, ``requests``,
``reset`` and ``base_url``):

- ``Fault`` / ``FaultQueue``: injected failures, consumed in the order they were added.
- ``RecordedRequest``: one entry of the request log.
- ``FakeTransport``: an httpx transport for both ``httpx.Client`` and ``httpx.AsyncClient``.
- ``serve`` / ``run_forever``: a real ``ThreadingHTTPServer`` on loopback (HTTP/1.1 keep-alive,
  ``Content-Length`` always set, no access log), with a control endpoint under ``/_fake/``.

Control endpoint (no auth; also answered by the in-process transport):
``POST /_fake/faults`` (a JSON object with ``Fault``'s keys, or a list of them),
``DELETE /_fake/faults``, ``POST /_fake/reset``, ``GET /_fake/requests`` (Authorization values
redacted), ``POST /_fake/latency`` ``{"seconds": x}``, ``GET /_fake/uploads`` (id and status).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

FAULT_KINDS = (None, "html", "malformed_json", "drop", "timeout", "wrong_shape")
REDACTED = "[redacted]"
_SENSITIVE_HEADERS = ("authorization", "cookie", "proxy-authorization")
_DEFAULT_STATUS = {None: 500, "html": 502, "malformed_json": 200, "wrong_shape": 200}
_HTML_PAGE = (
    "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>awselb/2.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class FakeResponse:
    """What the fake answers. ``action`` "drop" or "timeout" means: send no response at all."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> FakeResponse:
        body = json.dumps(payload, separators=(",", ":")).encode()
        content_type = {"content-type": "application/json; charset=utf-8"}
        return cls(status, body, {**content_type, **(headers or {})})

    def parsed(self) -> Any:
        return json.loads(self.body)


@dataclass
class RecordedRequest:
    """One request as the fake received it. ``applied`` is False when a fault swallowed it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    body_size: int = 0
    fault: str | None = None
    applied: bool = True
    status: int | None = None
    peer: str | None = None

    def to_dict(self, redact: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if redact:
            data["headers"] = {
                k: (REDACTED if k in _SENSITIVE_HEADERS else v) for k, v in self.headers.items()
            }
        return data


@dataclass
class Fault:
    """One injected failure, used for the next ``count`` matching requests (None: forever).

    ``kind``: None (an error with ``status``, default 500, JSON body), "html" (an HTML gateway
    page, default 502), "malformed_json" (200 with truncated JSON), "wrong_shape" (200 with valid
    JSON of the wrong shape), "drop" (connection closed without an answer), "timeout" (no answer
    in time). ``apply``: when True the request still changes the fake's state and only the answer
    is lost or replaced (the uncertain outcome of a dropped ``complete``); when False (default)
    the request never reaches the API. Faulted requests are always recorded in the request log.
    """

    status: int | None = None
    count: int | None = 1
    path: str | None = None
    method: str | None = None
    retry_after: float | None = None
    retry_after_ms: float | None = None
    body: Any = None
    kind: str | None = None
    apply: bool = False
    x_should_retry: bool | None = None
    remaining_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        status = self.status
        if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
            raise ValueError(f"fault status must be an HTTP status code, not {self.status!r}")
        if self.count is not None and (not isinstance(self.count, int) or self.count < 1):
            raise ValueError(f"fault count must be a positive integer or None, not {self.count!r}")
        if self.method is not None:
            self.method = self.method.upper()

    @property
    def label(self) -> str:
        return self.kind or f"status:{self.effective_status}"

    @property
    def effective_status(self) -> int:
        return self.status if self.status is not None else _DEFAULT_STATUS.get(self.kind, 500)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or self.path in path

    def response(self, trace_id: str) -> FakeResponse:
        if self.kind in ("drop", "timeout"):
            return FakeResponse(0, action=self.kind)
        status = self.effective_status
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["retry-after"] = _number(self.retry_after)
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = _number(self.retry_after_ms)
        if self.x_should_retry is not None:
            headers["x-should-retry"] = "true" if self.x_should_retry else "false"
        if self.kind == "html":
            page = self.body if isinstance(self.body, str) else _HTML_PAGE.format(status=status)
            return FakeResponse(status, page.encode(), {"content-type": "text/html", **headers})
        if self.kind == "malformed_json":
            text = self.body if isinstance(self.body, str) else '{"upload": {"id": "up_trunc'
            headers["content-type"] = "application/json"
            return FakeResponse(status, text.encode(), headers)
        if self.kind == "wrong_shape":
            payload = self.body if self.body is not None else {"data": [{"unexpected": True}]}
            return FakeResponse.json(status, payload, headers)
        if isinstance(self.body, str):
            headers["content-type"] = "text/plain"
            return FakeResponse(status, self.body.encode(), headers)
        if self.body is not None:
            return FakeResponse.json(status, self.body, headers)
        payload: dict[str, Any] = {"message": _default_message(status), "traceId": trace_id}
        if self.remaining_seconds is not None:
            payload["remainingSeconds"] = self.remaining_seconds
        return FakeResponse.json(status, payload, headers)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _default_message(status: int) -> str:
    return {
        400: "Bad request (injected fault)",
        401: "Unauthorized (injected fault)",
        403: "Forbidden (injected fault)",
        404: "Not found (injected fault)",
        408: "Request timeout (injected fault)",
        409: "Conflict (injected fault)",
        429: "Too many requests, slow down (injected fault)",
        500: "Internal server error (injected fault)",
        502: "Bad gateway (injected fault)",
        503: "Service unavailable (injected fault)",
        504: "Gateway timeout (injected fault)",
    }.get(status, f"HTTP {status} (injected fault)")


class FaultQueue:
    """Thread-safe, ordered faults: the first pending fault matching a request is used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        status: int | None = None,
        count: int | None = 1,
        path: str | None = None,
        method: str | None = None,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        body: Any = None,
        kind: str | None = None,
        *,
        apply: bool = False,
        x_should_retry: bool | None = None,
        remaining_seconds: float | None = None,
    ) -> Fault:
        fault = Fault(
            status=status, count=count, path=path, method=method, retry_after=retry_after,
            retry_after_ms=retry_after_ms, body=body, kind=kind, apply=apply,
            x_should_retry=x_should_retry, remaining_seconds=remaining_seconds,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.matches(method, path):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            del self._faults[i]
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


# --- dispatch: control endpoint or the fake itself ---------------------------------------------

_FAULT_KEYS = {f.name for f in fields(Fault)}


def _control(fake: Any, method: str, path: str, body: bytes) -> FakeResponse:
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return FakeResponse.json(400, {"message": "control body must be JSON"})
    route = (method, path.rstrip("/"))
    if route == ("POST", "/_fake/faults"):
        specs = data if isinstance(data, list) else [data]
        try:
            for spec in specs:
                unknown = set(spec) - _FAULT_KEYS if isinstance(spec, dict) else {"<not an object>"}
                if unknown:
                    raise ValueError(f"unknown fault keys: {sorted(unknown)}")
                fake.faults.add(**spec)
        except (TypeError, ValueError) as exc:
            return FakeResponse.json(400, {"message": str(exc)})
        return FakeResponse.json(200, {"faults": len(fake.faults)})
    if route == ("DELETE", "/_fake/faults"):
        fake.faults.clear()
        return FakeResponse.json(200, {"faults": 0})
    if route == ("POST", "/_fake/reset"):
        fake.reset()
        return FakeResponse.json(200, {"ok": True})
    if route == ("GET", "/_fake/requests"):
        return FakeResponse.json(200, {"requests": [r.to_dict() for r in list(fake.requests)]})
    if route == ("GET", "/_fake/uploads"):
        return FakeResponse.json(200, {"uploads": fake.snapshot()})
    if route == ("POST", "/_fake/latency"):
        seconds = data.get("seconds") if isinstance(data, dict) else None
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            return FakeResponse.json(400, {"message": "latency needs {\"seconds\": x} with x >= 0"})
        fake.latency = float(seconds)
        return FakeResponse.json(200, {"latency": fake.latency})
    return FakeResponse.json(404, {"message": f"no control route {method} {path}"})


def is_control(path: str) -> bool:
    return path.startswith("/_fake/")


def dispatch(
    fake: Any, method: str, path: str, query: dict[str, str], headers: dict[str, str],
    body: bytes, peer: str | None = None,
) -> FakeResponse:
    """Answer one request: the control endpoint, or the fake (which logs it and applies faults)."""
    try:
        if is_control(path):
            return _control(fake, method.upper(), path, body)
        return fake.handle(method, path, query, headers, body, peer=peer)
    except Exception as exc:  # a bug in the fake must show up as an answer, not a hang
        return FakeResponse.json(500, {"message": f"fake API internal error: {exc!r}"})


# --- in-process transport ----------------------------------------------------------------------


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Routes httpx requests to the fake without a socket; works for sync and async clients."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake

    @staticmethod
    def _split(request: httpx.Request) -> tuple[str, dict[str, str], dict[str, str]]:
        query = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        headers = {k.lower(): v for k, v in request.headers.items()}
        return request.url.path, query, headers

    def _answer(self, request: httpx.Request, resp: FakeResponse) -> httpx.Response:
        if resp.action == "drop":
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if resp.action == "timeout":
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        return httpx.Response(resp.status, headers=resp.headers, content=resp.body, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        path, query, headers = self._split(request)
        if self.fake.latency > 0 and not is_control(path):
            time.sleep(self.fake.latency)
        answer = dispatch(self.fake, request.method, path, query, headers, body)
        return self._answer(request, answer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        path, query, headers = self._split(request)
        if self.fake.latency > 0 and not is_control(path):
            await asyncio.sleep(self.fake.latency)
        answer = dispatch(self.fake, request.method, path, query, headers, body)
        return self._answer(request, answer)


# --- loopback HTTP server ----------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a burst of new connections (a bulk refresh
    # opening its pool) overflowed it, and each dropped SYN cost the client a 1 s retransmit
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: Any) -> None:
        self.fake = fake
        self.stopping = threading.Event()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeScenario/1.0"
    timeout = 120  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # no 40 ms stalls waiting for an ACK
    # buffered: the status line, headers and body leave in one write (one packet for a small
    # answer, as real servers send them), flushed when the request is handled
    wbufsize = -1
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - no access log
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body()
        fake = self.server.fake
        if fake.latency > 0 and not is_control(path):
            time.sleep(fake.latency)
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        resp = dispatch(fake, self.command, path, query, headers, body, peer=peer)
        if resp.action is not None:
            if resp.action == "timeout":
                self.server.stopping.wait(getattr(fake, "timeout_fault_seconds", 30.0))
            self.close_connection = True  # close the socket without a single byte of answer
            return
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


def _display_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class FakeServerHandle:
    """A running loopback server. Use as a context manager, or call ``stop()``."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.host, self.port = server.server_address[0], server.server_address[1]
        self.url = f"http://{_display_host(self.host)}:{self.port}"
        self.base_url = f"{self.url}/v1"
        self.fake = server.fake
        self._stopped = False

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _new_fake() -> Any:
    from scenario_tui.fake.scenario import FakeScenario  # lazy: fake_api imports this module

    return FakeScenario()


def serve(fake: Any = None, host: str = "127.0.0.1", port: int = 0) -> FakeServerHandle:
    """Start the fake on a real socket in a background thread; ``fake.base_url`` is updated."""
    fake = fake if fake is not None else _new_fake()
    server = _Server((host, port), fake)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
        name=f"fake-scenario-{server.server_address[1]}",
    )
    handle = FakeServerHandle(server, thread)
    fake.base_url = handle.base_url
    thread.start()
    return handle


def run_forever(
    fake: Any = None,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in this thread until KeyboardInterrupt; ``on_ready(base_url)`` once listening."""
    fake = fake if fake is not None else _new_fake()
    server = _Server((host, port), fake)
    base_url = f"http://{_display_host(host)}:{server.server_address[1]}/v1"
    fake.base_url = base_url
    try:
        if on_ready is not None:
            on_ready(base_url)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()
