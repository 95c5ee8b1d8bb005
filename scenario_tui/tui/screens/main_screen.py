"""The main screen: upload list, detail pane, status widget, and every upload action.

Widgets only render what this screen sets on them; this screen runs all network work in workers
(``exit_on_error=False``) and all outcomes come back here, to the status widget and a toast.
"""

from __future__ import annotations

import asyncio
import gc
import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed, get_current_worker

from scenario_tui.core import errors
from scenario_tui.tui.idle_gc import IdleCollections
from scenario_tui.core.inert import inert_text
from scenario_tui.store.listing import Listing, ListQuery
from scenario_tui.core.units import human_size
from scenario_tui.service.refresh_thread import RefreshThread
from scenario_tui.tui.screens.complete_flows import CompleteFlows
from scenario_tui.tui.screens.refresh_flows import RefreshFlows
from scenario_tui.tui.screens.transfer_flows import TransferFlows
from scenario_tui.tui.widgets.app_header import AppHeader
from scenario_tui.tui.widgets.detail_pane import DetailPane
from scenario_tui.tui.widgets.filter_input import FilterInput
from scenario_tui.tui.widgets.key_bar import KeyBar
from scenario_tui.tui.widgets.status_panel import StatusInfo, StatusPanel
from scenario_tui.tui.widgets.upload_progress import UploadProgress
from scenario_tui.tui.widgets.upload_table import UploadTable

MUTATING_ACTIONS = {"complete", "add", "note", "remove", "undo", "upload", "import"}
WIDE = 110
COUNT_AFTER = 0.05  # seconds typing must pause before a search counts every match


