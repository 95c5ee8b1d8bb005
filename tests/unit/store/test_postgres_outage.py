"""A team store whose server goes away: calls fail fast instead of waiting for a connect
timeout each time (the TUI reads on its own thread), try again once a backoff window has
passed, and work again as soon as the server is back; the change feed says when it lost the
server and when it has it back, and its return lets the store's calls try again at once.

The server "goes away" behind a TCP relay on loopback that can switch to swallowing every
connection (as a dead network does: nothing answers, so a connect waits for its timeout)."""

from __future__ import annotations

import queue
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from scenario_tui.core.errors import TeamStoreUnreachableError
from scenario_tui.store.changes import Change
from scenario_tui.store.postgres import connection
from scenario_tui.store.postgres.store import PostgresStore

CONNECT_TIMEOUT_S = 1


class Relay:
    """A TCP listener on 127.0.0.1 that relays each connection to the cluster's Unix socket
    while ``up``; when put ``down`` it cuts the relayed ones and swallows new ones silently."""

    def __init__(self, unix_path: str) -> None:
        self.unix_path = unix_path
        self.up = True
        self.attempts = 0  # connections accepted (each one a try to connect)
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def down(self) -> None:
        with self._lock:
            self.up = False
            cut, self._open = self._open, []
        for sock in cut:
            _close(sock)

    def back(self) -> None:
        with self._lock:
            self.up = True

    def close(self) -> None:
        self.down()
        _close(self._listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.attempts += 1
                self._open.append(client)
                if not self.up:
                    continue  # swallowed: never answered
            server = socket.socket(socket.AF_UNIX)
            server.connect(self.unix_path)
            with self._lock:
                self._open.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    _close(source)
    _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def relay(pg_url, monkeypatch):
    """A relay to this test's database, and its URL (connect timeout: 1 s)."""
    monkeypatch.setattr(connection, "CONNECT_TIMEOUT_S", CONNECT_TIMEOUT_S)
    parts = urlsplit(pg_url)
    socket_dir = parts.query.removeprefix("host=")
    relay = Relay(f"{socket_dir}/.s.PGSQL.5432")
    try:
        yield relay, f"postgresql://postgres@127.0.0.1:{relay.port}{parts.path}"
    finally:
        relay.close()


def timed_failure(store: PostgresStore) -> tuple[float, TeamStoreUnreachableError]:
    started = time.monotonic()
    with pytest.raises(TeamStoreUnreachableError) as caught:
        store.count()
    return time.monotonic() - started, caught.value


def test_calls_fail_fast_while_the_server_is_away_and_work_once_it_is_back(relay) -> None:
    relay, url = relay
    with PostgresStore.open(url) as store:
        store.add(["up_1"])
        assert store.connected
        relay.down()
        took, error = timed_failure(store)  # tries: waits for the connect timeout
        assert took >= CONNECT_TIMEOUT_S * 0.9
        assert not store.connected and "127.0.0.1" in error.message
        tried = relay.attempts
        took, error = timed_failure(store)  # within the window: refused without trying
        assert took < 0.2 and relay.attempts == tried
        assert error.title == "Team store unreachable"
        assert "tried again in 1 s" in error.message and "password" not in error.message
        time.sleep(connection.BACKOFF_FIRST_S)
        took, _ = timed_failure(store)  # the window has passed: tried again (and 2 s more)
        assert took >= CONNECT_TIMEOUT_S * 0.9 and relay.attempts == tried + 1
        relay.back()
        took, error = timed_failure(store)  # still within the (longer) window
        assert took < 0.2 and "tried again in 2 s" in error.message
        time.sleep(2 * connection.BACKOFF_FIRST_S)
        assert store.count() == 1
        assert store.connected
        relay.down()  # the window starts short again after a success
        timed_failure(store)
        _, error = timed_failure(store)
        assert "tried again in 1 s" in error.message


def test_the_feed_says_when_the_server_is_lost_and_back_and_lets_calls_try_at_once(
        relay) -> None:
    relay, url = relay
    changes: queue.Queue[Change] = queue.Queue()
    states: queue.Queue[bool] = queue.Queue()
    with PostgresStore.open(url) as store:
        feed = store.follow_changes(changes.put, states.put)
        assert feed is not None
        try:
            assert feed.connected
            relay.down()
            assert states.get(timeout=5) is False
            assert not feed.connected
            timed_failure(store)
            timed_failure(store)  # the store now refuses calls for a while, without trying
            relay.back()
            assert states.get(timeout=15) is True
            assert changes.get(timeout=5) == Change(())
            assert store.connected
            started = time.monotonic()
            assert store.count() == 0  # at once: the feed's return ended the window
            assert time.monotonic() - started < 0.5
        finally:
            feed.close()
