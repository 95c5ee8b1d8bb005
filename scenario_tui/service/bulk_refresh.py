"""The machinery of a bulk refresh (``UploadService.refresh_many``): the window that bounds how
many reads are in flight and adapts to rate limits, and the batch its snapshots are written in.

Headless: no Textual here, and no network either: the service drives both.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable

from scenario_tui.core import errors

if TYPE_CHECKING:
    from scenario_tui.api.client import ScenarioClient
    from scenario_tui.core.models import Upload
    from scenario_tui.store.protocol import StoreProtocol

ResultCallback = Callable[[str, "Upload | None", "errors.ScenarioTuiError | None"], None]

#: a bulk refresh writes its snapshots this many at a time (one transaction) ...
SNAPSHOT_BATCH = 10
#: ... or after this many seconds, whichever comes first
SNAPSHOT_DELAY = 0.02


class RefreshWindow:
    """How many reads bulk refreshes keep in flight: additive increase, multiplicative decrease.

    It starts at ``ceiling`` (the configured concurrency) and never exceeds it. Each new rate
    limit (a 429, however many came back together) halves it, down to 1; each run of ``limit``
    successful reads in a row, sent since the last cut, grows it by one, back up to ``ceiling``.
    ``history`` lists every limit it took, in order; ``peak`` is the most requests it had in
    flight at once.
    """

    def __init__(self, ceiling: int, requests_sent: int = 0) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self.in_flight = 0
        self.peak = 0
        self.history: list[int] = [self.limit]
        self._run = 0
        #: the client's request count at the last cut: a 429 to a request numbered up to this
        #: is the rate limit already reacted to, and a success sent before it does not count
        self._cut_at = requests_sent
        self._waiters: list[asyncio.Future] = []

    async def acquire(self) -> None:
        """Wait until one more request may go out, and count it in."""
        while self.in_flight >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def answered(self, client: ScenarioClient, started: int, ok: bool) -> None:
        """Account for one finished read, begun when the client had sent ``started`` requests:
        cut if the client met a rate limit since the last cut, else count a success."""
        if client.last_rate_limited > self._cut_at:
            self._cut_at = client.requests_sent
            self.slow_down()
        elif ok and started >= self._cut_at:
            self.succeeded()

    def slow_down(self) -> None:
        self._set(max(1, self.limit // 2))

    def succeeded(self) -> None:
        self._run += 1
        if self._run >= self.limit and self.limit < self.ceiling:
            self._set(self.limit + 1)
            self._wake()

    def _set(self, limit: int) -> None:
        self._run = 0
        if limit != self.limit:
            self.limit = limit
            self.history.append(limit)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:  # each checks again: at most ``ceiling`` of them
            if not waiter.done():
                waiter.set_result(None)


class SnapshotBatch:
    """Uploads a bulk refresh fetched, written to the store together (one transaction), then
    reported. A failed write reports the store's error for each upload of the batch."""

    def __init__(self, store: StoreProtocol, results: dict,
                 on_result: ResultCallback | None) -> None:
        self._store = store
        self._results = results
        self._on_result = on_result
        self._pending: list[tuple[str, Upload]] = []
        self._timer: asyncio.TimerHandle | None = None
        #: what ``on_result`` raised, if it did: the refresh stops and raises it
        self.failure: Exception | None = None

    def add(self, upload_id: str, upload: Upload) -> None:
        self._pending.append((upload_id, upload))
        if len(self._pending) >= SNAPSHOT_BATCH:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(SNAPSHOT_DELAY, self.flush)

    def fail(self, upload_id: str, exc: errors.ScenarioTuiError) -> None:
        self._results[upload_id] = exc
        self._report(upload_id, None, exc)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            self._store.record_snapshots([(i, upload.to_wire()) for i, upload in pending])
        except errors.ScenarioTuiError as exc:  # nothing of this batch was written
            for upload_id, _ in pending:
                self.fail(upload_id, exc)
            return
        for upload_id, upload in pending:
            self._results[upload_id] = upload
            self._report(upload_id, upload, None)

    def _report(self, upload_id: str, upload: Upload | None,
                exc: errors.ScenarioTuiError | None) -> None:
        if self._on_result is None or self.failure is not None:
            return
        try:
            self._on_result(upload_id, upload, exc)
        except Exception as failure:  # noqa: BLE001 - raised again by refresh_many
            self.failure = failure
