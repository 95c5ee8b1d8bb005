"""What the main screen's list shows: the filter (``/``), the sort (``s``), the marks (``space``,
``*``), ``escape``, and the panes (``i``, ``tab``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from textual import work
from textual.css.query import NoMatches
from textual.widgets import Input
from textual.worker import get_current_worker

from scenario_tui.store.listing import Listing, ListQuery
from scenario_tui.tui.screens.main_parts import ScreenParts
from scenario_tui.tui.widgets.filter_input import FilterInput

if TYPE_CHECKING:
    from textual.screen import Screen

    from scenario_tui.tui.widgets.detail_pane import DetailPane

COUNT_AFTER = 0.05  # seconds typing must pause before a search counts every match


class ViewHost(ScreenParts, Protocol):
    """What the view actions need from the main screen, besides ``ScreenParts``."""

    #: the filter and sort the list shows (or is about to)
    query_state: ListQuery

    @property
    def detail(self) -> DetailPane: ...

    def _cancel_refreshes(self) -> bool: ...


if TYPE_CHECKING:
    class _Screen(ViewHost, Screen): ...
else:
    _Screen = object


class ViewActions(_Screen):
    """Mixed into ``MainScreen``: the keys that change what the list shows, not what it holds."""

    async def action_filter(self) -> None:
        try:
            filt = self.query_one("#filter-input", Input)
        except NoMatches:
            filt = FilterInput(placeholder="filter: ID, file name, note or status",
                               id="filter-input")
            await self.query_one("#list-pane").mount(filt, before=self.table)
        filt.display = True
        filt.focus()

    def filter_changed(self, text: str) -> None:
        """The filter input reads ``text`` now."""
        query = ListQuery(search=text.strip(), sort=self.query_state.sort,
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

    def action_mark_all(self) -> None:
        ids = set(self.table.listing.ids())
        if ids and ids <= self.table.marked:
            self.table.marked -= ids
        else:
            self.table.marked |= ids
        self.table.refresh()
        self._toast("Marks", f"{len(self.table.marked)} marked.")

    def action_cancel(self) -> None:
        """Stop the bulk refreshes; else clear the filter; else the marks."""
        if self._cancel_refreshes():
            self._toast("Cancelled", "Refreshing stopped; rows already fetched are kept.")
        elif self.query_state.search:
            self._set_query(ListQuery(sort=self.query_state.sort,
                                      descending=self.query_state.descending))
            filt = self.query_one("#filter-input", Input)
            filt.value = ""
            filt.display = False
        elif self.table.marked:
            self.table.marked.clear()
            self.table.refresh()

    def action_toggle_detail(self) -> None:
        self.detail.display = not self.detail.display

    def action_focus_next_pane(self) -> None:
        if self.table.has_focus and self.detail.display:
            self.detail.focus()
        else:
            self.table.focus()
