"""An httpx transport speaking HTTP/1.1 straight over asyncio sockets, h11 parsing the bytes.

``ScenarioClient`` uses it when no transport is injected and the environment names no proxy
(httpx's own transport handles proxies). It exists for speed: with 16 requests in flight on a
small 2-core machine, httpx's default transport (httpcore over anyio) costs 2 to 4 ms of CPU per
request, most of it in its connection pool's bookkeeping, and this one about 0.5 ms; that is
what lets a bulk refresh keep a dozen reads in flight without its event loop (the TUI's) becoming
the bottleneck.
h11 is the parser httpcore itself uses (a dependency of httpx).

What it keeps from httpx's default transport:

- keep-alive connections pooled per origin: at most ``max_connections`` open, at most
  ``max_keepalive`` idle, an idle one closed after ``keepalive_expiry`` seconds, and one the
  server closed (or wrote to unasked) never reused;
- each request's connect, read, write and pool timeouts (``request.extensions["timeout"]``);
- TLS verified with httpx's default context (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` honoured);
- failures raised as httpx's exceptions (``ConnectError``, ``ConnectTimeout``, ``ReadTimeout``,
  ``WriteTimeout``, ``PoolTimeout``, ``ReadError``, ``WriteError``, ``RemoteProtocolError``), the
  OS or TLS error kept as ``__cause__``, so the client translates them exactly as before;
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

HIGH_WATER = 256 * 1024  # bytes received and not yet parsed before the socket stops reading
WRITE_BATCH = 64 * 1024  # request bytes gathered into one write
HAPPY_EYEBALLS_DELAY = 0.25  # seconds before trying the next address of a host (RFC 8305)

Origin = tuple[bytes, bytes, int]
_DEFAULT_PORTS = {b"http": 80, b"https": 443}


class _Socket(asyncio.Protocol):
    """One connection's bytes: buffered as they arrive, handed to whoever waits for them."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.closed = False
        self.error: BaseException | None = None
        self._reader: asyncio.Future | None = None
        self._writer: asyncio.Future | None = None
        self._read_paused = False
        self._write_paused = False

    # --- asyncio callbacks ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        if self.size > HIGH_WATER and not self._read_paused:
            self._read_paused = True
            self.transport.pause_reading()
        _wake(self._reader)

    def eof_received(self) -> bool:
        self.closed = True
        _wake(self._reader)
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        _wake(self._reader)
        _wake(self._writer)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        _wake(self._writer)

    # --- used by _Connection ---

    async def receive(self, timeout: float | None) -> bytes:
        """What has arrived (waiting up to ``timeout`` s for something); b"" at end of stream."""
        if not self.chunks and not self.closed:
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await _wait(self._reader, timeout)
            finally:
                self._reader = None
        if not self.chunks:
            if self.error is not None:
                raise self.error
            return b""
        data = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks.clear()
        self.size = 0
        if self._read_paused:
            self._read_paused = False
            self.transport.resume_reading()
        return data

    async def send(self, data: bytes, timeout: float | None) -> None:
        if self.closed or self.transport.is_closing():
            raise self.error or ConnectionResetError("the connection is closed")
        self.transport.write(data)
        if self._write_paused:
            self._writer = asyncio.get_running_loop().create_future()
            try:
                await _wait(self._writer, timeout)
            finally:
                self._writer = None
            if self.closed:
                raise self.error or ConnectionResetError("the connection closed while sending")


