"""How requests reach the fake: an httpx transport in-process, or a real server on loopback.

Both take the fake as an argument (any ``ServedFake``) and never import the API's behaviour:

- ``FakeTransport``: an httpx transport for both ``httpx.Client`` and ``httpx.AsyncClient``.
- ``serve`` / ``run_forever``: a real ``ThreadingHTTPServer`` on loopback (HTTP/1.1 keep-alive,
  ``Content-Length`` always set, no access log), with the control endpoint under ``/_fake/``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from scenario_tui.fake.control import ServedFake, dispatch, is_control
from scenario_tui.fake.exchange import FakeResponse

# --- in-process transport ----------------------------------------------------------------------


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Routes httpx requests to the fake without a socket; works for sync and async clients."""

    def __init__(self, fake: ServedFake) -> None:
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
    # socketserver's default listen backlog is tiny: a burst of new connections (a bulk refresh
    # opening its pool) overflowed it, and each dropped SYN cost the client a SYN retransmit wait
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: ServedFake) -> None:
        self.fake = fake
        self.stopping = threading.Event()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeScenario/1.0"
    timeout = 120  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # no Nagle stalls waiting for a delayed ACK
    # buffered: the status line, headers and body leave in one write (one packet for a small
    # answer, as real servers send them), flushed when the request is handled
    wbufsize = -1
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - no access log
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
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
                self.server.stopping.wait(fake.timeout_fault_seconds)
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
        self.host, self.port = str(server.server_address[0]), server.server_address[1]
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


def serve(fake: ServedFake, host: str = "127.0.0.1", port: int = 0) -> FakeServerHandle:
    """Start the fake on a real socket in a background thread; ``fake.base_url`` is updated."""
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
    fake: ServedFake,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve in this thread until KeyboardInterrupt; ``on_ready(base_url)`` once listening."""
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
