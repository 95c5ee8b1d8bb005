"""Marks on the main screen's list: ``space`` (one), ``*`` (all listed, or clear), ``p`` (the
pending ones), ``!`` (the stuck ones) and ``~`` (invert). The marked uploads are what ``c``,
``d`` and ``Y`` act on; the count line says how many there are.

Each helper works on the uploads the list shows (the filter applies); marks on uploads the
filter hides are kept, except by ``*``, which clears every mark. The count line's "N marked" is
the feedback; only ``p`` and ``!`` also say what they found (in a toast), as a count alone does
not tell how many were new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual.css.query import NoMatches

from scenario_tui.core import errors
from scenario_tui.core.diagnosis import STUCK_STATUSES, diagnose_row
from scenario_tui.store.listing import Listing
from scenario_tui.tui.screens.main_parts import ScreenParts
from scenario_tui.tui.widgets.count_line import CountLine

if TYPE_CHECKING:
    from textual.screen import Screen


class MarkHost(ScreenParts, Protocol):
    """What the mark actions need from the main screen: ``ScreenParts`` covers it all."""


if TYPE_CHECKING:
    class _Screen(MarkHost, Screen): ...
else:
    _Screen = object


class MarkActions(_Screen):
    """Mixed into ``MainScreen``: marking and unmarking uploads."""

    def action_mark(self) -> None:
        upload_id = self.table.highlighted_id
        if upload_id is None:
            return
        self.table.marked.symmetric_difference_update({upload_id})
        self.table.cursor += 1
        self._marks_changed()

    def action_mark_all(self) -> None:
        """Any mark: clear them all (one press). None: mark every listed upload."""
        marked = self.table.marked
        if marked:
            marked.clear()
        else:
            marked.update(self._listed_ids())
        self._marks_changed()

    def action_mark_pending(self) -> None:
        """Mark the listed uploads whose last-known status is pending (added to the marks)."""
        listing = self.table.listing
        try:
            pending = Listing(self.service.store, listing.query._replace(status="pending")).ids()
        except errors.StoreError as exc:
            self._set_error(None, exc)
            return
        self._add_marks(pending, "pending")

    def action_mark_stuck(self) -> None:
        """Mark the listed uploads the diagnosis calls stuck (as the count line counts them)."""
        now = self.table.now  # the clock the list's Why column was diagnosed with
        try:
            rows = [row for status in STUCK_STATUSES
                    for row in self.service.store.list(status=status, snapshots=False)]
        except errors.StoreError as exc:
            self._set_error(None, exc)
            return
        stuck = {row.id for row in rows if diagnose_row(row, now).stuck}
        self._add_marks([i for i in self._listed_ids() if i in stuck], "stuck")

    def action_mark_invert(self) -> None:
        """Marked listed uploads become unmarked and the others marked."""
        listed = self._listed_ids()
        self.table.marked.symmetric_difference_update(listed)
        self._marks_changed()

    def _listed_ids(self) -> list[str]:
        return self.table.listing.ids()

    def _add_marks(self, ids: list[str], what: str) -> None:
        before = len(self.table.marked)
        self.table.marked.update(ids)
        added = len(self.table.marked) - before
        if not ids:
            self._marks_changed(f"No listed upload is {what}.")
        else:
            self._marks_changed(f"{len(ids)} {what} marked ({added} new); "
                                f"{len(self.table.marked)} marked in all.")

    def _marks_changed(self, said: str | None = None) -> None:
        """The marks changed: the list and the count line show it (and ``said``, in a toast)."""
        self.table.refresh()
        try:
            self.query_one("#count-line", CountLine).marked = len(self.table.marked)
        except NoMatches:
            pass
        if said:
            self._toast("Marks", said)
