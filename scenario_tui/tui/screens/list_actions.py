"""What the main screen's list holds: adding IDs (``a``), notes (``n``), removing (``d``) and
undoing it (``u``), and copying IDs or a summary out (``y``, ``Y``: OSC 52, tmux's buffer, or a
dialog to copy by hand, as ``tui.clipboard`` chooses)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual import work

from scenario_tui.core import errors
from scenario_tui.core.present import summary_text
from scenario_tui.core.wording import plural
from scenario_tui.tui.clipboard import TMUX_SAID, Clipboard
from scenario_tui.tui.screens.main_parts import ScreenParts

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from scenario_tui.service.uploads import AddReport
    from scenario_tui.store.rows import KnownUpload

SHOWN_REMOVALS = 200  # the remove dialog lists this many IDs, then a count of the rest
CLIPBOARD_CAVEAT = "some terminals or tmux set-ups ignore it."


class ListHost(ScreenParts, Protocol):
    """What the list actions need from the main screen, besides ``ScreenParts``."""

    #: the rows of the last removal, for undo
    last_removed: list[KnownUpload]

    def refresh_all(self, ids: list[str]) -> Worker[None]: ...


if TYPE_CHECKING:
    class _Screen(ListHost, Screen): ...
else:
    _Screen = object


class ListActions(_Screen):
    """Mixed into ``MainScreen``: the keys that change which uploads are listed, and copying."""

    _clipboard: Clipboard | None = None

    def action_add(self) -> None:
        from scenario_tui.tui.screens.add_screen import AddIdsScreen

        if self._refuse_read_only():
            return
        self.app.push_screen(AddIdsScreen(known=self.service.store.known_of,
                                          pattern=self.settings.id_pattern), self._ids_added)

    def _ids_added(self, text: str | None) -> None:
        from scenario_tui.core.ticket import harvest_ids

        if not text:
            return
        ticket = harvest_ids(text, self.settings.id_pattern)  # as the dialog's preview did
        self.in_thread("write", lambda: self.service.add(ticket.tokens),
                       lambda report: self._say_added(report, len(ticket.ignored)), queue=True)

    def _say_added(self, report: AddReport, ignored: int) -> None:
        parts = [f"{len(report.added)} added"]
        if report.existing:
            parts.append(f"{len(report.existing)} already known")
        if report.duplicates:
            parts.append(f"{len(report.duplicates)} duplicates skipped")
        if report.invalid:
            first = report.invalid[0][1]
            parts.append(f"{len(report.invalid)} invalid (e.g. {first})")
        if ignored:
            parts.append(f"{ignored} other words ignored")
        self._toast("Added", ", ".join(parts) + ".",
                    "warning" if report.invalid else "information")
        self.table.reload()
        self._show_highlighted()
        if report.added:
            self.refresh_all(report.added[: self.settings.startup_refresh_cap])

    def action_note(self) -> None:
        from scenario_tui.tui.screens.note_screen import NoteScreen

        if self._refuse_read_only():
            return
        row = self.table.highlighted
        if row is None:
            return
        upload_id = row.id

        def save(note: str | None) -> None:
            if note is not None:  # written in a thread, after the writes asked before it
                self.in_thread("write", lambda: self.service.set_note(upload_id, note),
                               lambda _: self._row_changed(upload_id), failed=not_saved,
                               queue=True)

        def not_saved(exc: errors.ScenarioTuiError) -> None:
            if isinstance(exc, errors.UploadGoneError):  # removed meanwhile (another process)
                self.states.app_line = f"{exc.title}: {exc.message}"
                self._set_error(None, exc)
                self._row_changed(upload_id)
            else:
                self._set_error(upload_id, exc)

        self.app.push_screen(NoteScreen(upload_id, row.note or "",
                                        team=bool(self.settings.store_url)), save)

    def action_remove(self) -> None:
        if self._refuse_read_only():
            return
        targets = self._targets()
        if not targets.none:  # the marked ones in list order: read in a thread
            self.in_thread("remove", targets.ids, self._ask_remove, hold="what to remove")

    def _ask_remove(self, targets: list[str]) -> None:
        from scenario_tui.tui.screens.confirm_screen import ConfirmScreen

        lines = [
            upload_id + ("  (work in flight: it will finish, but leave the list)"
                         if self.states.busy(upload_id) in ("completing", "polling") else "")
            for upload_id in targets[:SHOWN_REMOVALS]
        ]
        if len(targets) > SHOWN_REMOVALS:
            lines.append(f"… and {len(targets) - SHOWN_REMOVALS} more")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.in_thread("write", lambda: self.service.remove(targets), removed,
                               queue=True)

        def removed(rows: list[KnownUpload]) -> None:
            self.last_removed = rows
            self.table.marked.difference_update(targets)
            self._marks_changed()
            self.table.reload()
            self._show_highlighted()
            self._toast("Removed",
                        f"{plural(len(rows), 'upload')} removed from the list; press u to undo.")

        self.app.push_screen(
            ConfirmScreen(f"Remove {plural(len(targets), 'upload')} from "
                          + ("the team's list, for everyone on the team store?"
                             if self.settings.store_url else "the local list?"),
                          lines, "Remove", danger=True),
            confirmed,
        )

    def action_undo(self) -> None:
        if self._refuse_read_only():
            return
        if not self.last_removed:
            self._toast("Nothing to undo", "No removal to undo.")
            return
        rows, self.last_removed = self.last_removed, []

        def restored(_: None) -> None:
            self.table.reload()
            self._show_highlighted()
            self._toast("Restored", f"{plural(len(rows), 'upload')} back in the list.")

        def not_restored(exc: errors.ScenarioTuiError) -> None:
            self.last_removed = rows
            self._set_error(None, exc)

        self.in_thread("write", lambda: self.service.restore(rows), restored,
                       failed=not_restored, queue=True)

    def action_copy_id(self) -> None:
        upload_id = self.table.highlighted_id
        if upload_id is None:
            return
        self._copy(upload_id, upload_id)

    def action_copy_summary(self) -> None:
        targets = self._targets()
        if targets.none:
            return
        self.in_thread("copy-summary", lambda: self.stored_rows(targets.ids()),
                       self._copy_summary)

    def _copy_summary(self, rows: list[KnownUpload | None]) -> None:
        shown = [row for row in rows if row is not None]  # the CLI's `summary` writes the same
        self._copy(summary_text(shown, self.table.now),
                   f"Summary of {plural(len(shown), 'upload')}")

    # --- copying: the route is the session's (``tui.clipboard``) ------------------------------

    @property
    def clipboard(self) -> Clipboard:
        """Where copies go, chosen from the environment at the first copy (tests set it)."""
        if self._clipboard is None:
            self._clipboard = Clipboard()
        return self._clipboard

    @clipboard.setter
    def clipboard(self, value: Clipboard) -> None:
        self._clipboard = value

    def _copy(self, text: str, what: str) -> None:
        """Copy ``text`` (``what`` names it in messages). OSC 52 goes out on every route (it
        costs nothing where it is ignored); inside tmux the text goes to tmux's buffer too;
        where no clipboard is known to take it, it is shown to copy by hand."""
        self.app.copy_to_clipboard(text)
        route = self.clipboard.route
        if route == "tmux":
            self.copy_to_tmux(text, what)
        elif route == "osc52":
            self._toast("Copied (via the terminal)",
                        f"{what} sent to the clipboard with OSC 52; {CLIPBOARD_CAVEAT}")
        else:
            self._copy_by_hand(what, text)

    @work(group="clipboard", thread=True, exit_on_error=False)
    def copy_to_tmux(self, text: str, what: str) -> None:
        """``tmux load-buffer`` in a thread (the UI never waits for tmux), then say so."""
        problem = self.clipboard.to_tmux(text)
        self.app.call_from_thread(self._copied_to_tmux, text, what, problem)

    def _copied_to_tmux(self, text: str, what: str, problem: str | None) -> None:
        if problem is None:
            self._toast("Copied", f"{what}: {TMUX_SAID}.")
        else:
            self._copy_by_hand(what, text, f"tmux did not take it: {problem}")

    def _copy_by_hand(self, what: str, text: str, reason: str = "") -> None:
        from scenario_tui.tui.screens.copy_screen import CopyScreen

        self.app.push_screen(CopyScreen(what, text, reason))
