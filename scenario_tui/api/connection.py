"""One HTTP/1.1 connection of the lean transport (``transport.py``): an asyncio socket protocol
buffering the bytes, and h11 (the parser httpcore itself uses) turning them into events.

Failures are raised as httpx's exceptions (``ConnectError``, ``ConnectTimeout``,
``ReadTimeout``, ``WriteTimeout``, ``ReadError``, ``WriteError``, ``RemoteProtocolError``), the
OS or TLS error kept as ``__cause__``, so the client translates them as it does httpx's own.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TypeAlias, cast

import h11
import httpx

HIGH_WATER = 256 * 1024  # bytes received and not yet parsed before the socket stops reading
WRITE_BATCH = 64 * 1024  # request bytes gathered into one write
HAPPY_EYEBALLS_DELAY = 0.25  # seconds before trying the next address of a host (RFC 8305)

#: (scheme, host, port): connections are pooled and reused per origin
Origin: TypeAlias = tuple[bytes, bytes, int]
#: what ``Connection.next_event`` returns: an h11 event, or h11.PAUSED between two answers
AnswerEvent: TypeAlias = h11.Event | type[h11.PAUSED]


async def open_connection(origin: Origin, ssl_context: ssl.SSLContext | None,
                          request: httpx.Request, timeout: float | None,
                          loop: asyncio.AbstractEventLoop) -> Connection:
    """Connect to ``origin`` within ``timeout`` seconds, over TLS when given ``ssl_context``."""
    _, host, port = origin
    name = host.decode("ascii")
    try:
        async with asyncio.timeout(timeout):
            transport, sock = await loop.create_connection(
                _Socket, name, port, ssl=ssl_context,
                server_hostname=name if ssl_context else None,
                happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY)
    except TimeoutError:
        raise httpx.ConnectTimeout("Timed out while connecting.", request=request) from None
    except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
        raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
    return Connection(origin, transport, sock, loop)


async def wait_or_expire(future: asyncio.Future, timeout: float | None) -> None:
    """Await ``future``; TimeoutError after ``timeout`` seconds (None: no limit)."""
    timer = None if timeout is None else asyncio.get_running_loop().call_later(
        timeout, _expire, future)
    try:
        await future
    finally:
        if timer is not None:
            timer.cancel()


class Connection:
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
        stream = request.stream
        assert isinstance(stream, httpx.AsyncByteStream)  # as httpx's own transport asserts
        try:
            out = [self.h11.send(h11.Request(
                method=request.method, target=request.url.raw_path,
                headers=request.headers.raw))]
            size = len(out[0])
            async for chunk in stream:
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

    async def next_event(self, request: httpx.Request, timeout: float | None) -> AnswerEvent:
        """The next h11 event of the answer, reading from the socket as needed."""
        state = self.h11
        try:
            while True:
                event = state.next_event()
                if event is not h11.NEED_DATA:
                    return cast(AnswerEvent, event)  # mypy cannot narrow on h11's sentinels
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


class _Socket(asyncio.Protocol):
    """One connection's bytes: buffered as they arrive, handed to whoever waits for them."""

    #: set by ``connection_made``, before anything reads or writes
    transport: asyncio.Transport

    def __init__(self) -> None:
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
        self.transport = cast(asyncio.Transport, transport)

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

    # --- used by Connection ---

    async def receive(self, timeout: float | None) -> bytes:
        """What has arrived (waiting up to ``timeout`` s for something); b"" at end of stream."""
        if not self.chunks and not self.closed:
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await wait_or_expire(self._reader, timeout)
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
                await wait_or_expire(self._writer, timeout)
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
