"""The main screen: upload list, detail pane, status widget; its keys come from ``keymap`` and
their actions from the ``*_actions`` mixins.

Widgets only render what this screen sets on them; this screen runs all network work in workers
(``exit_on_error=False``) and all outcomes come back here: to ``states``, whose changes redraw the
status widget, and to a toast.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed

from scenario_tui.core import errors
from scenario_tui.core.present import row_status
from scenario_tui.service.refresh_thread import RefreshThread
from scenario_tui.service.status_counts import status_count_line
from scenario_tui.store.listing import Listing, ListQuery
from scenario_tui.tui.keymap import MAIN_KEYS
from scenario_tui.tui.screens.app_actions import AppActions
from scenario_tui.tui.screens.complete_actions import CompleteActions
from scenario_tui.tui.screens.list_actions import ListActions
from scenario_tui.tui.screens.main_parts import HostApp
from scenario_tui.tui.screens.mark_actions import MarkActions
from scenario_tui.tui.screens.refresh_actions import RefreshActions
from scenario_tui.tui.screens.store_calls import StoreCalls
from scenario_tui.tui.screens.team_actions import TeamActions
from scenario_tui.tui.screens.toasts import Toasts
from scenario_tui.tui.screens.transfer_actions import TransferActions
from scenario_tui.tui.screens.view_actions import ViewActions
from scenario_tui.tui.screens.watch_actions import WatchActions
from scenario_tui.tui.upload_state import UploadStates
from scenario_tui.tui.widgets.app_header import AppHeader
from scenario_tui.tui.widgets.count_line import CountLine
from scenario_tui.tui.widgets.detail_pane import DetailPane
from scenario_tui.tui.widgets.key_bar import KeyBar
from scenario_tui.tui.widgets.status_panel import StatusInfo, StatusPanel
from scenario_tui.tui.widgets.upload_progress import UploadProgress
from scenario_tui.tui.widgets.upload_table import UploadTable

if TYPE_CHECKING:
    from scenario_tui.store.rows import KnownUpload

MUTATING_ACTIONS = {"complete", "add", "note", "remove", "undo", "upload", "import", "take",
                    "release"}
WIDE = 110
#: seconds between two tries to reach a team store that could not be reached at start-up
CONNECT_EVERY = 5.0
ACTIVITIES = {
    "completing": "Sending complete… (sent once, never repeated automatically)",
    "refreshing": "Fetching…",
    "polling": "Following the upload",
    "queued": "Queued for refresh",
}
"""What the status widget says the app is doing for the highlighted upload."""


class MainScreen(StoreCalls, AppActions, Toasts, WatchActions, RefreshActions, ViewActions,
                 TeamActions, CompleteActions, TransferActions, MarkActions, ListActions, Screen):
    """Triage list on the left (or top), details on the right (or below), status at the foot.

    The keys' actions live in the ``*_actions`` mixins, each declaring what it needs from this
    screen (``main_parts``); the per-upload state is ``states``, and its changes redraw the
    status widget (``_state_changed``). A mixin comes before those that use it (mypy would
    take their Protocol stubs for its methods otherwise).
    """

    BINDINGS = [key.binding for key in MAIN_KEYS]

    @property
    def host(self) -> HostApp:
        """``app``, as what this screen uses of it (it runs only in ``ScenarioApp``)."""
        return cast(HostApp, self.app)

    def __init__(self, service, settings) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        #: bulk refreshes (start-up and R) run on a loop of their own, off the UI's
        self.refresher = RefreshThread(service)
        self.query_state = ListQuery()
        self.states = UploadStates(self._state_changed, self._show_transfers)
        self.last_removed: list[KnownUpload] = []
        self.key_at = 0.0  # time.monotonic() of the last key pressed on this screen
        self._detail_due = False  # the cursor moved; the details follow after the next frame
        self._counts_due = self._counting = False  # the count line: wanted, being read
        #: set once pydantic and httpx are loaded (in a thread, after the first paint)
        self.warmed = asyncio.Event()

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # kept: the screen reads them on every key and every refresh result (a DOM query each
        # time cost more than the work itself)
        self._table = UploadTable(Listing(self.service.store, self.query_state,
                                          on_failure=self.store_failed),
                                  read_aside=bool(self.settings.store_url), id="upload-table")
        self._detail = DetailPane(id="detail-pane")
        self._status_panel = StatusPanel(id="status-panel")
        self._count_line = CountLine(id="count-line")
        self._progress = UploadProgress(id="upload-progress")
        yield AppHeader(self.settings, id="app-header")
        # stacked or side by side from the start: changing it after mount restyles the panes
        narrow = "-narrow" if self.app.size.width < WIDE else ""
        with Container(id="panes", classes=narrow):
            with Vertical(id="list-pane"):  # the filter input is mounted on the first "/"
                yield self._table
                yield self._count_line
            yield self._detail
        yield self._progress
        yield self._status_panel
        yield KeyBar()

    @property
    def table(self) -> UploadTable:
        return self._table

    @property
    def detail(self) -> DetailPane:
        return self._detail

    @property
    def status_panel(self) -> StatusPanel:
        return self._status_panel

    def on_mount(self) -> None:
        self.table.now = self.host.clock()
        self.table.busy = self.states.in_flight
        self.table.focus()
        self.table.reload()
        self._show_status()
        self.set_interval(1.0, self._tick)
        # a bulk refresh in its thread holds its work while a key is answered
        self.host.yield_to_keys(self.refresher)
        # the list paints first; pydantic and httpx (for the detail pane and the start-up
        # refresh) load in a thread after that first frame
        self.call_after_refresh(self._warm_up)

    @work(group="warm-up", exit_on_error=False)
    async def _warm_up(self) -> None:
        """After the first frame: the blocking part in a thread, then the start-up refresh (this
        worker ends with it, so waiting for it means waiting for start-up as a whole)."""
        try:
            try:
                loaded = await self.load_service()
            finally:
                # Textual, pydantic, httpx and the screen stay loaded until the app quits: a
                # full collection that walks them all is a visible stall while a bulk refresh
                # makes garbage; frozen, only newer objects are walked (bench/RESULTS.md). The
                # collector was off since launch (see cli.commands.app.cmd_tui): on from here.
                gc.freeze()
                gc.enable()
            while loaded == "retry":  # a team store not reachable yet: its last list meanwhile
                await asyncio.sleep(CONNECT_EVERY)
                loaded = await self.load_service()
        except Exception:
            self._warmed_up()  # reported as a worker failure; the app loads on first use
            raise
        if loaded == "ended":
            return
        self.store_connected()
        try:
            startup = await self.start_startup_refresh()
        except errors.StoreError as exc:  # the list says so; no start-up refresh this time
            self.store_failed(exc)
            return
        finally:
            self._warmed_up()  # whatever happened: the claims and the live updates wait for it
        try:
            await startup.wait()
        except (WorkerCancelled, WorkerFailed):
            pass  # cancelled with escape, or already reported by the worker itself

    def _warmed_up(self) -> None:
        self.warmed.set()
        self._show_highlighted()

    def on_unmount(self) -> None:
        self.host.stop_yielding(self.refresher)
        self.refresher.close()

    def on_key(self, event) -> None:
        # a key comes first: background repaints wait a moment (``refresh_actions.rows_due``)
        self.key_at = time.monotonic()

    def on_resize(self, event) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        self.query_one("#panes").set_class(width < WIDE, "-narrow")  # no-op when unchanged

    def _tick(self) -> None:
        """Once a second: ages and poll countdowns move on."""
        self.table.tick(self.host.clock())
        if self.states.polling():
            self._show_status()

    @on(UploadTable.Reloaded)
    def _reloaded(self, event: UploadTable.Reloaded) -> None:
        self._count_due()
        if event.aside:  # read after whoever reloaded showed the highlighted row
            self._show_highlighted()

    def _count_due(self) -> None:
        """The rows changed: the count line is read again (once more at most, however many
        reloads arrive while it is read)."""
        self._counts_due = True
        if not self._counting:
            self._counting = True
            self._count_uploads()

    @work(group="counts", exit_on_error=False)
    async def _count_uploads(self) -> None:
        try:
            while self._counts_due:
                self._counts_due = False
                try:
                    self._count_line.text = await asyncio.to_thread(
                        status_count_line, self.service.store, self.host.clock())
                except errors.StoreError:
                    pass  # the list says so (store_failed); the line keeps its last figures
        finally:
            self._counting = False

    def on_worker_state_changed(self, event) -> None:
        self.host.report_worker_failure(event)

    # --- read-only and availability of actions ----------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.settings.read_only and action in MUTATING_ACTIONS:
            return False  # hidden from the footer and refused
        return True

    def _refuse_read_only(self) -> bool:
        if self.settings.read_only:
            self._toast("Read-only mode", "This session runs with --read-only.", "warning")
            return True
        return self.refuse_offline()  # a team store away: read-only until it is back

    # --- highlight, detail and status ---------------------------------------------------------

    @on(UploadTable.Highlighted)
    def _on_highlighted(self, event: UploadTable.Highlighted) -> None:
        # the moved cursor is drawn first, the details in the frame after: a frame with both
        # costs several times as much, and the key waits for all of it
        if not self._detail_due:
            self._detail_due = True
            self.call_after_refresh(self._show_due_detail)
        if event.upload_id:
            self.load_detail(event.upload_id)

    def _show_due_detail(self) -> None:
        if self._detail_due:  # once for any number of moves between two frames
            self._detail_due = False
            self._show_highlighted()

    def _show_highlighted(self) -> None:
        self.detail.now = self.host.clock()
        row = self.table.highlighted
        if row is None:
            self.detail.show(None, None, reading_row=self.table.reading_highlighted)
        elif not self.warmed.is_set():  # parsing the snapshot would load pydantic right now
            self.detail.show(row, None, loading_upload=True)
        else:
            self.detail.show(row, row.upload, self.states.follow(row.id), loading_follow=False)
        self._show_status()

    def _state_changed(self, upload_id: str | None) -> None:
        """``states`` changed for ``upload_id`` (None: the app-wide lines)."""
        failure = self.states.failure(upload_id) if upload_id is not None else None
        if upload_id and failure is not None and failure.title == errors.NotFoundError.title:
            self.table.fresh.add(upload_id)  # as of this answer
            self.table.reload()  # the store has the 404: the row reads "not found"
            if upload_id == self.table.highlighted_id:
                self._show_highlighted()
        if upload_id is None or upload_id == self.table.highlighted_id:
            self._show_status()

    def _show_status(self) -> None:
        """The status widget: the highlighted upload's row and state, or the app's line."""
        row = self.table.highlighted
        states = self.states
        activity = states.bulk_progress
        failure = None
        outcome = ""
        if row is not None:
            busy = states.busy(row.id)
            if busy:
                activity = ACTIVITIES.get(busy, busy)
                next_poll = states.next_poll(row.id)
                if busy == "polling" and next_poll is not None:
                    activity += f": next check in {max(next_poll - time.monotonic(), 0):.0f} s"
            failure = states.failure(row.id)
            outcome = states.outcome(row.id)
        self.status_panel.info = StatusInfo(
            upload_id=row.id if row else None,
            status=row_status(row) if row else None,  # a 404: "⊘ not found"
            activity=activity,
            outcome=outcome,
            error_title=failure.title if failure else "",
            error_message=failure.message if failure else "",
            stale=row is not None and row.id not in self.table.fresh,
            app_line=states.app_line,
        )

    def _show_transfers(self, progress_by_file: dict) -> None:
        """``states`` has new progress for the files being uploaded."""
        self._progress.show(progress_by_file)

    def _row_changed(self, upload_id: str) -> None:
        """A snapshot or local state of ``upload_id`` changed: re-read rows, re-render."""
        self.table.reload()
        if self.table.highlighted_id == upload_id:
            self._show_highlighted()
        else:
            self._show_status()

    def store_failed(self, exc: errors.StoreError) -> None:
        """A read of the store failed (``Listing.on_failure``; from any thread, and while the
        listing is locked): the list keeps what it had read, and this says so, once."""
        self.call_later(self._say_store_failed, exc)  # post_message: safe from any thread

    def _say_store_failed(self, exc: errors.StoreError) -> None:
        if isinstance(exc, errors.TeamStoreConnectingError):
            return  # the header says so; the list is read again once it answers
        line = f"{exc.title}: {exc.message} The list shows what was read before."
        if self.states.app_line != line:
            self.states.app_line = line
            self._toast(exc.title, exc.message, "error")

    def _set_error(self, upload_id: str | None, exc: errors.ScenarioTuiError) -> None:
        if upload_id:
            self.states.fail(upload_id, exc.title, exc.message)
        self._toast(exc.title, f"{upload_id}: {exc.message}" if upload_id else exc.message,
                    "error")

    # --- the filter input ---------------------------------------------------------------------

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_changed(event.value)

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self) -> None:
        self.table.focus()
