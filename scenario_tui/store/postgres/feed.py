"""The team store's change feed (``PostgresStore.follow_changes``): a daemon thread on a
connection of its own (never one of the store's), which LISTENs on the channel the schema's
triggers NOTIFY (``store.changes``) and hands each burst of notifications (those within
``COALESCE_S`` of the first) to ``on_change`` as one ``Change``.

When its connection is lost it says so (``on_state(False)``), tries again after 0.5 s, then
doubling to 10 s, and once back says so (``on_state(True)``) and delivers ``Change(())``: what
was announced meanwhile was not heard, so everything is to be read again. Where the server
refuses LISTEN (a read-only standby), it reads the schema's change counter every ``POLL_S``
instead, and delivers ``Change(())`` when it moved. Callbacks run on the feed's thread; one that
raises is logged and the feed goes on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import psycopg

from scenario_tui.core.errors import StoreError
from scenario_tui.store.changes import CHANNEL, EVERYTHING, Change, OnChange, OnState
from scenario_tui.store.postgres.schema import COUNTER_TABLE

log = logging.getLogger(__name__)

#: notifications this close to the first of a burst are delivered with it
COALESCE_S = 0.05
#: how often a feed that cannot LISTEN reads the change counter
POLL_S = 2.0
#: the wait before reconnecting: the first, and the longest (it doubles in between)
RETRY_FIRST_S = 0.5
RETRY_MOST_S = 10.0
#: how long one wait for a notification lasts (``close`` is noticed within it)
_TICK_S = 0.2
#: with nothing heard for this long, the connection is asked whether it is still there
_PROBE_S = 15.0


class PostgresFeed:
    """A running change feed. Build it with ``start``."""

    def __init__(self, connect: Callable[[], psycopg.Connection], on_change: OnChange,
                 on_state: OnState, *, on_connected: Callable[[], None] | None = None,
                 listen: bool = True, poll_s: float = POLL_S) -> None:
        self._connect = connect
        self._on_change, self._on_state = on_change, on_state
        self._on_connected = on_connected or (lambda: None)
        self._listen, self._poll_s = listen, poll_s
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._counter: int | None = None
        self.connected = False
        self._lost_at_start = False  # the first try (in ``start``) did not connect
        self._thread = threading.Thread(target=self._follow, name="scenario-tui change feed",
                                        daemon=True)

    @classmethod
    def start(cls, connect: Callable[[], psycopg.Connection], on_change: OnChange,
              on_state: OnState, *, on_connected: Callable[[], None] | None = None,
              listen: bool = True, poll_s: float = POLL_S,
              connect_now: bool = True) -> PostgresFeed:
        """Connect and LISTEN now (so that every change committed after this returns is
        heard), then follow in the feed's thread. Not reaching the server now is no error: the
        thread reports it (``on_state(False)``) and keeps trying; ``connect_now=False`` (the
        server is known to be away) leaves even the first try to the thread. ``listen=False``:
        read the change counter even where LISTEN works."""
        feed = cls(connect, on_change, on_state, on_connected=on_connected, listen=listen,
                   poll_s=poll_s)
        try:
            if not connect_now:
                raise StoreError("not tried")
            feed._open()
        except (psycopg.Error, StoreError):
            feed._discard()
            feed._lost_at_start = True
        feed._thread.start()
        return feed

    def close(self) -> None:
        """Stop the thread and close its connection; returns once the thread has ended (no
        callback runs after that). Idempotent."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5 * _TICK_S + 5)
        self._discard()

    @property
    def alive(self) -> bool:
        """Whether the feed's thread is running."""
        return self._thread.is_alive()

    # --- the thread -----------------------------------------------------------------------------

    def _follow(self) -> None:
        if self._lost_at_start:
            self._set_state(False)
            self._reconnect()
        while not self._stop.is_set():
            try:
                if self._listen:
                    self._hear()
                else:
                    self._poll()
            except (psycopg.Error, StoreError) as exc:
                if self._stop.is_set():
                    break
                log.info("change feed lost its connection: %s", type(exc).__name__)
                self._discard()
                self._set_state(False)
                self._reconnect()

    def _hear(self) -> None:
        """Wait for notifications; deliver each burst as one Change."""
        conn = self._require()
        quiet_since = time.monotonic()
        while not self._stop.is_set():
            burst = list(conn.notifies(timeout=_TICK_S, stop_after=1))
            if not burst:
                if time.monotonic() - quiet_since > _PROBE_S:
                    conn.execute("SELECT 1")  # a silent network is found out here
                    quiet_since = time.monotonic()
                continue
            until = time.monotonic() + COALESCE_S
            while (left := until - time.monotonic()) > 0:
                burst += conn.notifies(timeout=left)
            quiet_since = time.monotonic()
            self._deliver(Change.merged(_change(n.payload) for n in burst))

    def _poll(self) -> None:
        """Read the change counter every ``poll_s``; deliver Change(()) when it moved."""
        conn = self._require()
        while not self._stop.wait(self._poll_s):
            counter = self._read_counter(conn)
            if counter != self._counter:
                self._counter = counter
                self._deliver(Change(()))

    def _reconnect(self) -> None:
        """Try again, waiting longer each time, until connected (then say so and deliver
        Change(())) or closed."""
        wait = RETRY_FIRST_S
        while not self._stop.wait(wait):
            try:
                self._open()
            except (psycopg.Error, StoreError):
                self._discard()
                wait = min(wait * 2, RETRY_MOST_S)
                continue
            self._set_state(True)
            self._deliver(Change(()))
            return

    # --- the connection -------------------------------------------------------------------------

    def _open(self) -> None:
        """Connect; LISTEN, or read the counter where LISTEN is refused (or not wanted)."""
        conn = self._conn = self._connect()
        if self._listen:
            try:
                conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error:
                if conn.broken or conn.closed:
                    raise
                log.info("change feed cannot LISTEN here: reading the change counter instead")
                self._listen = False
        if not self._listen:
            self._counter = self._read_counter(conn)
        self.connected = True
        self._on_connected()

    def _require(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            raise StoreError("The change feed has no connection.")
        return self._conn

    @staticmethod
    def _read_counter(conn: psycopg.Connection) -> int:
        row = conn.execute(f"SELECT counter FROM {COUNTER_TABLE}").fetchone()
        return int(row[0]) if row else 0

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass

    # --- callbacks ------------------------------------------------------------------------------

    def _set_state(self, connected: bool) -> None:
        self.connected = connected
        if self._stop.is_set():
            return
        try:
            self._on_state(connected)
        except Exception:  # noqa: BLE001 - a follower's failure must not end the feed
            log.exception("change feed: on_state failed")

    def _deliver(self, change: Change) -> None:
        if self._stop.is_set():
            return
        try:
            self._on_change(change)
        except Exception:  # noqa: BLE001 - a follower's failure must not end the feed
            log.exception("change feed: on_change failed")


def _change(payload: str) -> Change:
    """The Change a notification's payload announces (anything unreadable: everything)."""
    if payload == EVERYTHING:
        return Change(())
    try:
        ids = json.loads(payload)
    except ValueError:
        return Change(())
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return Change(())
    return Change(tuple(ids))
