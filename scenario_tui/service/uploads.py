"""Use-cases combining the API client and the local store; shared by the CLI and the TUI.

Headless: no Textual here. Each verb records what it learned in the store (snapshots) and what
the user did in the activity log, so support staff keep a record of their actions.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable, Iterable, TypeVar

from scenario_tui.api.client import ScenarioClient
from scenario_tui.core import errors
from scenario_tui.core.config import DEFAULT_FOLLOW_TIMEOUT, DEFAULT_REFRESH_CONCURRENCY
from scenario_tui.core.ids import ParsedIds, parse_ids
from scenario_tui.core.redact import scrub
from scenario_tui.service.bulk_complete import BulkComplete
from scenario_tui.service.bulk_refresh import RefreshWindow, ResultCallback, SnapshotBatch
from scenario_tui.service.claims import ClaimDesk
from scenario_tui.service.completion import CompleteResult, complete_once
from scenario_tui.service.follow import UpdateCallback, follow_upload
from scenario_tui.service.ledger import DEFAULT_LABEL, IntentLedger
from scenario_tui.store.claims import DEFAULT_CLAIM_MINUTES
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.rows import AddResult, KnownUpload

if TYPE_CHECKING:  # pydantic loads at the first API answer
    from scenario_tui.core.models import Asset, Job, Upload

T = TypeVar("T")


NOTE_SHOWN = 120  # characters of each note a "note" log entry keeps


def note_change(old: str, new: str) -> str:
    """A note change as the activity log keeps it: ``"old" -> "new"``, each quoted (``\\`` and
    ``"`` escaped), on one line, scrubbed of secrets before it is cut with "…" past
    ``NOTE_SHOWN`` characters (a secret cut in half would no longer be recognised)."""

    def quoted(text: str) -> str:
        text = scrub(" ".join((text or "").split()))
        if len(text) > NOTE_SHOWN:
            text = text[: NOTE_SHOWN - 1] + "…"
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return f"{quoted(old)} -> {quoted(new)}"


@dataclass
class AddReport:
    """What adding a pasted list did: new IDs, already-known ones, and refusals."""

    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FollowThrough:
    """What an upload led to: its job and the created asset (or model ID)."""

    job: Job | None = None
    asset: Asset | None = None
    model_id: str | None = None
    job_error: errors.ApiError | None = None
    asset_error: errors.ApiError | None = None


class UploadService:
    """The app's verbs. The store is synchronous; the API calls are async. The async verbs
    call the store through ``io``: on the caller's loop, or (``keep_loop_free``: the TUI's
    service, whose loop is the UI's, with a team store a round trip away) in a thread."""

    def __init__(
        self,
        client: ScenarioClient,
        store: StoreProtocol,
        *,
        profile: str = "default",
        read_only: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        follow_timeout: float = DEFAULT_FOLLOW_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        holder_label: str = DEFAULT_LABEL,
        claim_minutes: float = DEFAULT_CLAIM_MINUTES,
    ) -> None:
        self.client = client
        self.store = store
        self.profile = profile
        #: this process's intents (``service.ledger``); the label names us to other processes
        self.ledger = IntentLedger(store, profile, holder_label)
        self.read_only = read_only
        #: who is on which upload (``service.claims``)
        self.claims = ClaimDesk(store, profile, minutes=claim_minutes,
                                refuse_if_read_only=self.refuse_if_read_only)
        self._sleep = sleep
        #: following an upload gives up after this many seconds (``clock``'s)
        self.follow_timeout = follow_timeout
        self._clock = clock
        self._completing: set[str] = set()
        #: the window of the bulk refreshes under way, or of the latest (``RefreshWindow``)
        self.refresh_window: RefreshWindow | None = None
        self._bulk_refreshes = 0
        #: the async verbs' store calls run in a thread (``io``), not on the caller's loop
        self.keep_loop_free = False

    async def io(self, call: Callable[[], T]) -> T:
        """``call()`` (the store's blocking work), on this loop, or in a thread when
        ``keep_loop_free``."""
        if not self.keep_loop_free:
            return call()
        return await asyncio.to_thread(call)

    def sibling(self) -> "UploadService":
        """A service on the same store with a ``sibling()`` of the client, for another event
        loop (``refresh_thread.RefreshThread``)."""
        return UploadService(self.client.sibling(), self.store, profile=self.profile,
                             read_only=self.read_only, sleep=self._sleep,
                             follow_timeout=self.follow_timeout, clock=self._clock,
                             holder_label=self.ledger.label, claim_minutes=self.claims.minutes)

    def warm_up(self) -> None:
        """Load what the first API answer needs (see ``ScenarioClient.warm_up``); blocking."""
        self.client.warm_up()

    # --- local verbs -----------------------------------------------------------------------

    def add(self, tokens: Iterable[str], note: str | None = None) -> AddReport:
        parsed: ParsedIds = parse_ids(list(tokens))
        report = AddReport(duplicates=parsed.duplicates, invalid=parsed.invalid)
        if parsed.valid:
            self.refuse_if_read_only("add uploads")
            # logged with the rows, in their transaction ("N added")
            result: AddResult = self.store.add(parsed.valid, note=note, log=True,
                                               profile=self.profile)
            report.added, report.existing = result.added, result.existing
        return report

    def remove(self, upload_ids: Iterable[str]) -> list[KnownUpload]:
        self.refuse_if_read_only("remove uploads")
        # each removal is logged in the same transaction: a crash keeps both or neither
        return self.store.remove(list(upload_ids), log=True, profile=self.profile)

    def restore(self, rows: list[KnownUpload]) -> None:
        self.refuse_if_read_only("restore uploads")
        self.store.restore(rows, log=True, profile=self.profile)

    def set_note(self, upload_id: str, note: str) -> None:
        """Replace the note; the "note" log entry, written in the same transaction, keeps the
        old and the new text (``note_change``, scrubbed of secrets)."""
        self.refuse_if_read_only("edit notes")
        known = self.store.get(upload_id)
        if known is None or not self.store.set_note(
                upload_id, note, log=True, profile=self.profile,
                message=note_change(known.note, note)):
            self.log_action("note", "failed", upload_id,
                            message="not saved: no longer in the list")
            raise errors.UploadGoneError(
                f"The note was not saved: {upload_id} is no longer in the list (removed "
                "meanwhile, by another window, a command or a teammate?).",
                title="Note not saved")

    # --- network verbs ---------------------------------------------------------------------

    async def read(self, upload_id: str) -> Upload:
        """GET the upload; every read of the service goes through here (refresh, bulk refresh,
        follow, complete's re-read), so a 404 is recorded (``not_found_at``) for the CLI and the
        TUI alike, then raised. The next answer clears it (``record_snapshot``)."""
        try:
            return await self.client.get_upload(upload_id)
        except errors.NotFoundError:
            try:
                await self.io(lambda: self.store.record_not_found(upload_id))
            except errors.StoreError:
                pass  # the 404 itself is what the caller reports; a locked store loses the mark
            raise

    async def refresh(self, upload_id: str) -> Upload:
        """GET the upload and remember the snapshot (or that it answered 404)."""
        upload = await self.read(upload_id)
        await self.io(lambda: self.store.record_snapshot(upload_id, upload.to_wire()))
        return upload

    async def refresh_many(
        self,
        upload_ids: list[str],
        *,
        concurrency: int = DEFAULT_REFRESH_CONCURRENCY,
        on_result: ResultCallback | None = None,
    ) -> dict[str, Upload | errors.ScenarioTuiError]:
        """Refresh many uploads, at most ``concurrency`` requests in flight, fewer after a 429.

        The number in flight is a ``RefreshWindow`` (AIMD): it starts at ``concurrency``, halves
        at each new rate limit and grows back by one after a run of successes. Bulk refreshes
        running at the same time (start-up and ``R``) share one window, so together they stay
        within it. Snapshots are written a batch at a time (one transaction per
        ``SNAPSHOT_BATCH`` uploads or per ``SNAPSHOT_DELAY`` seconds);
        ``on_result(upload_id, upload, None)`` is called once the upload's snapshot is in the
        store, ``on_result(upload_id, None, error)`` when the read (or the write) failed: once
        per distinct ID, on the event loop's thread. Every result is in the store when this
        returns, even when it is cancelled.
        """
        ids = list(dict.fromkeys(upload_ids))
        results: dict[str, Upload | errors.ScenarioTuiError] = {}
        client = self.client
        if self._bulk_refreshes == 0 or self.refresh_window is None:
            self.refresh_window = RefreshWindow(concurrency, client.requests_sent)
        window = self.refresh_window
        batch = SnapshotBatch(self.store, results, on_result)
        pending = iter(ids)

        async def worker() -> None:
            while batch.failure is None:
                await window.acquire()
                upload_id = next(pending, None)
                if upload_id is None:
                    window.release()
                    return
                started = client.requests_sent
                ok = False
                try:
                    upload = await self.read(upload_id)
                except errors.ScenarioTuiError as exc:
                    batch.fail(upload_id, exc)
                else:
                    ok = True
                    batch.add(upload_id, upload)
                finally:
                    window.release()
                window.answered(client, started, ok)

        self._bulk_refreshes += 1
        tasks = [asyncio.ensure_future(worker()) for _ in range(min(window.ceiling, len(ids)))]
        try:
            await asyncio.gather(*tasks)
        finally:
            self._bulk_refreshes -= 1
            for task in tasks:
                task.cancel()
            batch.flush()
        if batch.failure is not None:
            raise batch.failure
        return results

    async def complete(self, upload_id: str,
                       batch: BulkComplete | None = None) -> CompleteResult:
        """Complete one upload safely: re-read it, POST only if pending, exactly once across
        processes (``service.completion``), never twice at once in this one. Part of a
        ``batch`` (``bulk_complete``): the intents of all its uploads are read at once."""
        self.refuse_if_read_only("complete uploads")
        if upload_id in self._completing:
            raise errors.ConflictError(
                f"A complete for {upload_id} is already in flight; wait for its answer.",
                title="Already completing",
            )
        self._completing.add(upload_id)
        try:
            # each a thread's round trip for the TUI: asked only when there is work for it
            if self.ledger.unsettled:
                await self.io(self.ledger.retry_unsettled)
            if self.claims.due([upload_id]):
                await self.io(lambda: self.claims.renew_mine([upload_id]))
            return await complete_once(self, upload_id, batch)
        finally:
            self._completing.discard(upload_id)

    def bulk_complete(self, upload_ids: Iterable[str],
                      concurrency: int | None = None) -> BulkComplete:
        """The tally of a complete of several uploads, which writes its one summary entry
        ("15 sent: 8 imported, 7 failed", with every ID) once each has ended; given a
        ``concurrency``, its completes have at most that many requests at the API at once
        (the store's writes between them are not counted: ``request_gate``)."""
        return BulkComplete(self, upload_ids, concurrency)

    async def follow(
        self,
        upload_id: str,
        *,
        on_update: UpdateCallback | None = None,
        poll_min: float = 1.0,
        poll_max: float = 10.0,
        timeout: float | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> Upload:
        """Poll until the upload is done (failed, imported, or its ``entityId`` set), at most
        ``timeout`` seconds (``follow_timeout`` when None): ``service.follow.follow_upload``."""
        return await follow_upload(
            self.refresh, upload_id, timeout=self.follow_timeout if timeout is None else timeout,
            on_update=on_update, on_wait=on_wait, poll_min=poll_min, poll_max=poll_max,
            sleep=self._sleep, clock=self._clock)

    async def follow_through(self, upload: Upload) -> FollowThrough:
        """Fetch the upload's job and what it became (asset, or model ID for kind model)."""
        found = FollowThrough()
        if upload.job_id:
            try:
                found.job = await self.client.get_job(upload.job_id)
            except errors.ScenarioTuiError as exc:
                found.job_error = exc if isinstance(exc, errors.ApiError) else None
        if upload.entity_id:
            if upload.kind == "model":
                found.model_id = upload.entity_id
            else:
                try:
                    found.asset = await self.client.get_asset(upload.entity_id)
                except errors.ScenarioTuiError as exc:
                    found.asset_error = exc if isinstance(exc, errors.ApiError) else None
        return found

    # --- shared with the uploader and imports ---------------------------------------------

    def refuse_if_read_only(self, what: str) -> None:
        if self.read_only:
            raise errors.ReadOnlyError(f"Cannot {what}: scenario-tui runs with --read-only.")

    def remember_created(self, upload: Upload, note: str | None, action: str,
                         message: str) -> None:
        """Store an upload the API just created (with ``note``) and log ``action``: its ID must
        not be lost, so a failure says to note it."""
        try:
            self.store.add([upload.id], note=note)
            self.store.record_snapshot(upload.id, upload.to_wire())
            self.log_action(action, "ok", upload.id, message=message)
        except errors.StoreError as exc:
            raise type(exc)(f"{exc.message} Upload {upload.id} was created but could not be "
                            "saved in the local store: note its ID.") from None

    def log_action(
        self,
        action: str,
        outcome: str,
        upload_id: str | None,
        exc: errors.ScenarioTuiError | None = None,
        *,
        message: str | None = None,
        http_status: int | None = None,
        note: str = "",
    ) -> None:
        """Append to the activity log; from ``exc``: its title and message (after ``note``) and
        its HTTP status. The message is scrubbed of credentials and presigned URL queries."""
        if exc is not None:
            message = f"{note}{exc.title}: {exc.message}"
            http_status = getattr(exc, "status", None)
        self.store.log_event(
            action=action, outcome=outcome, upload_id=upload_id, profile=self.profile,
            http_status=http_status, message=scrub(message) if message else None,
        )
