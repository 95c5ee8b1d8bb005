"""The team store's connections: a few synchronous psycopg connections to one database, shared
by the threads that call the store (each call takes one for itself), and ``run``, which wraps a
verb's SQL in a transaction when it writes and translates every failure.

A connection that breaks (the server restarted, the network dropped) is thrown away; the next
call connects again. An idle connection is looked at before it is used again: one the server has
ended meanwhile (its socket has something to read: the server's goodbye, or the end of the
stream) is thrown away unused. A call whose connection was found broken before its transaction
was committed is run once more on a fresh connection (the server rolled the first attempt back,
so nothing is written twice); one that broke while committing is reported, never repeated, and so
is a one-statement write (it commits as it runs: it may have been saved).

While the server is away, calls fail fast: after a failure to reach it, every call within a
backoff window (1 s, doubling to 10 s while it stays away) is refused at once with the same
"unreachable" error, without trying (a UI that reads on its own thread must not freeze for a
connect timeout at each key); the first call after the window tries again, and a success (or
``mark_up``: the change feed got through) ends it. ``connected`` says which it is.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict

from scenario_tui.core.errors import (
    StoreError,
    StoreLockedError,
    StoreWriteError,
    TeamStoreUnreachableError,
)
from scenario_tui.core.store_url import describe
from scenario_tui.store.postgres.errors import connect_error, detail, translate

T = TypeVar("T")
CONNECT_TIMEOUT_S = 3
#: the first and the longest window in which calls are refused without trying, once the
#: server could not be reached
BACKOFF_FIRST_S = 1.0
BACKOFF_MOST_S = 10.0
#: connections kept open between calls, and open at once (further callers wait for one)
KEEP = 2
MOST = 8
_WAIT_S = 60.0


class Connections:
    """Connections to the database at ``url``. ``read_only``: every transaction is read-only
    (the server refuses writes too) and ``run(write=True)`` refuses before connecting."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self.url = url
        self.where = describe(url)
        self.read_only = read_only
        try:
            secret = conninfo_to_dict(url).get("password")
        except psycopg.Error:
            secret = None
        self._secret = None if secret is None else str(secret)
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MOST)
        self._closed = False
        #: while the server is away: the error to repeat, until when, and the next window
        self._down: StoreError | None = None
        self._retry_at = 0.0
        self._window_s = BACKOFF_FIRST_S
        self._cause = self._down_cause = ""  # the words of the last failure to connect

    @property
    def connected(self) -> bool:
        """False after a failure to reach the server, until a call (or the feed) gets through."""
        return self._down is None

    def mark_up(self) -> None:
        """The server answered (a call, or the change feed's own connection): calls try again
        at once, and the next failure starts from the shortest window."""
        with self._lock:
            self._down, self._window_s = None, BACKOFF_FIRST_S

    def _mark_down(self, error: StoreError) -> None:
        with self._lock:
            self._down = error
            self._down_cause = self._cause
            self._retry_at = time.monotonic() + self._window_s
            self._window_s = min(self._window_s * 2, BACKOFF_MOST_S)
            idle, self._idle = self._idle, []  # from before: most likely broken too
        for conn in idle:
            self._drop(conn)

    def _refuse_while_down(self, action: str) -> None:
        with self._lock:
            down, cause, wait = self._down, self._down_cause, self._retry_at - time.monotonic()
        if down is not None and wait > 0:
            raise TeamStoreUnreachableError(
                f"Could not {action}: the team store {self.where} could not be reached a "
                f"moment ago ({cause}); it is tried again in {max(1, round(wait))} s.")

    def connect(self, *, autocommit: bool = True, keepalive: bool = False) -> psycopg.Connection:
        """A new connection, or the StoreError that says why there is none. ``keepalive``: for
        a connection that waits on the server indefinitely (the change feed), TCP keepalives
        find out a network that went silent within about half a minute."""
        options = "-c default_transaction_read_only=on" if self.read_only else ""
        alive: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 10,
                                 "keepalives_interval": 5, "keepalives_count": 3}
        if not keepalive:
            alive = {}
        try:
            return psycopg.connect(self.url, autocommit=autocommit,
                                   connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name="scenario-tui", options=options, **alive)
        except psycopg.Error as exc:
            self._cause = detail(exc, self._secret)
            raise connect_error(exc, self.where, self._secret) from None

    def run(self, action: str, body: Callable[[psycopg.Connection], T], *,
            write: bool = False, one_statement: bool = False) -> T:
        """Run ``body`` on a connection (in one transaction if ``write``); translate every
        psycopg failure into the StoreError family, naming ``action`` ("save a note").

        ``one_statement``: ``body`` writes in a single statement (atomic on its own; any
        further ones only read), so it runs without BEGIN and COMMIT, one round trip to the
        server instead of three. Its statement commits as it runs: a connection lost meanwhile
        is reported as a change that may have been saved, never run again (an intent opened,
        or a log entry written, twice)."""
        if write and self.read_only:
            raise StoreWriteError(f"Could not {action}: the team store {self.where} is open "
                                  "read-only.")
        if not self._slots.acquire(timeout=_WAIT_S):
            raise StoreLockedError(f"Could not {action}: every connection to the team store "
                                   f"{self.where} stayed busy for {_WAIT_S:g} s.",
                                   title="Team store busy")
        try:
            self._refuse_while_down(action)
            for attempt in (1, 2):
                try:
                    conn, reused = self._take()
                except TeamStoreUnreachableError as exc:
                    self._mark_down(exc)
                    raise
                committing = write and one_statement  # it commits as it runs
                try:
                    if not write or one_statement:
                        result = body(conn)
                    else:
                        with conn.transaction():
                            result = body(conn)
                            committing = True
                    self._give_back(conn)
                    if self._down is not None:
                        self.mark_up()
                    return result
                except psycopg.Error as exc:
                    lost = conn.broken or conn.closed
                    self._drop(conn) if lost else self._give_back(conn)
                    if lost and reused and not committing and attempt == 1:
                        continue  # an idle connection the server had dropped: nothing was done
                    raise translate(exc, self.where, action, lost=lost, committing=committing,
                                    secret=self._secret) from None
                except BaseException:
                    self._drop(conn) if (conn.broken or conn.closed) else self._give_back(conn)
                    raise
            raise AssertionError("unreachable")
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close every idle connection; calls after this raise StoreError (idempotent)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _take(self) -> tuple[psycopg.Connection, bool]:
        while True:
            with self._lock:
                if self._closed:
                    raise StoreError(f"The team store {self.where} is closed.")
                if not self._idle:
                    break
                conn = self._idle.pop()
            if not _ended(conn):
                return conn, True
            self._drop(conn)  # the server ended it while it was idle: never used again
        return self.connect(), False

    def _give_back(self, conn: psycopg.Connection) -> None:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:
                conn.rollback()
            except psycopg.Error:
                self._drop(conn)
                return
        with self._lock:
            if not self._closed and len(self._idle) < KEEP:
                self._idle.append(conn)
                return
        conn.close()

    @staticmethod
    def _drop(conn: psycopg.Connection) -> None:
        try:
            conn.close()
        except psycopg.Error:
            pass


def _ended(conn: psycopg.Connection) -> bool:
    """Whether an idle connection is known to be over: closed, broken, or with something to
    read on its socket (an idle connection that listens to nothing is sent nothing, except the
    server's goodbye when it ends the session, or the end of the stream)."""
    if conn.closed or conn.broken:
        return True
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)