class MainScreen(RefreshFlows, CompleteFlows, TransferFlows, Screen):
    """Triage list on the left (or top), details on the right (or below), status at the foot."""

    BINDINGS = [
        Binding("c", "complete", "Complete", id="main.complete"),
        Binding("r", "refresh", "Refresh", id="main.refresh"),
        Binding("R", "refresh_all", "Refresh all", id="main.refresh_all"),
        Binding("a", "add", "Add IDs", id="main.add"),
        Binding("U", "upload", "Upload file", show=False, id="main.upload"),
        Binding("I", "import", "Import by URL", show=False, id="main.import"),
        Binding("slash", "filter", "Filter", id="main.filter"),
        Binding("question_mark", "help", "Help", id="main.help"),
        Binding("s", "sort", "Sort", id="main.sort"),
        Binding("space", "mark", "Mark", id="main.mark"),
        Binding("asterisk", "mark_all", "Mark all", show=False, id="main.mark_all"),
        Binding("n", "note", "Note", show=False, id="main.note"),
        Binding("d", "remove", "Remove", show=False, id="main.remove"),
        Binding("u", "undo", "Undo remove", show=False, id="main.undo"),
        Binding("y", "copy_id", "Copy ID", show=False, id="main.copy_id"),
        Binding("Y", "copy_summary", "Copy summary", show=False, id="main.copy_summary"),
        Binding("i", "toggle_detail", "Details", show=False, id="main.toggle_detail"),
        Binding("tab", "focus_next_pane", "Switch pane", show=False, id="main.switch_pane"),
        Binding("L", "log", "Activity log", show=False, id="main.log"),
        Binding("escape", "cancel", "Cancel", show=False, id="main.cancel"),
        Binding("q", "quit_app", "Quit", id="main.quit"),
    ]

    HELP = [
        ("c", "complete the highlighted upload, or all marked ones (asks first)"),
        ("r / R", "refresh the highlighted upload / every listed upload"),
        ("a", "add upload IDs (paste many: newline, space or comma separated)"),
        ("U", "upload a local file (multipart, with progress; completes it when done)"),
        ("I", "import by reference: a URL, a Hugging Face or a Civitai model"),
        ("/", "filter by ID, file name, note or status (escape clears)"),
        ("s", "cycle the sort order"),
        ("space / *", "mark the highlighted upload / mark or unmark all listed"),
        ("n", "edit the note of the highlighted upload"),
        ("d / u", "remove highlighted or marked uploads (asks first) / undo the last removal"),
        ("y / Y", "copy the ID / a plain-text summary (marked or highlighted) via the terminal"),
        ("i", "show or hide the detail pane"),
        ("tab", "move between the list and the details"),
        ("L", "the activity log of what you did"),
        ("escape", "cancel a refresh of all, clear the filter, or close a dialog"),
        ("ctrl+p", "command palette with these commands"),
        ("q", "quit (asks if a complete is in flight)"),
    ]

    def __init__(self, service, settings) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        #: bulk refreshes (start-up and R) run on a loop of their own, off the UI's
        self.refresher = RefreshThread(service)
        self.idle_gc = IdleCollections()
        self._unmounted = False
        self.query_state = ListQuery()
        self.busy: dict[str, str] = {}
        self.outcomes: dict[str, str] = {}
        self.failures: dict[str, tuple[str, str]] = {}
        self.next_poll: dict[str, float] = {}
        self.follow_cache: dict[str, object] = {}
        self.last_removed: list = []
        self.uploading: dict[str, object] = {}
        self.app_line = ""
        self.bulk_progress = ""
        self.key_at = 0.0  # time.monotonic() of the last key pressed on this screen
        self._detail_due = False  # the cursor moved; the details follow after the next frame
        self.api_unreachable = False
        #: set once pydantic and httpx are loaded (in a thread, after the first paint)
        self.warmed = asyncio.Event()

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # kept: the screen reads them on every key and every refresh result (a DOM query each
        # time cost more than the work itself)
        self._table = UploadTable(Listing(self.service.store, self.query_state), id="upload-table")
        self._detail = DetailPane(id="detail-pane")
        self._status_panel = StatusPanel(id="status-panel")
        yield AppHeader(self.settings, id="app-header")
        # stacked or side by side from the start: changing it after mount restyles the panes
        narrow = "-narrow" if self.app.size.width < WIDE else ""
        with Container(id="panes", classes=narrow):
            with Vertical(id="list-pane"):  # the filter input is mounted on the first "/"
                yield self._table
            yield self._detail
        yield UploadProgress(id="upload-progress")
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
        self.table.now = self.app.clock()
        self.table.busy = self.busy
        self.table.focus()
        self.table.reload()
        self._update_status()
        self.set_interval(1.0, self._tick)
        # a bulk refresh in its thread holds its work while a key is answered
        self.app.yield_to_keys(self.refresher)
        # the list paints first; pydantic and httpx (for the detail pane and the start-up
        # refresh) load in a thread after that first frame
        self.call_after_refresh(self._warm_up)

    @work(group="warm-up", exit_on_error=False)
    async def _warm_up(self) -> None:
        """After the first frame: the blocking part in a thread, then the start-up refresh (this
        worker ends with it, so waiting for it means waiting for start-up as a whole)."""
        try:
            # looked up in the thread: a service built at first use (``cli.DeferredService``)
            # is built there too
            await asyncio.to_thread(lambda: self.service.warm_up())
        except Exception:
            self._warmed_up()  # reported as a worker failure; the app loads on first use
            raise
        finally:
            # Textual, pydantic, httpx and the screen stay loaded until the app quits: a full
            # collection that walks them all takes 60 to 100 ms, a visible stall while a bulk
            # refresh makes garbage; frozen, only newer objects are walked. The collector was
            # off since launch (see cli.cmd_tui): on from here.
            gc.freeze()
            gc.enable()
            # full collections (20 to 45 ms while a refresh makes garbage) wait for a pause;
            # not if the screen closed meanwhile (it gave CPython's thresholds back)
            if not self._unmounted:
                self.idle_gc.take_over(time.monotonic())
        startup = self.start_startup_refresh()
        self._warmed_up()
        try:
            await startup.wait()
        except (WorkerCancelled, WorkerFailed):
            pass  # cancelled with escape, or already reported by the worker itself

    def _warmed_up(self) -> None:
        self.warmed.set()
        self._show_highlighted()

    def on_unmount(self) -> None:
        self._unmounted = True
        self.app.stop_yielding(self.refresher)
        self.idle_gc.give_back()
        self.refresher.close()

    def on_key(self, event) -> None:
        # a key comes first: background repaints wait a moment (``refresh_flows.rows_due``)
        self.key_at = time.monotonic()

    def on_resize(self, event) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        self.query_one("#panes").set_class(width < WIDE, "-narrow")  # no-op when unchanged

    def _tick(self) -> None:
        """Once a second: ages and poll countdowns move on."""
        self.table.tick(self.app.clock())
        self.idle_gc.tick(time.monotonic(), self.app.key_arrived_at)
        if self.next_poll:
            self._update_status()

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker_failure(event)

    # --- read-only and availability of actions ----------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.settings.read_only and action in MUTATING_ACTIONS:
            return False  # hidden from the footer and refused
        return True

    def _refuse_read_only(self) -> bool:
        if self.settings.read_only:
            self._toast("Read-only mode", "This session runs with --read-only.", "warning")
            return True
        return False

    # --- highlight, detail and status ---------------------------------------------------------

    @on(UploadTable.Highlighted)
    def _on_highlighted(self, event: UploadTable.Highlighted) -> None:
        # the moved cursor is drawn first, the details in the frame after: a frame with both
        # costs two to four times as much, and the key waits for all of it
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
        self.detail.now = self.app.clock()
        row = self.table.highlighted
        if row is None:
            self.detail.show(None, None)
        elif not self.warmed.is_set():  # parsing the snapshot would load pydantic right now
            self.detail.show(row, None, loading_upload=True)
        else:
            follow = self.follow_cache.get(row.id)
            self.detail.show(row, row.upload, follow, loading_follow=False)
        self._update_status()

    def _update_status(self) -> None:
        row = self.table.highlighted
        upload_id = row.id if row else None
        activity = self.bulk_progress
        if upload_id and upload_id in self.busy:
            activity = {
                "completing": "Sending complete… (sent once, never repeated automatically)",
                "refreshing": "Fetching…",
                "polling": "Following the upload",
                "queued": "Queued for refresh",
            }.get(self.busy[upload_id], self.busy[upload_id])
            if self.busy[upload_id] == "polling" and upload_id in self.next_poll:
                wait = max(self.next_poll[upload_id] - time.monotonic(), 0)
                activity += f": next check in {wait:.0f} s"
        title, message = self.failures.get(upload_id, ("", "")) if upload_id else ("", "")
        self.status_panel.info = StatusInfo(
            upload_id=upload_id,
            status=row.status if row else None,
            activity=activity,
            outcome=self.outcomes.get(upload_id, "") if upload_id else "",
            error_title=title,
            error_message=message,
            stale=bool(row) and row.id not in self.table.fresh,
            app_line=self.app_line,
        )

    def _row_changed(self, upload_id: str) -> None:
        """A snapshot or local state of ``upload_id`` changed: re-read rows, re-render."""
        self.table.reload()
        if self.table.highlighted_id == upload_id:
            self._show_highlighted()
        else:
            self._update_status()

    def _set_error(self, upload_id: str | None, exc: errors.ScenarioTuiError) -> None:
        if upload_id:
            self.failures[upload_id] = (exc.title, exc.message)
        self._toast(exc.title, f"{upload_id}: {exc.message}" if upload_id else exc.message, "error")
        self._update_status()

    def _toast(self, title: str, message: str, severity: str = "information") -> None:
        self.notify(
            inert_text(message, limit=400), title=inert_text(title, one_line=True),
            severity=severity, markup=False,
        )

    # --- actions ------------------------------------------------------------------------------

    def _targets(self) -> list[str]:
        if self.table.marked:
            return [i for i in self.table.listing.ids() if i in self.table.marked] or sorted(self.table.marked)
        upload_id = self.table.highlighted_id
        return [upload_id] if upload_id else []

    def action_add(self) -> None:
        from scenario_tui.tui.screens.add_screen import AddIdsScreen

        if self._refuse_read_only():
            return

        def added(text: str | None) -> None:
            if not text:
                return
            from scenario_tui.core.ids import split_ids

            try:
                report = self.service.add(split_ids(text))
            except errors.ScenarioTuiError as exc:
                self._set_error(None, exc)
                return
            parts = [f"{len(report.added)} added"]
            if report.existing:
                parts.append(f"{len(report.existing)} already known")
            if report.duplicates:
                parts.append(f"{len(report.duplicates)} duplicates skipped")
            if report.invalid:
                first = report.invalid[0][1]
                parts.append(f"{len(report.invalid)} invalid (e.g. {first})")
            self._toast("Added", ", ".join(parts) + ".", "warning" if report.invalid else "information")
            self.table.reload()
            self._show_highlighted()
            if report.added:
                self.refresh_all(report.added[: self.settings.startup_refresh_cap])

        self.app.push_screen(AddIdsScreen(known=self.service.store.contains), added)

    async def action_filter(self) -> None:
        try:
            filt = self.query_one("#filter-input", Input)
        except NoMatches:
            filt = FilterInput(placeholder="filter: ID, file name, note or status",
                               id="filter-input")
            await self.query_one("#list-pane").mount(filt, before=self.table)
        filt.display = True
        filt.focus()

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        query = ListQuery(search=event.value.strip(), sort=self.query_state.sort,
                          descending=self.query_state.descending)
        if query != self.query_state:  # escape has applied it already; a trailing space too
            self._set_query(query)
        elif self.table.listing.query == query:  # shown already (else when it is shown)
            self._release_filter_frame()

    def _release_filter_frame(self) -> None:
        """The list shows the filter's text: the frame held by the input may be drawn."""
        try:
            self.query_one("#filter-input", FilterInput).release_frame()
        except NoMatches:
            pass

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def _set_query(self, query: ListQuery) -> None:
        self.query_state = query
        self.apply_query(query, self.table.highlighted_id)

    @work(group="filter", exclusive=True, thread=True, exit_on_error=False)
    def apply_query(self, query: ListQuery, keep: str | None) -> None:
        """Read the first page off the UI thread and show it; then, once typing pauses, count
        every match. The newest keystroke wins (it cancels this worker)."""
        worker = get_current_worker()
        listing = Listing(self.service.store, query, defer_count=True).prime()
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._show_listing, listing, keep)
        if listing.count_known:
            return
        time.sleep(COUNT_AFTER)
        if worker.is_cancelled:
            return
        listing.finish_count()
        if not worker.is_cancelled:
            self.app.call_from_thread(self._count_finished, listing)

    def _count_finished(self, listing: Listing) -> None:
        if self.table.listing is listing:
            self.table.listing_counted()
            self._update_status()

    def _show_listing(self, listing: Listing, keep: str | None) -> None:
        if listing.query != self.query_state:
            return
        self.table.set_listing(listing, keep)
        self._show_highlighted()
        self._release_filter_frame()

    def action_sort(self) -> None:
        self._set_query(self.query_state.next_sort())
        self._toast("Sort", f"Sorted by {self.query_state.sort_label}.")

    def action_mark(self) -> None:
        upload_id = self.table.highlighted_id
        if upload_id is None:
            return
        self.table.marked.symmetric_difference_update({upload_id})
        self.table.cursor += 1
        self.table.refresh()
        self._update_status()

    def action_mark_all(self) -> None:
        ids = set(self.table.listing.ids())
        if ids and ids <= self.table.marked:
            self.table.marked -= ids
        else:
            self.table.marked |= ids
        self.table.refresh()
        self._toast("Marks", f"{len(self.table.marked)} marked.")

    def action_note(self) -> None:
        from scenario_tui.tui.screens.note_screen import NoteScreen

        if self._refuse_read_only():
            return
        row = self.table.highlighted
        if row is None:
            return

        def save(note: str | None) -> None:
            if note is None:
                return
            try:
                self.service.set_note(row.id, note)
            except errors.ScenarioTuiError as exc:
                self._set_error(row.id, exc)
                return
            self._row_changed(row.id)

        self.app.push_screen(NoteScreen(row.id, row.note or ""), save)

    def action_remove(self) -> None:
        from scenario_tui.tui.screens.confirm_screen import ConfirmScreen

        if self._refuse_read_only():
            return
        targets = self._targets()
        if not targets:
            return
        busy = [i for i in targets if self.busy.get(i) in ("completing", "polling")]
        lines = [f"{i}" + ("  (work in flight: it will finish, but leave the list)" if i in busy else "") for i in targets[:200]]
        if len(targets) > 200:
            lines.append(f"… and {len(targets) - 200} more")

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                removed = self.service.remove(targets)
            except errors.ScenarioTuiError as exc:
                self._set_error(None, exc)
                return
            self.last_removed = removed
            self.table.marked.difference_update(targets)
            self.table.reload()
            self._show_highlighted()
            self._toast("Removed", f"{len(removed)} upload(s) removed from the list; press u to undo.")

        self.app.push_screen(
            ConfirmScreen(f"Remove {len(targets)} upload(s) from the local list?", lines, "Remove", danger=True),
            confirmed,
        )

    def action_undo(self) -> None:
        if self._refuse_read_only():
            return
        if not self.last_removed:
            self._toast("Nothing to undo", "No removal to undo.")
            return
        rows, self.last_removed = self.last_removed, []
        try:
            self.service.restore(rows)
        except errors.ScenarioTuiError as exc:
            self.last_removed = rows
            self._set_error(None, exc)
            return
        self.table.reload()
        self._show_highlighted()
        self._toast("Restored", f"{len(rows)} upload(s) back in the list.")

    def action_copy_id(self) -> None:
        upload_id = self.table.highlighted_id
        if upload_id is None:
            return
        self.app.copy_to_clipboard(upload_id)
        self._toast(
            "Copied (via the terminal)",
            f"{upload_id} sent to the clipboard with OSC 52; some terminals or tmux set-ups ignore it.",
        )

    def action_copy_summary(self) -> None:
        ids = self._targets()
        if not ids:
            return
        lines = []
        for upload_id in ids:
            row = self.service.store.get(upload_id)
            if row is None:
                continue
            parts = [row.id, row.status or "unknown", row.file_name or "", human_size(row.file_size)]
            if row.error_message:
                parts.append(f"error: {row.error_message}")
            if row.note:
                parts.append(f"note: {row.note}")
            lines.append(" | ".join(inert_text(p, one_line=True) for p in parts if p))
        text = "\n".join(lines)
        self.app.copy_to_clipboard(text)
        self._toast(
            "Copied (via the terminal)",
            f"Summary of {len(lines)} upload(s) sent to the clipboard with OSC 52; "
            "some terminals or tmux set-ups ignore it.",
        )

    def action_toggle_detail(self) -> None:
        self.detail.display = not self.detail.display

    def action_focus_next_pane(self) -> None:
        if self.table.has_focus and self.detail.display:
            self.detail.focus()
        else:
            self.table.focus()

    def action_log(self) -> None:
        from scenario_tui.tui.screens.log_screen import ActivityLogScreen

        self.app.push_screen(ActivityLogScreen(self.service.store.events(limit=500)))

    def action_help(self) -> None:
        from scenario_tui.tui.screens.help_screen import HelpScreen

        self.app.push_screen(HelpScreen(self.HELP))

    def action_quit_app(self) -> None:
        from scenario_tui.tui.screens.confirm_screen import ConfirmScreen

        completing = [i for i, what in self.busy.items() if what == "completing"]
        if not completing and not self.uploading:
            self.app.exit()
            return
        lines = [f"{i}: complete in flight" for i in completing]
        lines += [f"{name}: upload in progress" for name in self.uploading]
        lines.append("Quitting now leaves the outcome unknown until you refresh; an interrupted "
                     "upload can be resumed with: scenario-tui upload --resume ID FILE")
        self.app.push_screen(
            ConfirmScreen("Work is in flight. Quit anyway?", lines, "Quit", danger=True),
            lambda yes: self.app.exit() if yes else None,
        )
