"""The HTTP/1.1 transport ``ScenarioClient`` uses on the real network (``transport.py``): pooled
keep-alive connections, bounded and reused only when safe, httpx's exceptions for failures, and
httpx's own transport when the environment names a proxy. The fault tables (test_faults_*) and
the TLS tests (test_secrets) run through it too."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import pytest

from scenario_tui.api import httpx_client
from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import Credentials
from scenario_tui.api.transport import AsyncioTransport
from tests.kit import PENDING, RawServer, closed_port

AUTH = Credentials("test-key", "test-secret-value")


def client_for(base_url: str, **kwargs) -> ScenarioClient:
    return ScenarioClient(base_url=base_url, credentials=AUTH, max_retries=0, **kwargs)


class CannedServer:
    """A loopback server answering every request on a connection with ``answer`` (raw bytes),
    counting the connections it accepted."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.connections = 0
        self.heads: list[bytes] = []  # each request's head, as it arrived
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    self.heads.append(head)
                    if not self.answer:
                        return  # hang up without a byte of answer
                    conn.sendall(self.answer)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def canned():
    servers: list[CannedServer] = []

    def make(answer: bytes) -> CannedServer:
        servers.append(CannedServer(answer))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


async def test_the_client_uses_it_and_keeps_one_connection_alive(server):
    """Five reads one after the other travel on one connection, which stays open and idle."""
    async with client_for(server.base_url) as client:
        for _ in range(5):
            assert (await client.get_upload(PENDING[0])).id == PENDING[0]
        transport = client._http._transport
        assert isinstance(transport, AsyncioTransport)
        assert (transport.pool.open_connections, transport.pool.idle_connections) == (1, 1)
    assert len({r.peer for r in server.fake.requests}) == 1


async def test_connections_are_bounded_and_reused(server):
    """Eight reads at once with room for two connections: all succeed, on two connections."""
    server.fake.latency = 0.05
    async with client_for(server.base_url, max_connections=2) as client:
        uploads = await asyncio.gather(*(client.get_upload(PENDING[0]) for _ in range(8)))
        assert client._http._transport.pool.open_connections == 2
    assert [u.id for u in uploads] == [PENDING[0]] * 8
    assert len({r.peer for r in server.fake.requests}) == 2


async def test_waiting_longer_than_the_pool_timeout_is_a_pool_timeout(server):
    server.fake.latency = 1.0
    transport = AsyncioTransport(max_connections=1)
    timeout = httpx.Timeout(5.0, pool=0.05)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        slow = asyncio.ensure_future(http.get(f"{server.base_url}/uploads/{PENDING[0]}"))
        await asyncio.sleep(0)  # the first request takes the only connection
        with pytest.raises(httpx.PoolTimeout):
            await http.get(f"{server.base_url}/uploads/{PENDING[1]}")
        assert (await slow).status_code == 401  # no credentials: answered after the latency


async def test_a_body_closed_unread_closes_its_connection(server):
    transport = AsyncioTransport()
    async with httpx.AsyncClient(transport=transport) as http:
        async with http.stream("GET", f"{server.url}/_fake/uploads") as response:
            assert response.status_code == 200
        assert transport.pool.open_connections == 0
        assert (await http.get(f"{server.url}/_fake/uploads")).status_code == 200
        assert (transport.pool.open_connections, transport.pool.idle_connections) == (1, 1)


async def test_connection_close_answers_are_not_reused(fake):
    """A server that closes after each answer (``Connection: close``): each read gets a new
    connection, and none fails on a closed one."""
    with RawServer(fake) as raw:
        async with client_for(raw.base_url) as client:
            for _ in range(3):
                assert (await client.get_upload(PENDING[0])).id == PENDING[0]
            assert client._http._transport.pool.open_connections == 0


async def test_chunked_answers_and_informational_ones_are_read(canned):
    server = canned(b"HTTP/1.1 100 Continue\r\n\r\n"
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    transport = AsyncioTransport()
    async with httpx.AsyncClient(transport=transport) as http:
        for _ in range(2):
            response = await http.get(server.url + "/x")
            assert (response.status_code, response.content) == (200, b"hello world")
    assert server.connections == 1


async def test_bytes_after_an_answer_stop_its_connection_being_reused(canned):
    """Bytes the server sent that no request asked for are never read as the next answer."""
    server = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n")
    transport = AsyncioTransport()
    async with httpx.AsyncClient(transport=transport) as http:
        for _ in range(3):
            response = await http.get(server.url + "/x")
            assert (response.status_code, response.content) == (200, b"ok")
    assert server.connections == 3


async def test_a_disconnect_before_the_answer_is_a_remote_protocol_error(canned):
    server = canned(b"")  # reads the request, then hangs up
    async with httpx.AsyncClient(transport=AsyncioTransport()) as http:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await http.get(server.url + "/x")


async def test_connection_refused_is_a_connect_error_with_its_cause():
    async with httpx.AsyncClient(transport=AsyncioTransport()) as http:
        with pytest.raises(httpx.ConnectError) as info:
            await http.get(f"http://127.0.0.1:{closed_port()}/x")
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


async def test_no_answer_within_the_read_timeout_is_a_read_timeout(server):
    server.fake.latency = 0.5
    async with httpx.AsyncClient(transport=AsyncioTransport(), timeout=0.1) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{server.base_url}/uploads/{PENDING[0]}")


def test_a_proxy_in_the_environment_gets_httpx_own_transport(monkeypatch):
    """httpx reads proxy variables only for its own transport, so with one set, that is used."""
    assert isinstance(client_for("http://api.example.test/v1")._http._transport,
                      AsyncioTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    http = client_for("https://api.example.test/v1")._http
    assert isinstance(http._transport, httpx.AsyncHTTPTransport)
    assert any(transport is not None for transport in http._mounts.values())


def test_the_performance_hook_switches_off_at_one_constant(monkeypatch):
    """What bench/RESULTS.md compares against: with the hook off, the client goes through
    httpx's own transport; on (the default), through the lean one."""
    default = client_for("http://api.example.test/v1")._http
    assert isinstance(default._transport, AsyncioTransport)
    monkeypatch.setattr(httpx_client, "ASYNCIO_TRANSPORT", False)
    plain = client_for("http://api.example.test/v1")._http
    assert isinstance(plain, httpx.AsyncClient)
    assert isinstance(plain._transport, httpx.AsyncHTTPTransport)

@pytest.mark.parametrize("hook", [True, False])
def test_a_cookie_an_answer_sets_is_never_sent_back(canned, monkeypatch, hook):
    """The API needs no cookie, so the client keeps none (``NO_COOKIES``): one that an answer
    sets (a load balancer's, say) goes nowhere. With the hook off, httpx's own jar sends it
    back, which shows the server here does set one the client could keep."""
    monkeypatch.setattr(httpx_client, "NO_COOKIES", hook)
    body = b'{"upload": {"id": "%s", "status": "pending"}}' % PENDING[0].encode()
    server = canned(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Set-Cookie: AWSALB=sticky-value; Path=/\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    client = client_for(server.url)

    async def twice() -> None:
        async with client:
            for _ in range(2):
                assert (await client.get_upload(PENDING[0])).status == "pending"

    asyncio.run(twice())
    assert len(server.heads) == 2
    sent_back = [b"sticky-value" in head for head in server.heads]
    assert sent_back == ([False, False] if hook else [False, True])
    if hook:
        with pytest.raises(TypeError):
            client._http.cookies = {"a": "b"}
