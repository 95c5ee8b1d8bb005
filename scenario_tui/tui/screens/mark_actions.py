"""Marks on the main screen's list: ``space`` (one), ``*`` (all listed, or clear), ``p`` (the
pending ones), ``!`` (the stuck ones) and ``~`` (invert). The marked uploads are what ``c``,
``d`` and ``Y`` act on; the count line says how many there are.

Each helper works on the uploads the list shows (the filter applies); marks on uploads the
filter hides are kept, except by ``*``, which clears every mark. The count line's "N marked" is
the feedback; only ``p`` and ``!`` also say what they found (in a toast), as a count alone does
not tell how many were new. The IDs a key needs are read in a thread (``store_calls``), and the
keys land in the order they were pressed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from textual.css.query import NoMatches

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
        if self.table.marked and not self.in_flight("marks"):
            self.table.marked.clear()
            self._marks_changed()
            return
        # as it stands when the listed IDs are read, after the mark keys pressed before it
        self._with_marks(self.table.listing.ids, self._mark_all_or_clear)

    def _mark_all_or_clear(self, listed: list[str]) -> None:
        marked = self.table.marked
        if marked:
            marked.clear()
        else:
            marked.update(listed)
        self._marks_changed()

    def action_mark_pending(self) -> None:
        """Mark the listed uploads whose last-known status is pending (added to the marks)."""
        pending = Listing(self.service.store, self.table.listing.query._replace(status="pending"))
        self._with_marks(pending.ids, lambda ids: self._add_marks(ids, "pending"))

    def action_mark_stuck(self) -> None:
        """Mark the listed uploads the diagnosis calls stuck (as the count line counts them)."""
        now = self.table.now  # the clock the list's Why column was diagnosed with
        listing, store = self.table.listing, self.service.store

        def read() -> list[str]:
            rows = [row for status in STUCK_STATUSES
                    for row in store.list(status=status, snapshots=False)]
            stuck = {row.id for row in rows if diagnose_row(row, now).stuck}
            return [i for i in listing.ids() if i in stuck]

        self._with_marks(read, lambda ids: self._add_marks(ids, "stuck"))

    def action_mark_invert(self) -> None:
        """Marked listed uploads become unmarked and the others marked."""
        self._with_marks(self.table.listing.ids, self._invert_marks)

    def _invert_marks(self, listed: list[str]) -> None:
        self.table.marked.symmetric_difference_update(listed)
        self._marks_changed()

    def _with_marks(self, read: Callable[[], list[str]], then: Callable[[list[str]], None],
                    ) -> None:
        """``read`` the IDs a mark key needs in a thread, then ``then`` with them: the mark
        keys land one after the other, in the order they were pressed."""
        self.in_thread("marks", read, then, queue=True)

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
