"""A team store while it connects at start-up, answering from its front page meanwhile.

The TUI on a team store starts with ``ConnectingStore``: its first frame shows the front page
of the last session (``store.front_page``) without waiting for PostgreSQL's client library or
the server. ``connect()`` (blocking: the TUI's warm-up thread calls it after that frame) opens
the real store; from then on every call goes to it, and the screen reads the list again.

Until then, it answers what the front page holds (the count and the first rows of the
unfiltered list, newest first; the rows by ID; the active claims) and refuses anything else
with ``TeamStoreConnectingError``, at once. ``connected`` is False meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from scenario_tui.core.errors import TeamStoreConnectingError
from scenario_tui.store.claims import Claim
from scenario_tui.store.front_page import FrontPage
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.rows import KnownUpload

WAIT = ("The team store is still connecting: the list is read again as soon as the store "
        "answers.")
#: what the page shown meanwhile is (``origin``): the front page of the last session, or the
#: one read at this start by the launcher (``cli.first_page``)
KEPT, READ_AT_START = "last session's list", "list read at start"


class ConnectingStore:
    """``opener``'s store once ``connect()`` has opened it; the front page ``page`` until then
    (``origin`` says where it comes from: ``KEPT`` or ``READ_AT_START``)."""

    def __init__(self, page: FrontPage, opener: Callable[[], StoreProtocol], *,
                 location: str, read_only: bool, clock: Callable[[], datetime],
                 origin: str = KEPT) -> None:
        self._page = page
        self._opener = opener
        self._clock = clock
        self._lock = threading.Lock()
        self._real: StoreProtocol | None = None
        self._closed = False
        self._by_id = {row.id: row for row in page.rows}
        #: what is asked of the store before it is connected (the real one's, after)
        self._before: dict[str, Any] = {
            "location": location, "read_only": read_only, "actor": page.actor, "origin": origin,
            "connected": False, "count": self._count, "list": self._list, "get": self._get,
            "claims": self._claims, "verify": _nothing, "close": self._close}

    @property
    def opened(self) -> bool:
        return self._real is not None

    def connect(self) -> StoreProtocol:
        """Open the real store (once; blocking). Raises what opening it raises (the StoreError
        family: unreachable, wrong password, ...); asked again, it tries again."""
        with self._lock:
            if self._real is None:
                self._real = self._opener()
            real = self._real
        if self._closed:  # the app ended while it connected (``close`` did not wait for it)
            real.close()
            raise TeamStoreConnectingError("The app ended while the team store connected.")
        return real

    def __getattr__(self, name: str) -> Any:  # what is not set on the instance
        real = self.__dict__.get("_real")
        if real is not None:
            return getattr(real, name)
        before = self.__dict__.get("_before", {})
        if name in before:
            return before[name]
        if callable(getattr(StoreProtocol, name, None)):
            return _refuse
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"ConnectingStore({self.location!r}, opened={self.opened})"

    # --- before it is connected -------------------------------------------------------------

    def _close(self) -> None:
        self._closed = True
        if self._lock.acquire(blocking=False):  # else connect() runs, and closes what it opens
            try:
                real = self._real
            finally:
                self._lock.release()
            if real is not None:
                real.close()

    def _count(self, search: str | None = None, status: str | None = None) -> int:
        if search or status:
            _refuse()
        return self._page.total

    def _list(self, *, search: str | None = None, status: str | None = None,
              sort: str = "added", descending: bool = True, limit: int | None = None,
              offset: int = 0, snapshots: bool = True) -> list[KnownUpload]:
        rows = self._page.rows
        end = self._page.total if limit is None else offset + limit
        if search or status or sort != "added" or not descending or (
                end > len(rows) and len(rows) < self._page.total):
            _refuse()  # not what the front page holds
        return rows[offset:end]

    def _get(self, upload_id: str) -> KnownUpload | None:
        row = self._by_id.get(upload_id)
        if row is None:
            _refuse()
        return row

    def _claims(self, upload_ids: Sequence[str] | None = None) -> dict[str, Claim]:
        now = self._clock()
        wanted = None if upload_ids is None else set(upload_ids)
        return {c.upload_id: c for c in self._page.claims
                if c.active(now) and (wanted is None or c.upload_id in wanted)}


def _refuse(*args: object, **kwargs: object) -> Any:
    raise TeamStoreConnectingError(WAIT)


def _nothing(*args: object, **kwargs: object) -> None:
    return None
