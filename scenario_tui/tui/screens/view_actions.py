"""What the main screen's list shows: the filter (``/``), the sort (``s``), ``escape``, and the
panes (``i``, ``tab``). The marks live in ``mark_actions``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from textual import work
from textual.css.query import NoMatches
from textual.worker import get_current_worker

from scenario_tui.core.wording import plural
from scenario_tui.store.listing import Listing, ListQuery
from scenario_tui.tui.kept_listing import KeptListing
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
        """Show the filter (mounted on the first ``/``) and focus it. The keys typed after
        ``/`` in one go (a fast typist, a paste, one read of the terminal over SSH) are on
        their way to the list meanwhile: they are kept (``HoldKeys``) and given to the filter
        once it has the focus, none to the list's own keys."""
        from scenario_tui.tui.screens.hold_keys import HoldKeys

        keys = HoldKeys("the filter")
        self.app.push_screen(keys)
        filt = self._filter_input()
        if filt is None:
            filt = FilterInput(placeholder="filter: ID, file name, note or status",
                               id="filter-input")
            await self.query_one("#list-pane").mount(filt, before=self.table)
        filt.display = True
        self.set_focus(filt)
        # after the next frame: the keys of the same burst have all reached the holder by then
        self.call_after_refresh(keys.hand_over, lambda: None)

    def filter_changed(self, text: str) -> None:
        """The filter input reads ``text`` now."""
        query = ListQuery(search=text.strip(), sort=self.query_state.sort,
                          descending=self.query_state.descending)
        if query != self.query_state:  # escape has applied it already; a trailing space too
            self._set_query(query)
        elif self.table.listing.query == query:  # shown already (else when it is shown)
            self._release_filter_frame()

    def _filter_input(self) -> FilterInput | None:
        """The filter input, once the first ``/`` has mounted it."""
        try:
            return self.query_one("#filter-input", FilterInput)
        except NoMatches:
            return None

    def _release_filter_frame(self) -> None:
        """The list shows the filter's text: the frame held by the input may be drawn."""
        filt = self._filter_input()
        if filt is not None:
            filt.release_frame()

    def _set_query(self, query: ListQuery) -> None:
        note = self.kept_note()  # the kept rows go with the new listing: so does the note
        if note and self.states.app_line.endswith(note):
            self.states.app_line = self.states.app_line.removesuffix(note)
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

    def keep_rows(self, upload_ids: list[str], what: str) -> None:
        """A bulk action (``what``: "completed") acted on ``upload_ids``: under a filter, those
        it stops matching stay listed, first and marked "kept", until the filter or the sort
        changes or escape (``kept_listing``). The kept rows are read in a thread (a team store:
        round trips), each call after the one before (its kept rows kept too)."""
        query = self.query_state
        if not (query.search or query.status) or not upload_ids:
            return

        def read() -> KeptListing:
            listing = self.table.listing  # as the call before this one left it
            kept = (*listing.kept, *upload_ids) if isinstance(listing, KeptListing) else upload_ids
            fresh = KeptListing(self.service.store, query, kept, on_failure=listing.on_failure)
            fresh.prime()
            return fresh

        def show(listing: KeptListing) -> None:
            if self.query_state == query:  # else the filter or the sort changed meanwhile
                self.table.set_listing(listing, self.table.highlighted_id)

        self.in_thread("keep", read, show, queue=True)
        self.states.app_line = (f"{plural(len(upload_ids), 'upload')} {what}: those the filter "
                                "no longer matches stay listed, marked kept (escape drops them).")

    def kept_note(self) -> str:
        """What a bulk action's summary line adds while rows are kept ("" when none are)."""
        listing = self.table.listing
        if not isinstance(listing, KeptListing) or not listing.kept_ids:
            return ""
        return f" {plural(len(listing.kept_ids), 'row')} kept past the filter: escape drops them."

    def _drop_kept(self) -> bool:
        """Back to the filter's own rows; whether any were kept."""
        if not isinstance(self.table.listing, KeptListing):
            return False
        self._set_query(self.query_state)
        return True

    def action_sort(self) -> None:
        self._set_query(self.query_state.next_sort())
        self._toast("Sort", f"Sorted by {self.query_state.sort_label}.")

    def action_cancel(self) -> None:
        """Stop the bulk refreshes; else drop the kept rows; else clear the filter; else the
        marks."""
        if self._cancel_refreshes():
            self._toast("Cancelled", "Refreshing stopped; rows already fetched are kept.")
        elif self._drop_kept():
            pass
        elif (filt := self._filter_input()) is not None and (
                self.query_state.search or filt.display):
            if self.query_state.search:
                self._set_query(ListQuery(sort=self.query_state.sort,
                                          descending=self.query_state.descending))
            filt.value = ""
            filt.display = False
            self.table.focus()
        elif self.table.marked:
            self.table.marked.clear()
            self._marks_changed()

    def action_toggle_detail(self) -> None:
        self.detail.display = not self.detail.display

    def action_focus_next_pane(self) -> None:
        if self.table.has_focus and self.detail.display:
            self.detail.focus()
        else:
            self.table.focus()
