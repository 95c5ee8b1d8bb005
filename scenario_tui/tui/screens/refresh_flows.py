"""Reading uploads from the API for the main screen: the highlighted row's details, one
refresh, refresh-all and the polite refresh at start-up (bounded, capped, cancellable)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from textual import work
from textual.widgets import Input
from textual.worker import get_current_worker

from scenario_tui.core import errors
from scenario_tui.store.listing import ListQuery
from scenario_tui.core.timestamps import parse_time

if TYPE_CHECKING:
    from scenario_tui.core.models import Upload

BULK_REFRESH_CONFIRM = 500  # refreshing more than this many asks first
DETAIL_DEBOUNCE = 0.15  # seconds the cursor must rest on a row before it is fetched
STALE_AFTER = 30.0  # seconds after which the highlighted row is fetched again
ROWS_EVERY = 0.5  # seconds between re-reads of the rows while a bulk refresh answers
KEY_QUIET = 0.1  # ... and at least this long after a key (unless ROWS_AT_MOST have passed)
ROWS_AT_MOST = 2.0


def rows_due(now: float, shown_at: float, key_at: float) -> bool:
    """Whether a bulk refresh re-reads the rows now (last at ``shown_at``; the last key at
    ``key_at``). Re-reading costs a query and a repaint: twice a second shows progress, and
    never just after a key (its frame would wait for that work, or for Textual's next frame
    slot, a sixtieth of a second, when the repaint came first), unless keys keep coming for
    ``ROWS_AT_MOST`` seconds."""
    since = now - shown_at
    return since >= ROWS_AT_MOST or (since >= ROWS_EVERY and now - key_at >= KEY_QUIET)


class RefreshFlows:
    """Mixed into ``MainScreen``: uses its service, table, busy/failure maps and renderers."""

    @work(group="detail", exclusive=True, exit_on_error=False)
    async def load_detail(self, upload_id: str) -> None:
        """Refresh the highlighted upload if its snapshot is old, then its job and asset."""
        await asyncio.sleep(DETAIL_DEBOUNCE)  # moving the cursor on cancels this worker
        await self.warmed.wait()
        row = self.service.store.get(upload_id)
        if row is None or upload_id in self.busy:
            return
        upload = row.upload
        if self._is_old(row):
            try:
                upload = await self._fetch(upload_id)
            except errors.ScenarioTuiError:
                return
        if upload is None or not (upload.job_id or upload.entity_id):
            return
        cached = self.follow_cache.get(upload_id)
        if cached is not None and upload.is_final and getattr(cached, "job", None) is not None:
            return
        found = await self.service.follow_through(upload)
        self.follow_cache[upload_id] = found
        if self.table.highlighted_id == upload_id:  # still the row the user is looking at
            self._show_highlighted()

    def _is_old(self, row) -> bool:
        if row.fetched_at is None or row.id not in self.table.fresh:
            return True
        fetched = parse_time(row.fetched_at)
        return fetched is None or (datetime.now(timezone.utc) - fetched).total_seconds() > STALE_AFTER

    async def _fetch(self, upload_id: str) -> Upload:
        """GET one upload, with busy marker, error routing and re-render."""
        self.busy.setdefault(upload_id, "refreshing")
        self._update_status()
        try:
            upload = await self.service.refresh(upload_id)
        except errors.ScenarioTuiError as exc:
            self._unbusy(upload_id, "refreshing")
            self._set_error(upload_id, exc)
            raise
        finally:
            self._unbusy(upload_id, "refreshing")
        self.failures.pop(upload_id, None)
        self.table.fresh.add(upload_id)
        self._row_changed(upload_id)
        return upload

    def _unbusy(self, upload_id: str, what: str) -> None:
        if self.busy.get(upload_id) == what:
            del self.busy[upload_id]

    @work(group="refresh-one", exit_on_error=False)
    async def refresh_one(self, upload_id: str) -> None:
        try:
            upload = await self._fetch(upload_id)
        except errors.ScenarioTuiError:
            return
        self.outcomes[upload_id] = f"Refreshed: {upload.status}."
        self.follow_cache.pop(upload_id, None)
        self._update_status()
        if self.table.highlighted_id == upload_id:
            self.load_detail(upload_id)

    def start_startup_refresh(self):
        """Refresh non-final uploads politely: newest first, bounded, capped. They are queued
        (marked busy) before this returns, so nothing else fetches them meanwhile."""
        ids = self.service.store.ids_to_refresh(self.settings.startup_refresh_cap)
        for upload_id in ids:
            self.busy.setdefault(upload_id, "queued")
        return self._startup_refresh(ids)

    @work(group="startup", exclusive=True, exit_on_error=False)
    async def _startup_refresh(self, ids: list[str]) -> None:
        if ids:
            await self._refresh_ids(ids, label="Refreshing unfinished uploads")

    @work(group="refresh-all", exclusive=True, exit_on_error=False)
    async def refresh_all(self, ids: list[str]) -> None:
        await self._refresh_ids(ids, label="Refreshing")

    async def _refresh_ids(self, ids: list[str], *, label: str) -> None:
        done = 0
        failed = 0
        shown_at = 0.0  # when the rows were last re-read
        worker = get_current_worker()
        for upload_id in ids:
            self.busy.setdefault(upload_id, "queued")

        def on_result(upload_id: str, upload, exc) -> None:
            nonlocal done, failed, shown_at
            done += 1
            if self.busy.get(upload_id) in ("queued", "refreshing"):
                del self.busy[upload_id]
            if exc is not None:
                failed += 1
                self.failures[upload_id] = (exc.title, exc.message)
                if isinstance(exc, (errors.ApiConnectionError, errors.ApiTimeoutError, errors.AuthError)):
                    self._api_problem(exc)
            else:
                self.failures.pop(upload_id, None)
                self.table.fresh.add(upload_id)
                if upload_id == self.table.highlighted_id and not any(
                        w.group == "detail" and not w.is_finished for w in self.workers):
                    # its job and asset, as after `r` (a detail load under way does that itself)
                    self.follow_cache.pop(upload_id, None)
                    self.load_detail(upload_id)
            self.bulk_progress = f"{label}: {done}/{len(ids)}" + (f", {failed} failed" if failed else "")
            now = time.monotonic()
            if rows_due(now, shown_at, self.key_at) or done == len(ids) or (
                    upload_id == self.table.highlighted_id):
                shown_at = now
                self._row_changed(upload_id)

        try:
            await self.refresher.refresh_many(
                ids, concurrency=self.settings.refresh_concurrency, on_result=on_result
            )
        finally:
            for upload_id in ids:
                if self.busy.get(upload_id) == "queued":
                    del self.busy[upload_id]
            cancelled = worker.is_cancelled
            self.bulk_progress = ""
            summary = f"{label}: {done} of {len(ids)} done" + (f", {failed} failed" if failed else "")
            if cancelled:
                summary += " (cancelled)"
            self.app_line = summary + "."
            self.table.reload()
            self._show_highlighted()
        if failed and not self.api_unreachable:
            self._toast("Refresh finished with errors", summary, "warning")

    def _api_problem(self, exc: errors.ScenarioTuiError) -> None:
        if not self.api_unreachable:
            self.api_unreachable = True
            self._toast(exc.title, f"{exc.message} Showing cached data.", "error")

    def action_refresh(self) -> None:
        upload_id = self.table.highlighted_id
        if upload_id is None:
            return
        if upload_id in self.busy:
            self._toast("Busy", f"{upload_id} is {self.busy[upload_id]}; its status will update.")
            return
        self.refresh_one(upload_id)

    def action_refresh_all(self) -> None:
        from scenario_tui.tui.screens.confirm_screen import ConfirmScreen

        ids = self.table.listing.ids()
        if not ids:
            return
        if len(ids) <= BULK_REFRESH_CONFIRM:
            self.refresh_all(ids)
            return
        lines = [
            f"That is {len(ids):,} requests, {self.settings.refresh_concurrency} at a time.",
            "Filter the list first (/) to refresh fewer; escape stops a refresh under way.",
        ]
        self.app.push_screen(
            ConfirmScreen(f"Refresh all {len(ids):,} listed uploads?", lines, "Refresh"),
            lambda yes: self.refresh_all(ids) if yes else None,
        )

    def action_cancel(self) -> None:
        cancelled = False
        for worker in self.workers:
            if worker.group in ("refresh-all", "startup") and worker.is_running:
                worker.cancel()
                cancelled = True
        if cancelled:
            self._toast("Cancelled", "Refreshing stopped; rows already fetched are kept.")
        elif self.query_state.search:
            self._set_query(ListQuery(sort=self.query_state.sort, descending=self.query_state.descending))
            filt = self.query_one("#filter-input", Input)
            filt.value = ""
            filt.display = False
        elif self.table.marked:
            self.table.marked.clear()
            self.table.refresh()
