"""What the main screen knows about uploads beyond the store: the work in flight for each, its
last outcome or error, when it is checked next, its job and asset; the files being uploaded;
and the app-wide lines of the status widget.

Every change goes through a method of ``UploadStates``, which tells the screen what changed
(``on_change`` with an upload ID, or None for the app-wide lines; ``on_transfers`` with the
progress of each file): the status widget and the progress lines follow the model, never a
call made after each change. Plain Python: no Textual, no pydantic (the screen builds it before
the first frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Iterable, Literal, NamedTuple

if TYPE_CHECKING:  # pydantic loads after the first frame
    from scenario_tui.service.parts import Progress
    from scenario_tui.service.uploads import FollowThrough

Busy = Literal["queued", "refreshing", "completing", "polling"]
"""What the app is doing for an upload (the list draws it as a marker on the row)."""


class Failure(NamedTuple):
    """The last error of an upload, as the status widget shows it."""

    title: str
    message: str


class UnexpectedError(NamedTuple):
    """A failure no worker expected (a bug): kept whole for the error screen."""

    title: str
    message: str
    details: str


@dataclass(slots=True)
class UploadState:
    """One upload's record; the work in flight is kept apart (``UploadStates.in_flight``)."""

    outcome: str = ""
    failure: Failure | None = None
    #: time.monotonic() of the next check while the upload is followed
    next_poll: float | None = None
    #: its job and asset, as last fetched (not shown in the status widget)
    follow: FollowThrough | None = None


def _ignore(*_args: object) -> None:
    return None


class UploadStates:
    """The main screen's state of uploads, typed, changed only through these methods."""

    def __init__(
        self,
        on_change: Callable[[str | None], None] = _ignore,
        on_transfers: Callable[[dict[str, Progress]], None] = _ignore,
    ) -> None:
        self._on_change = on_change
        self._on_transfers = on_transfers
        self._records: dict[str, UploadState] = {}
        self._busy: dict[str, Busy] = {}
        #: read-only view of the work in flight by upload ID (the list reads it for its markers)
        self.in_flight: MappingProxyType[str, Busy] = MappingProxyType(self._busy)
        #: the files being uploaded (by path) with their progress, None before the first part
        self._transfers: dict[str, Progress | None] = {}
        self._app_line = ""
        self._bulk_progress = ""
        #: the last failure no worker expected
        self.unexpected: UnexpectedError | None = None

    def _record(self, upload_id: str) -> UploadState:
        record = self._records.get(upload_id)
        if record is None:
            record = self._records[upload_id] = UploadState()
        return record

    # --- the work in flight ----------------------------------------------------------------

    def busy(self, upload_id: str) -> Busy | None:
        return self._busy.get(upload_id)

    def start(self, upload_id: str, what: Busy, *, unless_busy: bool = False) -> None:
        """Mark ``upload_id`` as doing ``what`` (with ``unless_busy``, only if it is doing
        nothing yet)."""
        if unless_busy and upload_id in self._busy:
            return
        if self._busy.get(upload_id) != what:
            self._busy[upload_id] = what
            self._on_change(upload_id)

    def finish(self, upload_id: str, what: Busy | None = None) -> None:
        """``upload_id`` stopped doing ``what`` (anything, when None); a poll's next check goes."""
        current = self._busy.get(upload_id)
        if what is not None and current != what:
            return
        record = self._records.get(upload_id)
        polled = record is not None and record.next_poll is not None
        if record is not None:
            record.next_poll = None
        if current is not None:
            del self._busy[upload_id]
        if current is not None or polled:
            self._on_change(upload_id)

    def queue(self, upload_ids: Iterable[str]) -> None:
        """Mark each idle upload of ``upload_ids`` as queued for a refresh (one change)."""
        for upload_id in upload_ids:
            self._busy.setdefault(upload_id, "queued")
        self._on_change(None)

    def unqueue(self, upload_ids: Iterable[str]) -> None:
        """The uploads of ``upload_ids`` still queued are not refreshed after all (one change)."""
        for upload_id in upload_ids:
            if self._busy.get(upload_id) == "queued":
                del self._busy[upload_id]
        self._on_change(None)

    def completing(self) -> list[str]:
        """The uploads whose complete is in flight."""
        return [upload_id for upload_id, what in self._busy.items() if what == "completing"]

    def next_poll(self, upload_id: str) -> float | None:
        record = self._records.get(upload_id)
        return record.next_poll if record else None

    def set_next_poll(self, upload_id: str, at: float) -> None:
        self._record(upload_id).next_poll = at
        self._on_change(upload_id)

    def polling(self) -> bool:
        """Whether any upload waits for its next check (the countdown moves each second)."""
        return any(record.next_poll is not None for record in self._records.values())

    # --- outcomes and errors -----------------------------------------------------------------

    def outcome(self, upload_id: str) -> str:
        record = self._records.get(upload_id)
        return record.outcome if record else ""

    def set_outcome(self, upload_id: str, text: str) -> None:
        self._record(upload_id).outcome = text
        self._on_change(upload_id)

    def failure(self, upload_id: str) -> Failure | None:
        record = self._records.get(upload_id)
        return record.failure if record else None

    def failures(self) -> dict[str, Failure]:
        """Every upload's last error, by upload ID."""
        return {upload_id: record.failure for upload_id, record in self._records.items()
                if record.failure is not None}

    def fail(self, upload_id: str, title: str, message: str) -> None:
        self._record(upload_id).failure = Failure(title, message)
        self._on_change(upload_id)

    def clear_failure(self, upload_id: str) -> None:
        record = self._records.get(upload_id)
        if record is not None and record.failure is not None:
            record.failure = None
            self._on_change(upload_id)

    # --- job and asset -----------------------------------------------------------------------

    def follow(self, upload_id: str) -> FollowThrough | None:
        record = self._records.get(upload_id)
        return record.follow if record else None

    def set_follow(self, upload_id: str, found: FollowThrough) -> None:
        """Keep what ``upload_id`` led to (the detail pane shows it: no change of the status
        widget)."""
        self._record(upload_id).follow = found

    def forget_follow(self, upload_id: str) -> None:
        """Its job and asset are fetched again when next shown."""
        record = self._records.get(upload_id)
        if record is not None:
            record.follow = None

    # --- the app-wide lines ------------------------------------------------------------------

    @property
    def app_line(self) -> str:
        """What the app last did as a whole (a refresh's summary, an unexpected error)."""
        return self._app_line

    @app_line.setter
    def app_line(self, text: str) -> None:
        self._app_line = text
        self._on_change(None)

    @property
    def bulk_progress(self) -> str:
        """How far a bulk refresh has gone ('' when none runs)."""
        return self._bulk_progress

    @bulk_progress.setter
    def bulk_progress(self, text: str) -> None:
        if text != self._bulk_progress:
            self._bulk_progress = text
            self._on_change(None)

    def record_unexpected(self, title: str, message: str, details: str) -> None:
        self.unexpected = UnexpectedError(title, message, details)
        self.app_line = f"{title}: {message}"

    # --- files being uploaded ----------------------------------------------------------------

    def transfers(self) -> list[str]:
        """The files being uploaded (started, or sending parts)."""
        return list(self._transfers)

    def start_transfer(self, path: str) -> None:
        self._transfers[path] = None

    def transfer_progress(self, path: str, progress: Progress) -> None:
        self._transfers[path] = progress
        self._show_transfers()

    def end_transfer(self, path: str) -> None:
        self._transfers.pop(path, None)
        self._show_transfers()

    def _show_transfers(self) -> None:
        self._on_transfers({path: p for path, p in self._transfers.items() if p is not None})
