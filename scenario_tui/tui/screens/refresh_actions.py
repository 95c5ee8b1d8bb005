"""Reading uploads from the API for the main screen: the highlighted row's details, ``r``,
``R`` and the polite refresh at start-up (bounded, capped, cancellable)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple, Protocol

from textual import work
from textual.worker import Worker, WorkerCancelled, WorkerFailed, get_current_worker

from scenario_tui.core import errors
from scenario_tui.core.timestamps import parse_time
from scenario_tui.core.wording import plural
from scenario_tui.tui.screens.main_parts import HostApp, ScreenParts

if TYPE_CHECKING:
    from textual.screen import Screen

    from scenario_tui.core.models import Upload
    from scenario_tui.service.refresh_thread import RefreshThread
    from scenario_tui.store.rows import KnownUpload

BULK_REFRESH_CONFIRM = 500  # refreshing more than this many asks first
DETAIL_DEBOUNCE = 0.15  # seconds the cursor must rest on a row before it is fetched
STALE_AFTER = 30.0  # seconds after which the highlighted row is fetched again
ROWS_EVERY = 0.5  # seconds between re-reads of the rows while a bulk refresh answers
KEY_QUIET = 0.1  # ... and at least this long after a key (unless ROWS_AT_MOST have passed)
ROWS_AT_MOST = 2.0
BULK_GROUPS = ("refresh-all", "startup")  # the workers of bulk refreshes (escape cancels them)
WATCH_GROUP = "watch"  # the background refresh of watch mode (``watch_actions``)


def rows_due(now: float, shown_at: float, key_at: float) -> bool:
    """Whether a bulk refresh re-reads the rows now (last at ``shown_at``; the last key at
    ``key_at``). Re-reading costs a query and a repaint: twice a second shows progress, and
    never just after a key (its frame would wait for that work, or for Textual's next frame
    slot, when the repaint came first), unless keys keep coming for ``ROWS_AT_MOST`` seconds."""
    since = now - shown_at
    return since >= ROWS_AT_MOST or (since >= ROWS_EVERY and now - key_at >= KEY_QUIET)


class RoundResult(NamedTuple):
    """What a bulk refresh found: how many answered, failed (404 apart), and changed status
    (or last update) since ``before``."""

    done: int
    failed: int
    changed: int
    cancelled: bool


def clock_time(moment: datetime) -> str:
    """``10:02``: when something happened, for a line of the status widget (UTC, as the list's
    "not found 10:02")."""
    return moment.astimezone(timezone.utc).strftime("%H:%M")


class RefreshHost(ScreenParts, Protocol):
    """What the refresh actions need from the main screen, besides ``ScreenParts``."""

    #: bulk refreshes run on a loop of their own, in a thread
    refresher: RefreshThread
    #: time.monotonic() of the last key pressed on the screen
    key_at: float
    #: set once pydantic and httpx are loaded
    warmed: asyncio.Event
    #: a connection or credentials problem was reported once already
    api_unreachable: bool
    @property
    def host(self) -> HostApp: ...

    # watch mode's (``watch_actions``, before this mixin in ``MainScreen``'s bases)
    def watch_read(self) -> None: ...

    def watch_note(self) -> str: ...


if TYPE_CHECKING:
    class _Screen(RefreshHost, Screen): ...
else:
    _Screen = object


class RefreshActions(_Screen):
    """Mixed into ``MainScreen``: ``r``, ``R`` and the reads behind them and the details."""

    api_unreachable = False  # set once a connection or credentials problem was reported

    @work(group="detail", exclusive=True, exit_on_error=False)
    async def load_detail(self, upload_id: str) -> None:
        """Refresh the highlighted upload if its snapshot is old, then its job and asset."""
        await asyncio.sleep(DETAIL_DEBOUNCE)  # moving the cursor on cancels this worker
        await self.warmed.wait()
        row = await asyncio.to_thread(self.service.store.get, upload_id)  # a team store: a trip
        if row is None or self.states.busy(upload_id):
            return
        upload = row.upload
        if self._is_old(row):
            try:  # a background read: its error goes to the status widget, never a toast
                upload = await self._fetch(upload_id, quiet=True)
            except errors.ScenarioTuiError:
                return
        if upload is None or not (upload.job_id or upload.entity_id):
            return
        cached = self.states.follow(upload_id)
        if cached is not None and upload.is_final and cached.job is not None:
            return
        found = await self.service.follow_through(upload)
        self.states.set_follow(upload_id, found)
        if self.table.highlighted_id == upload_id:  # still the row the user is looking at
            self._show_highlighted()

    def _is_old(self, row: KnownUpload) -> bool:
        if row.fetched_at is None or row.id not in self.table.fresh:
            return True
        fetched = parse_time(row.fetched_at)
        return fetched is None or (
            datetime.now(timezone.utc) - fetched).total_seconds() > STALE_AFTER

    async def _fetch(self, upload_id: str, *, quiet: bool = False) -> Upload:
        """GET one upload, marked as refreshing meanwhile; errors reported (``quiet``: in the
        status widget only), then raised."""
        self.states.start(upload_id, "refreshing", unless_busy=True)
        try:
            upload = await self.service.refresh(upload_id)
        except errors.ScenarioTuiError as exc:
            self.states.finish(upload_id, "refreshing")
            if quiet:
                self.states.fail(upload_id, exc.title, exc.message)
            else:
                self._set_error(upload_id, exc)
            raise
        finally:
            self.states.finish(upload_id, "refreshing")
        self.states.clear_failure(upload_id)
        self.table.fresh.add(upload_id)
        self._row_changed(upload_id)
        return upload

    @work(group="refresh-one", exit_on_error=False)
    async def refresh_one(self, upload_id: str) -> None:
        try:
            upload = await self._fetch(upload_id)
        except errors.ScenarioTuiError:
            return
        # the upload's status, not the refresh's: "status failed" is never "refresh failed"
        self.states.set_outcome(upload_id, f"Refreshed {upload_id} at "
                                f"{clock_time(self.host_clock())}: status {upload.status}.")
        self.states.forget_follow(upload_id)
        if self.table.highlighted_id == upload_id:
            self.load_detail(upload_id)

    async def start_startup_refresh(self) -> Worker[None]:
        """Refresh non-final uploads politely: newest first, bounded, capped. Their IDs are read
        in a thread (a team store: a round trip, or a connect's timeout), then they are queued
        (marked busy) before this returns, so nothing else fetches them meanwhile."""
        ids = await asyncio.to_thread(self.service.store.ids_to_refresh,
                                      self.settings.startup_refresh_cap)
        self.states.queue(ids)
        return self._startup_refresh(ids)

    @work(group="startup", exclusive=True, exit_on_error=False)
    async def _startup_refresh(self, ids: list[str]) -> None:
        if ids:
            await self._refresh_ids(ids, label="Refreshing unfinished uploads",
                                    done_label="unfinished upload", quiet=True)
        self.watch_read()

    @work(group="refresh-all", exclusive=True, exit_on_error=False)
    async def refresh_all(self, ids: list[str]) -> None:
        await self._stop_watch_round()  # a refresh the user asked for never overlaps the watch
        result = await self._refresh_ids(ids, label="Refreshing", done_label="upload")
        if not result.cancelled:
            self.watch_read()

    async def _stop_watch_round(self) -> None:
        for worker in list(self.workers):
            if worker.group == WATCH_GROUP and not worker.is_finished:
                worker.cancel()
                try:
                    await worker.wait()
                except (WorkerCancelled, WorkerFailed):
                    pass

    def host_clock(self) -> datetime:
        return self.host.clock()

    async def _refresh_ids(self, ids: list[str], *, label: str, done_label: str,
                           quiet: bool = False,
                           before: dict[str, str | None] | None = None) -> RoundResult:
        """Refresh ``ids`` through the refresh thread (polite: see ``service.bulk_refresh``).
        ``quiet`` (start-up): errors only in the rows and the status widget, and one toast at
        most, if the API cannot be reached. With ``before`` (each ID's status until now: a
        watch round), no toast at all, and the changes of status are counted."""
        done = 0
        failed = 0
        changed = 0
        problem = ""  # the connection or credentials problem met, if one was
        shown_at = 0.0  # when the rows were last re-read
        worker = get_current_worker()
        states = self.states
        states.queue(ids)

        def on_result(upload_id: str, upload: Upload | None,
                      exc: errors.ScenarioTuiError | None) -> None:
            nonlocal done, failed, changed, problem, shown_at
            done += 1
            if states.busy(upload_id) in ("queued", "refreshing"):
                states.finish(upload_id)
            if exc is not None:
                failed += not isinstance(exc, errors.NotFoundError)  # a 404 is an answer
                states.fail(upload_id, exc.title, exc.message)
                if isinstance(exc, (errors.ApiConnectionError, errors.ApiTimeoutError,
                                    errors.AuthError)):
                    problem = exc.title
                    self._api_problem(exc, quiet=before is not None)
            else:
                if before is not None and upload is not None and (
                        before.get(upload_id) != upload.status):
                    changed += 1
                states.clear_failure(upload_id)
                self.table.fresh.add(upload_id)
                if upload_id == self.table.highlighted_id and not any(
                        w.group == "detail" and not w.is_finished for w in self.workers):
                    # its job and asset, as after `r` (a detail load under way does that itself)
                    states.forget_follow(upload_id)
                    self.load_detail(upload_id)
            now = time.monotonic()
            if rows_due(now, shown_at, self.key_at) or done == len(ids) or (
                    upload_id == self.table.highlighted_id):
                shown_at = now
                # the progress line changes with the rows: once per re-read, not per answer
                if before is None:  # the watch's rounds work without it
                    states.bulk_progress = f"{label}: {done}/{len(ids)}" + (
                        f", {failed} failed" if failed else "")
                self._row_changed(upload_id)

        try:
            await self.refresher.refresh_many(
                ids, concurrency=self.settings.refresh_concurrency, on_result=on_result
            )
        finally:
            states.unqueue(ids)
            at = clock_time(self.host_clock())
            why = f"({problem + ': ' if problem else ''}see the rows)"
            nothing_answered = False
            if worker.is_cancelled:
                summary = f"Refresh stopped at {at}: {done} of {len(ids)} read"
            elif before is not None:
                summary = (f"Watch read {plural(done, done_label)} at {at}: "
                           f"{changed or 'nothing'} changed")
            elif failed and failed == done:  # not one answered: it did not refresh anything
                nothing_answered = True
                summary = f"Could not refresh {plural(done, done_label)} at {at} {why}"
            else:  # past tense, with its time: it does not read as under way all session
                summary = f"Refreshed {plural(done, done_label)} at {at}"
            if failed and not nothing_answered:
                summary += f", {failed} failed {why}"
            states.bulk_progress = ""
            # a watch round says only news (a change, an error): the line keeps what the user
            # did last ("Complete of 15 uploads: ..."), and the header says the data is fresh
            if before is None or (not worker.is_cancelled and (changed or failed)):
                states.app_line = summary + "." + self.watch_note()
            self.table.reload()
            self._show_highlighted()
        if failed and not quiet and not self.api_unreachable:
            self._toast("Refresh finished with errors", summary, "warning")
        return RoundResult(done, failed, changed, worker.is_cancelled)

    def _api_problem(self, exc: errors.ScenarioTuiError, *, quiet: bool = False) -> None:
        """A connection or credentials problem: said once in a toast (in the background, only
        in the rows and the status widget's summary)."""
        if not self.api_unreachable:
            self.api_unreachable = True
            if not quiet:
                self._toast(exc.title, f"{exc.message} Showing cached data.", "error")

    def _cancel_refreshes(self) -> bool:
        """Cancel the bulk refreshes under way; whether there was one."""
        cancelled = False
        for worker in self.workers:
            if worker.group in BULK_GROUPS and worker.is_running:
                worker.cancel()
                cancelled = True
        return cancelled

    def action_refresh(self) -> None:
        upload_id = self.table.highlighted_id
        if upload_id is None or self.refuse_offline():  # what it read could not be kept
            return
        busy = self.states.busy(upload_id)
        if busy:
            self._toast("Busy", f"{upload_id} is {busy}; its status will update.")
            return
        self.refresh_one(upload_id)

    def action_refresh_all(self) -> None:
        # the listed IDs are read in a thread; a second R meanwhile is refused
        self.in_thread("refresh-all", self.table.listing.ids, self._refresh_listed)

    def _refresh_listed(self, ids: list[str]) -> None:
        from scenario_tui.tui.screens.confirm_screen import ConfirmScreen

        if not ids or self.refuse_offline():
            return
        if len(ids) <= BULK_REFRESH_CONFIRM:
            self.refresh_all(ids)
            return
        lines = [
            f"That is {len(ids):,} requests, {self.settings.refresh_concurrency} at a time.",
            "Filter the list first (/) to refresh fewer; escape stops a refresh under way.",
        ]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.refresh_all(ids)

        self.app.push_screen(
            ConfirmScreen(f"Refresh all {len(ids):,} listed uploads?", lines, "Refresh"),
            confirmed,
        )
