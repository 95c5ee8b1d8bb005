"""Use-cases combining the API client and the local store; shared by the CLI and the TUI.

Headless: no Textual here. Each verb records what it learned in the store (snapshots) and what
the user did in the activity log, so support staff keep a record of their actions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable, Iterable

from scenario_tui.api.client import CompleteOutcome, ScenarioClient
from scenario_tui.core import errors
from scenario_tui.core.config import DEFAULT_REFRESH_CONCURRENCY
from scenario_tui.core.ids import ParsedIds, parse_ids
from scenario_tui.core.redact import scrub
from scenario_tui.service.bulk_refresh import RefreshWindow, ResultCallback, SnapshotBatch
from scenario_tui.store.rows import AddResult, KnownUpload
from scenario_tui.store.sqlite import Store

if TYPE_CHECKING:  # pydantic loads at the first API answer
    from scenario_tui.core.models import Asset, Job, Upload


@dataclass
class AddReport:
    """What adding a pasted list did: new IDs, already-known ones, and refusals."""

    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CompleteResult:
    """The outcome of asking to complete one upload.

    ``sent`` says whether the POST went out. ``skipped`` holds why it did not (not pending).
    ``outcome`` is the client's account of the POST when it was sent.
    """

    upload_id: str
    upload: Upload | None
    sent: bool
    skipped: str | None = None
    outcome: CompleteOutcome | None = None

    @property
    def uncertain(self) -> bool:
        return bool(self.outcome and self.outcome.uncertain)

    def summary(self) -> str:
        if self.skipped:
            return f"Not sent: {self.skipped}."
        return self.outcome.summary() if self.outcome else "Done."


@dataclass
class FollowThrough:
    """What an upload led to: its job and the created asset (or model ID)."""

    job: Job | None = None
    asset: Asset | None = None
    model_id: str | None = None
    job_error: errors.ApiError | None = None
    asset_error: errors.ApiError | None = None


#: hears each new status of a followed upload; may be a coroutine function
UpdateCallback = Callable[["Upload"], "Awaitable[None] | None"]


class UploadService:
    """The app's verbs. The store is synchronous (fast, local); the API calls are async."""

    def __init__(
        self,
        client: ScenarioClient,
        store: Store,
        *,
        profile: str = "default",
        read_only: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.store = store
        self.profile = profile
        self.read_only = read_only
        self._sleep = sleep
        self._completing: set[str] = set()
        #: the window of the bulk refreshes under way, or of the latest (``RefreshWindow``)
        self.refresh_window: RefreshWindow | None = None
        self._bulk_refreshes = 0

    def sibling(self) -> "UploadService":
        """A service on the same store with a ``sibling()`` of the client, for another event
        loop (``refresh_thread.RefreshThread``)."""
        return UploadService(self.client.sibling(), self.store, profile=self.profile,
                             read_only=self.read_only, sleep=self._sleep)

    def warm_up(self) -> None:
        """Load what the first API answer needs (see ``ScenarioClient.warm_up``); blocking."""
        self.client.warm_up()

    # --- local verbs -----------------------------------------------------------------------

    def add(self, tokens: Iterable[str], note: str | None = None) -> AddReport:
        parsed: ParsedIds = parse_ids(list(tokens))
        report = AddReport(duplicates=parsed.duplicates, invalid=parsed.invalid)
        if parsed.valid:
            self.refuse_if_read_only("add uploads")
            result: AddResult = self.store.add(parsed.valid, note=note)
            report.added, report.existing = result.added, result.existing
            if result.added:
                self.log_action("add", "ok", None, message=f"{len(result.added)} added")
        return report

    def remove(self, upload_ids: Iterable[str]) -> list[KnownUpload]:
        self.refuse_if_read_only("remove uploads")
        removed = self.store.remove(list(upload_ids))
        for row in removed:
            self.log_action("remove", "ok", row.id)
        return removed

    def restore(self, rows: list[KnownUpload]) -> None:
        self.refuse_if_read_only("restore uploads")
        self.store.restore(rows)
        for row in rows:
            self.log_action("restore", "ok", row.id)

    def set_note(self, upload_id: str, note: str) -> None:
        self.refuse_if_read_only("edit notes")
        self.store.set_note(upload_id, note)
        self.log_action("note", "ok", upload_id)

    # --- network verbs ---------------------------------------------------------------------

    async def refresh(self, upload_id: str) -> Upload:
        """GET the upload and remember the snapshot."""
        upload = await self.client.get_upload(upload_id)
        self.store.record_snapshot(upload_id, upload.to_wire())
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
                    upload = await client.get_upload(upload_id)
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

    async def complete(self, upload_id: str) -> CompleteResult:
        """Complete one upload safely: re-read it, POST only if pending, never twice at once."""
        self.refuse_if_read_only("complete uploads")
        if upload_id in self._completing:
            raise errors.ConflictError(
                f"A complete for {upload_id} is already in flight; wait for its answer.",
                title="Already completing",
            )
        self._completing.add(upload_id)
        try:
            return await self._complete(upload_id)
        finally:
            self._completing.discard(upload_id)

    async def _complete(self, upload_id: str) -> CompleteResult:
        try:
            upload = await self.refresh(upload_id)
        except errors.ApiError as exc:
            self.log_action("complete", "failed", upload_id, exc, note="before sending: ")
            raise
        if not upload.can_complete:
            reason = f"its status is {upload.status}; only pending uploads can be completed"
            self.log_action("complete", "skipped", upload_id, message=reason)
            return CompleteResult(upload_id, upload, sent=False, skipped=reason)
        try:
            outcome = await self.client.complete_upload(upload_id)
        except errors.ApiError as exc:
            self.log_action("complete", "failed", upload_id, exc)
            raise
        if outcome.upload is not None:
            self.store.record_snapshot(upload_id, outcome.upload.to_wire())
        if outcome.uncertain:
            cause = outcome.uncertain_cause
            self.log_action(
                "complete", "uncertain", upload_id, message=outcome.summary(),
                http_status=cause.status if cause else None,
            )
        else:
            self.log_action("complete", "sent", upload_id, message=outcome.summary(),
                            http_status=200)
        return CompleteResult(upload_id, outcome.upload, sent=True, outcome=outcome)

    async def follow(
        self,
        upload_id: str,
        *,
        on_update: UpdateCallback | None = None,
        poll_min: float = 1.0,
        poll_max: float = 10.0,
        max_polls: int | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> Upload:
        """Poll until the upload is imported or failed (backoff ``poll_min`` .. ``poll_max``).

        ``on_update`` hears each new status. Transient errors (timeouts, 429, 5xx, dropped
        connections) only delay the next poll; errors that polling cannot get past (404, 401,
        403, 400) are raised. ``max_polls`` bounds the wait (``ApiTimeoutError`` after it).
        """
        delay = poll_min
        polls = 0
        last_status: str | None = None
        while True:
            try:
                upload = await self.refresh(upload_id)
            except errors.ApiError as exc:
                if not exc.retryable:
                    raise
                upload = None
            if upload is not None:
                if upload.status != last_status:
                    last_status = upload.status
                    delay = poll_min
                    if on_update is not None:
                        maybe = on_update(upload)
                        if asyncio.iscoroutine(maybe):
                            await maybe
                if upload.is_final:
                    return upload
            polls += 1
            if max_polls is not None and polls >= max_polls:
                raise errors.ApiTimeoutError(
                    f"{upload_id} is still {last_status or 'unknown'} after {polls} polls.",
                    title="Still processing",
                )
            if on_wait is not None:
                on_wait(delay)
            await self._sleep(delay)
            delay = min(delay * 1.5, poll_max)

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
