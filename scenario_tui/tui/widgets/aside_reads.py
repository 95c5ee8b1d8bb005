"""What a ``read_aside`` list reads of the store, read in threads: on a team store each read is
a round trip to a server, or a wait for one that is gone, and the UI thread waits for neither.

- ``reread``: the list read again (a snapshot, a teammate's change), the rows read before shown
  meanwhile; once more at most, however many calls come while it reads.
- ``want``: the pages of the rows near the cursor and on screen, one read at a time, each page
  once, the cursor's first; those of the rows half a page past either end of the screen are
  read before they are scrolled to. Meanwhile a row not read yet is drawn as a placeholder.
- ``count_then_end``: ``G`` under a search not counted to its end: every match counted, then
  the cursor on the last row (if it waited where it was).

Only the reads run in threads; what they read comes back on the UI thread (``call_from_thread``),
and ``Listing``'s locks keep its cache whole meanwhile. A read that fails is heard by the
listing's ``on_failure``: the rows read before stay, a page that could not be read keeps its
placeholders (and is not read again until the list is).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from scenario_tui.core.errors import StoreError
from scenario_tui.store.listing import Listing

if TYPE_CHECKING:
    from textual.app import App
    from textual.geometry import Size


class Table(Protocol):
    """What ``AsideReads`` asks of its table (``UploadTable``, which imports this module)."""

    listing: Listing
    cursor: int
    scroll_y: float

    @property
    def size(self) -> Size: ...

    @property
    def app(self) -> App: ...

    def run_worker(self, work: Callable[[], None], *, thread: bool, group: str,
                   exit_on_error: bool) -> Any: ...

    def call_later(self, callback: Callable[[], None]) -> bool: ...

    def show_reread(self, fresh: Listing) -> None: ...

    def rows_arrived(self) -> None: ...

    def listing_counted(self) -> None: ...


class AsideReads:
    """The reads in threads of ``table``, a ``read_aside`` one."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._reread_due = self._rereading = False
        self._near: list[int] = []  # the rows to have at hand, most wanted first
        self._paging: Listing | None = None  # whose page is being read
        self._want_due = False
        self._unreadable: Listing | None = None  # a page read raised: no on_failure heard it
        self._counting: Listing | None = None
        self._end: tuple[Listing, int] | None = None  # G waits for a count: listing, cursor

    def _in_thread(self, work: Callable[[], None], group: str) -> None:
        self.table.run_worker(work, thread=True, group=group, exit_on_error=False)

    def _back(self, then: Callable[..., None], *args: Any) -> None:
        """From a thread: ``then(*args)`` on the UI thread."""
        try:
            self.table.app.call_from_thread(then, *args)
        except RuntimeError:
            pass  # the app has ended meanwhile

    def rows_near(self, ahead: int) -> list[int]:
        """The cursor's row, the first and the last on screen, and ``ahead`` rows past them."""
        table = self.table
        first = round(table.scroll_y)
        last = first + max(table.size.height - 2, 0)
        return [table.cursor, first, last, last + ahead, first - ahead]

    def read_first(self) -> None:
        """The listing shown first, never read: its count and first page read now, before the
        first frame, as a local list reads them (a team store still connecting answers from
        the front page its last session kept, without a round trip; one opened before the
        start has just answered). Every later page and listing is read in a thread."""
        listing = self.table.listing
        if listing.front() is None and listing.count():
            listing.row(0)

    # --- the list read again --------------------------------------------------------------

    def reread(self) -> None:
        self._reread_due = True
        if not self._rereading:
            self._reread()

    def _reread(self) -> None:
        self._reread_due, self._rereading = False, True
        old = self.table.listing
        self._in_thread(partial(self._read, old, self.rows_near(0)), "table-reread")

    def _read(self, old: Listing, wanted: Sequence[int]) -> None:
        """In a thread: a listing like ``old``, its count and the rows at ``wanted`` read; on
        the UI thread, shown instead of ``old`` (not when a read fails: it keeps ``old``,
        whose owner hears the failure)."""
        fresh = old.renewed(on_failure=None)
        try:
            fresh.count()
            for index in wanted:
                fresh.row(index)
            read: Listing | None = fresh
        except StoreError as exc:
            if old.on_failure is not None:
                old.on_failure(exc)
            read = None
        self._back(self._show_read, old, read)

    def _show_read(self, old: Listing, fresh: Listing | None) -> None:
        self._rereading = False
        if fresh is not None and self.table.listing is old:  # not replaced meanwhile (a filter)
            self.table.show_reread(fresh)
        if self._reread_due:
            self._reread()

    # --- pages ----------------------------------------------------------------------------

    def want_soon(self) -> None:
        """A row not read yet is drawn: ``want``, once for the whole frame."""
        if not self._want_due:
            self._want_due = True
            self.table.call_later(self.want)

    def want(self) -> None:
        """Read the pages not read yet of the rows near the cursor and on screen."""
        self._want_due = False
        listing = self.table.listing
        count, ahead = listing.count(), listing.PAGE_SIZE // 2
        self._near = [index for index in self.rows_near(ahead) if 0 <= index < count]
        if self._paging is None:
            self._read_next()

    def _read_next(self) -> None:
        listing = self.table.listing
        if listing is self._unreadable:
            return
        index = next((i for i in self._near if not listing.page_read(i)), None)
        if index is not None:
            self._paging = listing
            self._in_thread(partial(self._read_page, listing, index), "table-pages")

    def _read_page(self, listing: Listing, index: int) -> None:
        """In a thread: the page of ``index`` read into ``listing`` (failing, ``on_failure``
        hears it and the page holds what was read before, if anything)."""
        try:
            listing.row(index)
            failed = False
        except StoreError:  # a listing without on_failure: its placeholders stay
            failed = True
        self._back(self._page_read, listing, failed)

    def _page_read(self, listing: Listing, failed: bool) -> None:
        self._paging = None
        if failed:
            self._unreadable = listing
        if listing is self.table.listing:
            self.table.rows_arrived()
        self._read_next()

    # --- G under a search -----------------------------------------------------------------

    def count_then_end(self) -> None:
        """Every match counted in a thread, then the cursor on the last row if it waited where
        it was (the key is answered at once; pressed again meanwhile: one count)."""
        listing = self.table.listing
        self._end = (listing, self.table.cursor)
        if self._counting is not listing:
            self._counting = listing
            self._in_thread(partial(self._count, listing), "table-count")

    def _count(self, listing: Listing) -> None:
        try:
            listing.finish_count()
        except StoreError:  # a listing without on_failure: counted as far as it was read
            pass
        self._back(self._counted, listing)

    def _counted(self, listing: Listing) -> None:
        if self._counting is listing:
            self._counting = None
        table = self.table
        if listing is table.listing:
            table.listing_counted()
            if self._end == (listing, table.cursor):
                self._end = None
                table.cursor = listing.count() - 1
