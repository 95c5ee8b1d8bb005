"""Live updates from a team store: its change feed brought to the UI loop.

A team store tells its readers what others changed (``store.follow_changes(on_change,
on_state)``: the IDs of the uploads changed, an empty tuple for "read everything again", and
whether its connection is up). Its callbacks run on the feed's own thread; ``LiveUpdates``
turns each into a message posted to the screen (``post_message`` is safe from any thread), so
the screen re-reads on its own loop. A store without a feed (SQLite: one user) answers None or
has no such verb: the screen keeps its own refreshing (watch mode).

``PendingChanges`` gathers the IDs that arrive while the screen is busy, so a burst of
notifications costs one re-read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump


class ChangesArrived(Message):
    """Others changed ``upload_ids`` in the store (empty: anything may have changed)."""

    def __init__(self, upload_ids: tuple[str, ...]) -> None:
        super().__init__()
        self.upload_ids = upload_ids


class ConnectionChanged(Message):
    """The team store's connection went down (``connected`` False) or came back."""

    def __init__(self, connected: bool) -> None:
        super().__init__()
        self.connected = connected


class PendingChanges:
    """The uploads changed since the last ``take``: some IDs, or everything."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._everything = False

    def add(self, upload_ids: Iterable[str]) -> None:
        """``upload_ids`` changed; none named: anything may have."""
        ids = tuple(upload_ids)
        if not ids:
            self._everything = True
        self._ids.update(ids)

    @property
    def due(self) -> bool:
        return self._everything or bool(self._ids)

    def take(self) -> frozenset[str] | None:
        """What changed, and start again: the IDs, or None for everything."""
        ids, everything = frozenset(self._ids), self._everything
        self._ids, self._everything = set(), False
        return None if everything else ids


class LiveUpdates:
    """The change feed of one store, posting ``ChangesArrived`` and ``ConnectionChanged`` to
    ``target``. ``start`` may block (the feed connects): call it from a worker thread."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target
        self._feed: Any = None
        self._closed = False
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._feed is not None

    def start(self, store: Any) -> bool:
        """Follow ``store``'s changes; False when it has no feed (a local store)."""
        follow = getattr(store, "follow_changes", None)
        if follow is None or self._closed:
            return False
        feed = follow(self._on_change, self._on_state)
        if feed is None:
            return False
        with self._lock:
            if not self._closed:
                self._feed, feed = feed, None
        if feed is not None:  # closed while it connected: the screen is gone
            feed.close()
            return False
        return True

    def close(self) -> None:
        """Stop following (once): nothing is posted after this returns, and the feed is closed
        on a thread of its own (a feed stuck connecting to a server that went away takes
        seconds to notice, and the app's exit must not wait for it)."""
        with self._lock:
            self._closed = True
            feed, self._feed = self._feed, None
        if feed is not None:
            threading.Thread(target=feed.close, name="scenario-tui feed close",
                             daemon=True).start()

    # --- on the feed's thread ---------------------------------------------------------------

    def _on_change(self, change: Any) -> None:
        if not self._closed:
            self.target.post_message(ChangesArrived(tuple(change.upload_ids)))

    def _on_state(self, connected: bool) -> None:
        if not self._closed:
            self.target.post_message(ConnectionChanged(bool(connected)))
