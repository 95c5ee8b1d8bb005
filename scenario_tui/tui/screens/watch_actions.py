"""Watch mode for the main screen: unfinished uploads re-read in the background, so an upload
completed elsewhere does not stay "pending" until ``r``.

A round is a bulk refresh (``refresh_actions._refresh_ids``: the refresh thread, its window of
reads in flight, the client's Retry-After pause) of the uploads not final yet, run in the
``watch`` worker group. It never overlaps the start-up refresh or ``R`` (it waits for them;
``R`` stops a round under way), never moves the cursor (the list keeps the highlighted ID),
never toasts (its summary is the status widget's app line), and never runs when it cannot
help (a read-only store, no credentials: the header and the status widget say so). The waits
between rounds are ``tui.watch.WatchSchedule``'s: they grow while nothing changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from textual import work

from scenario_tui.core import errors
from scenario_tui.core.timestamps import human_duration
from scenario_tui.tui.screens.refresh_actions import BULK_GROUPS, WATCH_GROUP
from scenario_tui.tui.watch import WatchSchedule
from scenario_tui.tui.widgets.app_header import AppHeader

if TYPE_CHECKING:
    from textual.timer import Timer

    from scenario_tui.tui.screens.refresh_actions import RefreshActions

    class _Screen(RefreshActions): ...  # watch mode is a use of the refresh actions
else:
    _Screen = object


def blocked_reason(service, settings) -> str:
    """Why watching would be pointless in this session ("" when it would not)."""
    if settings.read_only or getattr(service.store, "read_only", False):
        return "the store is read-only"
    if not settings.has_credentials:
        return "no credentials"
    return ""


class WatchActions(_Screen):
    """Mixed into ``MainScreen``: ``w`` and the background rounds of watch mode."""

    _watch_timer: Timer | None = None
    _watch_due_at = 0.0  # time.monotonic() of the next round

    @property
    def watch_schedule(self) -> WatchSchedule:
        schedule = self.__dict__.get("_watch_schedule")
        if schedule is None:
            schedule = self.__dict__["_watch_schedule"] = WatchSchedule(
                self.settings.watch_interval, on=self.settings.watch,
                blocked=blocked_reason(self.service, self.settings))
        return schedule

    def on_mount(self) -> None:
        schedule = self.watch_schedule
        if schedule.blocked and schedule.on:
            self.states.app_line = self.watch_note().strip()
        self._arm_watch()
        self.set_interval(1.0, self._show_watch)
        self._show_watch()

    def watch_note(self) -> str:
        """Why watch mode does not run, for the end of the status widget's app line."""
        blocked = self.watch_schedule.blocked
        return f" Watch off: {blocked}." if blocked else ""

    def watch_read(self) -> None:
        """The unfinished uploads were all read just now (start-up, ``R``)."""
        self.watch_schedule.read(self.host.clock())
        self._show_watch()

    def _show_watch(self) -> None:
        """The header's data age and watch state (an equal text repaints nothing)."""
        self.query_one(AppHeader).freshness = self.watch_schedule.header(self.host.clock())

    def _arm_watch(self, delay: float | None = None) -> None:
        """The next round in ``delay`` seconds (the schedule's interval when None)."""
        if self._watch_timer is not None:
            self._watch_timer.stop()
            self._watch_timer = None
        schedule = self.watch_schedule
        if not schedule.running:
            return
        delay = schedule.interval if delay is None else delay
        self._watch_due_at = time.monotonic() + delay
        self._watch_timer = self.set_timer(delay, self._watch_due, name="watch")

    def _watch_due(self) -> None:
        self._watch_timer = None
        if not self.watch_schedule.running:
            return
        if not self.warmed.is_set() or any(
                w.group in (*BULK_GROUPS, WATCH_GROUP) and not w.is_finished
                for w in self.workers):
            self._arm_watch()  # the start-up refresh or R is under way: they read it all
            return
        self._watch_round()

    @work(group=WATCH_GROUP, exclusive=True, exit_on_error=False)
    async def _watch_round(self) -> None:
        schedule = self.watch_schedule
        store = self.service.store
        cap = self.settings.startup_refresh_cap

        def unfinished() -> dict[str, str | None]:
            statuses: dict[str, str | None] = {}
            for upload_id in store.ids_to_refresh(cap):
                row = store.get(upload_id)
                if row is not None:
                    statuses[upload_id] = row.status
            return statuses

        quiet, cancelled = True, False
        try:
            before = await asyncio.to_thread(unfinished)
            # an upload being completed, followed or fetched is read by that work already
            ids = [i for i in before if not self.states.busy(i)]
            if ids:
                result = await self._refresh_ids(ids, label="Watching",
                                                 done_label="unfinished upload", quiet=True,
                                                 before=before)
                cancelled = result.cancelled
                window = self.refresher.refresh_window
                limited = window is not None and len(window.history) > 1  # cut by a 429
                # rate limits and errors slow the watch down, as rounds that changed nothing do
                quiet = bool(result.failed or limited or not result.changed)
                if not result.failed:
                    schedule.read(self.host.clock())
            else:
                schedule.read(self.host.clock())
        except errors.StoreError:
            pass  # the list says so (store_failed); the next round tries again, later
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            if cancelled:
                pass  # stopped by R or w: the wait stays as it was
            elif quiet:
                schedule.quiet()
            else:
                schedule.reset()
            self._arm_watch()  # nothing when watch mode is off
            self._show_watch()

    def on_key(self, event) -> None:
        """A key the user pressed: the waits go back to the setting (the next round comes no
        later than that)."""
        schedule = self.watch_schedule
        if event.key == "w" or not schedule.running:
            return
        if schedule.reset() and self._watch_due_at - time.monotonic() > schedule.base:
            self._arm_watch()
        self._show_watch()

    def action_toggle_watch(self) -> None:
        schedule = self.watch_schedule
        if schedule.blocked:
            self.states.app_line = self.watch_note().strip()
            self._show_watch()
            return
        if schedule.toggle():
            self._arm_watch()
            self.states.app_line = (f"Watch on: unfinished uploads are read every "
                                    f"{human_duration(schedule.interval)}.")
        else:
            self._arm_watch()  # stops the timer
            for worker in self.workers:
                if worker.group == WATCH_GROUP and not worker.is_finished:
                    worker.cancel()
            self.states.app_line = "Watch off: press w to turn it on again."
        self._show_watch()
