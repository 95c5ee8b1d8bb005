"""An httpx transport speaking HTTP/1.1 straight over asyncio sockets (``connection.py``): the
connection pool, and the transport that hands httpx each answer as it arrives.

``ScenarioClient`` uses it on the real network unless switched off or the environment names a
proxy (``httpx_client.py``). It exists for speed: httpx's default transport (httpcore over
anyio) spends most of its CPU per request on its connection pool's bookkeeping, enough that a
bulk refresh with a dozen reads in flight would be held back by its event loop (the TUI's);
bench/RESULTS.md has the figures.

What it keeps from httpx's default transport:

- keep-alive connections pooled per origin: at most ``max_connections`` open, at most
  ``max_keepalive`` idle, an idle one closed after ``keepalive_expiry`` seconds, and one the
  server closed (or wrote to unasked) never reused;
- each request's connect, read, write and pool timeouts (``request.extensions["timeout"]``);
- TLS verified with httpx's default context (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` honoured);
- failures raised as httpx's exceptions (``PoolTimeout`` here, the others in ``connection.py``),
  so the client translates them exactly as httpx's own;
- a request is sent once: never re-sent on another connection after a failure.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import AsyncIterator

import h11
import httpx

from scenario_tui.api.connection import Connection, Origin, open_connection, wait_or_expire

_DEFAULT_PORTS = {b"http": 80, b"https": 443}


class ConnectionPool:
    """Idle keep-alive connections by origin, and a bound on how many are open at once."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_connections: int = 100,
                 max_keepalive: int = 20, keepalive_expiry: float = 5.0) -> None:
        self._ssl_context = ssl_context
        self._max_connections = max(1, max_connections)
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[Connection]] = {}
        self._idle_count = 0
        self._open = 0  # connections being opened, in use, or idle
        self._waiters: deque[asyncio.Future] = deque()
        self._closed = False

    @property
    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:  # an http:// base URL meeting an https:// URL
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def idle_connections(self) -> int:
        return self._idle_count

    async def acquire(self, origin: Origin, request: httpx.Request,
                      timeouts: dict) -> Connection:
        loop = asyncio.get_running_loop()
        while True:
            conn = self._take_idle(origin, loop)
            if conn is not None:
                return conn
            if self._open < self._max_connections or self._close_oldest_idle():
                self._open += 1
                tls = self.ssl_context if origin[0] == b"https" else None
                try:
                    return await open_connection(origin, tls, request, timeouts.get("connect"),
                                                 loop)
                except BaseException:
                    self._open -= 1
                    self._wake_next()
                    raise
            await self._wait_for_room(request, timeouts.get("pool"), loop)

    def release(self, conn: Connection, reusable: bool) -> None:
        """Take a connection back after its answer: kept idle if it can serve again."""
        if (reusable and not self._closed and self._idle_count < self._max_keepalive
                and not conn.socket.closed):
            now = time.monotonic()
            conn.idle_since = now
            idle = self._idle.setdefault(conn.origin, [])
            while idle and now - idle[0].idle_since > self._expiry:  # the oldest have expired
                self._forget(idle.pop(0), idle_one=True)
            idle.append(conn)
            self._idle_count += 1
        else:
            self._forget(conn)
        self._wake_next()

    async def aclose(self) -> None:
        """Close the idle connections now, and those in use when their answers end."""
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                self._forget(conn, idle_one=True)
        self._idle.clear()

    # --- internals ---

    def _take_idle(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # the most recently used first
            self._idle_count -= 1
            if conn.reusable(loop, now, self._expiry):
                return conn
            self._forget(conn)
        return None

    def _close_oldest_idle(self) -> bool:
        """Close the longest-idle connection (any origin) to make room; False if none is idle."""
        oldest: list[Connection] | None = None
        for idle in self._idle.values():
            if idle and (oldest is None or idle[0].idle_since < oldest[0].idle_since):
                oldest = idle
        if oldest is None:
            return False
        self._forget(oldest.pop(0), idle_one=True)
        return True

    def _forget(self, conn: Connection, *, idle_one: bool = False) -> None:
        conn.close()
        self._open -= 1
        if idle_one:
            self._idle_count -= 1

    async def _wait_for_room(self, request: httpx.Request, timeout: float | None,
                             loop: asyncio.AbstractEventLoop) -> None:
        waiter = loop.create_future()
        self._waiters.append(waiter)
        try:
            await wait_or_expire(waiter, timeout)
        except TimeoutError:
            raise httpx.PoolTimeout("Timed out waiting for a free connection.",
                                    request=request) from None
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._wake_next()  # woken, then cancelled: pass the turn on
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _wake_next(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class _Body(httpx.AsyncByteStream):
    """The answer's body, read from the connection as it is iterated; the connection goes back
    to the pool when the body ends (or is closed, unread: then the connection is closed)."""

    def __init__(self, pool: ConnectionPool, conn: Connection, request: httpx.Request,
                 timeout: float | None) -> None:
        self._pool = pool
        self._conn: Connection | None = conn
        self._request = request
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            while True:
                event = await conn.next_event(self._request, self._timeout)
                if type(event) is h11.Data:
                    yield bytes(event.data)
                elif type(event) is h11.EndOfMessage:
                    break
                else:
                    raise httpx.RemoteProtocolError(
                        "The connection closed before the answer ended.", request=self._request)
        except BaseException:
            self._done(False)
            raise
        self._done(True)

    async def aclose(self) -> None:
        self._done(False)

    def _done(self, finished: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        state = conn.h11
        reusable = (finished and state.our_state is h11.DONE and state.their_state is h11.DONE
                    and not state.trailing_data[0])  # bytes after the answer: not HTTP we asked
        if reusable:
            state.start_next_cycle()
        self._pool.release(conn, reusable)


class AsyncioTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 for ``httpx.AsyncClient``: see the module's docstring."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_connections: int = 100,
                 max_keepalive: int = 20, keepalive_expiry: float = 5.0) -> None:
        self._pool = ConnectionPool(ssl_context=ssl_context, max_connections=max_connections,
                                    max_keepalive=max_keepalive,
                                    keepalive_expiry=keepalive_expiry)

    @property
    def pool(self) -> ConnectionPool:
        return self._pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {url.scheme!r}.",
                                            request=request)
        origin = (scheme, url.raw_host, url.port or _DEFAULT_PORTS[scheme])
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        conn = await self._pool.acquire(origin, request, timeouts)
        try:
            await conn.send_request(request, timeouts.get("write"))
            while True:
                event = await conn.next_event(request, read_timeout)
                if type(event) is h11.Response:
                    break
                if type(event) is not h11.InformationalResponse:  # 1xx: wait for the answer
                    raise httpx.RemoteProtocolError(
                        "The server answered with something that is not an HTTP response.",
                        request=request)
        except BaseException:
            self._pool.release(conn, False)
            raise
        return httpx.Response(
            event.status_code, headers=event.headers.raw_items(),
            stream=_Body(self._pool, conn, request, read_timeout),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