def _wake(future: asyncio.Future | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


async def _wait(future: asyncio.Future, timeout: float | None) -> None:
    """Await ``future``; TimeoutError after ``timeout`` seconds (None: no limit)."""
    timer = None if timeout is None else asyncio.get_running_loop().call_later(
        timeout, _expire, future)
    try:
        await future
    finally:
        if timer is not None:
            timer.cancel()


class _Connection:
    """One HTTP/1.1 connection: its socket, its h11 state machine and where it belongs."""

    __slots__ = ("origin", "transport", "socket", "loop", "h11", "idle_since")

    def __init__(self, origin: Origin, transport: asyncio.Transport, sock: _Socket,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.origin = origin
        self.transport = transport
        self.socket = sock
        self.loop = loop
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def reusable(self, loop: asyncio.AbstractEventLoop, now: float, expiry: float) -> bool:
        """Whether this idle connection can carry another request right now: same event loop,
        not expired, not closed by the server, and nothing received since its last answer."""
        sock = self.socket
        return (self.loop is loop and now - self.idle_since <= expiry and not sock.closed
                and not sock.chunks and not self.transport.is_closing())

    def close(self) -> None:
        try:
            self.transport.abort()
        except RuntimeError:  # its event loop is already closed: the socket went with it
            pass

    async def send_request(self, request: httpx.Request, timeout: float | None) -> None:
        try:
            out = [self.h11.send(h11.Request(
                method=request.method, target=request.url.raw_path,
                headers=request.headers.raw))]
            size = len(out[0])
            async for chunk in request.stream:
                if chunk:
                    out.append(self.h11.send(h11.Data(data=chunk)))
                    size += len(out[-1])
                    if size >= WRITE_BATCH:
                        await self.socket.send(b"".join(out), timeout)
                        out, size = [], 0
            out.append(self.h11.send(h11.EndOfMessage()))
            await self.socket.send(b"".join(out), timeout)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        except TimeoutError:
            raise httpx.WriteTimeout("Timed out while sending the request.",
                                     request=request) from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc

    async def next_event(self, request: httpx.Request, timeout: float | None) -> object:
        """The next h11 event of the answer, reading from the socket as needed."""
        state = self.h11
        try:
            while True:
                event = state.next_event()
                if event is not h11.NEED_DATA:
                    return event
                data = await self.socket.receive(timeout)
                if not data and state.their_state is h11.SEND_RESPONSE:
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.", request=request)
                state.receive_data(data)
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except TimeoutError:
            raise httpx.ReadTimeout("Timed out while reading the answer.",
                                    request=request) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc


class ConnectionPool:
    """Idle keep-alive connections by origin, and a bound on how many are open at once."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_connections: int = 100,
                 max_keepalive: int = 20, keepalive_expiry: float = 5.0) -> None:
        self._ssl_context = ssl_context
        self._max_connections = max(1, max_connections)
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[_Connection]] = {}
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
                      timeouts: dict) -> _Connection:
        loop = asyncio.get_running_loop()
        while True:
            conn = self._take_idle(origin, loop)
            if conn is not None:
                return conn
            if self._open < self._max_connections or self._close_oldest_idle():
                self._open += 1
                try:
                    return await self._connect(origin, request, timeouts.get("connect"), loop)
                except BaseException:
                    self._open -= 1
                    self._wake_next()
                    raise
            await self._wait_for_room(request, timeouts.get("pool"), loop)

    def release(self, conn: _Connection, reusable: bool) -> None:
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

    def _take_idle(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> _Connection | None:
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
        oldest: list[_Connection] | None = None
        for idle in self._idle.values():
            if idle and (oldest is None or idle[0].idle_since < oldest[0].idle_since):
                oldest = idle
        if oldest is None:
            return False
        self._forget(oldest.pop(0), idle_one=True)
        return True

    def _forget(self, conn: _Connection, *, idle_one: bool = False) -> None:
        conn.close()
        self._open -= 1
        if idle_one:
            self._idle_count -= 1

    async def _connect(self, origin: Origin, request: httpx.Request, timeout: float | None,
                       loop: asyncio.AbstractEventLoop) -> _Connection:
        scheme, host, port = origin
        name = host.decode("ascii")
        context = self.ssl_context if scheme == b"https" else None
        try:
            async with asyncio.timeout(timeout):
                transport, sock = await loop.create_connection(
                    _Socket, name, port, ssl=context, server_hostname=name if context else None,
                    happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY)
        except TimeoutError:
            raise httpx.ConnectTimeout("Timed out while connecting.", request=request) from None
        except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return _Connection(origin, transport, sock, loop)

    async def _wait_for_room(self, request: httpx.Request, timeout: float | None,
                             loop: asyncio.AbstractEventLoop) -> None:
        waiter = loop.create_future()
        self._waiters.append(waiter)
        try:
            await _wait(waiter, timeout)
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

    def __init__(self, pool: ConnectionPool, conn: _Connection, request: httpx.Request,
                 timeout: float | None) -> None:
        self._pool = pool
        self._conn: _Connection | None = conn
        self._request = request
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            while True:
                event = await conn.next_event(self._request, self._timeout)
                kind = type(event)
                if kind is h11.Data:
                    yield bytes(event.data)
                elif kind is h11.EndOfMessage:
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
