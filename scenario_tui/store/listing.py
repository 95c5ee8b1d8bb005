"""A paged, filtered, sorted window onto the known uploads, read from the store on demand.

The TUI's upload list renders only the rows on screen; this object fetches them a page at a time
(filtering and sorting happen in SQLite), so 100,000 known uploads cost no more than 100.

Unfiltered, a page is an indexed ``LIMIT/OFFSET`` read. Filtered by a search, one scan lists the
matching rows' ``seq`` in order, and a page is read by ``seq``: a keystroke in the filter costs
one scan, not a count plus an offset scan per page. That list stops at ``SEQ_PREFIX`` entries (a
one-letter search can match most rows, and listing them all costs more than counting them):
then the count is one more scan, and the full list is read only if the user scrolls past it.

With ``on_failure`` set, a read that fails (the file damaged or taken away while the TUI runs)
does not raise: ``on_failure`` hears the ``StoreError`` and the listing keeps showing the rows
it had read (``invalidate`` keeps the last ones aside for that), a read-only view.

Threads: one read of the store at a time (``_reads``, held across the store call); the cache
(pages, count, matches) is guarded by ``_lock``, which is never held across a store call, so
``row(index, read=False)``, ``page_read``, ``cached_index_of`` and ``front`` never wait for the
store, whoever is reading it (a team store's table reads its pages in a thread and asks the UI
thread's questions this way).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from scenario_tui.core.errors import StoreError
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.rows import KnownUpload

#: (sort key, newest/largest first?, label shown to the user)
SORTS: tuple[tuple[str, bool, str], ...] = (
    ("added", True, "recently added"),
    ("status", False, "status"),
    ("updated", True, "last update"),
    ("id", False, "ID"),
    ("file_name", False, "file name"),
    ("size", True, "size"),
)
T = TypeVar("T")


class ListQuery(NamedTuple):  # a named tuple: made in a sixth of a dataclass's start-up time
    search: str = ""
    status: str | None = None
    sort: str = "added"
    descending: bool = True

    def next_sort(self) -> "ListQuery":
        keys = [key for key, _, _ in SORTS]
        index = (keys.index(self.sort) + 1) % len(SORTS) if self.sort in keys else 0
        key, descending, _ = SORTS[index]
        return self._replace(sort=key, descending=descending)

    @property
    def sort_label(self) -> str:
        return next((label for key, _, label in SORTS if key == self.sort), self.sort)


class Listing:
    """Rows of the store under ``query``; pages are cached until ``invalidate``."""

    PAGE_SIZE = 100
    SEQ_PREFIX = 1000  # matches listed at once by a search; the rest when scrolled to

    def __init__(self, store: StoreProtocol, query: ListQuery | None = None, *,
                 defer_count: bool = False,
                 on_failure: Callable[[StoreError], None] | None = None) -> None:
        self.store = store
        self.query = query or ListQuery()
        #: until ``finish_count``, a search's count is the matches read so far (its first page
        #: shows without scanning every row); ``invalidate`` ends that
        self._defer_count = defer_count
        self._count: int | None = None
        self._seqs: list[int] | None = None  # a search's matching rows, in order
        self._all_seqs = False  # whether _seqs holds every match (else its first SEQ_PREFIX)
        self._pages: dict[int, Sequence[KnownUpload | None]] = {}
        self._lock = threading.Lock()  # the state above and below; never across a store call
        self._reads = threading.Lock()  # one store read at a time (taken before _lock)
        #: hears a failed read instead of the caller (any thread; it must not read this listing)
        self.on_failure = on_failure
        #: the count and pages of before the last ``invalidate``: shown when a read fails
        self._kept: tuple[int, dict[int, Sequence[KnownUpload | None]]] = (0, {})

    def _fall_back(self, exc: StoreError, value: T) -> T:
        """A read failed: raise, or (with ``on_failure``) report it and go on with ``value``."""
        if self.on_failure is None:
            raise exc
        self.on_failure(exc)
        return value

    def _filters(self) -> dict:
        return {"search": self.query.search or None, "status": self.query.status}

    def _searched(self, upto: int = 0) -> list[int] | None:
        """The matching ``seq`` list when the query has a search, else None: its first
        ``SEQ_PREFIX`` entries at first, every one once ``upto`` is past them (holding
        ``_reads`` when it may read)."""
        if not self.query.search:
            return None
        seqs, every = self._seqs, self._all_seqs
        if seqs is None or (upto >= len(seqs) and not every):
            limit = self.SEQ_PREFIX if seqs is None and upto < self.SEQ_PREFIX else None
            seqs = self.store.search_seqs(
                **self._filters(), sort=self.query.sort, descending=self.query.descending,
                limit=limit)
            with self._lock:
                self._seqs, self._all_seqs = seqs, limit is None or len(seqs) < limit
        return seqs

    def _known_count(self) -> int | None:
        """The count as read so far, reading nothing (a deferred search's: the matches read so
        far); None when it must be read."""
        with self._lock:
            if self._count is not None:
                return self._count
            if self._seqs is not None and (self._all_seqs or self._defer_count):
                return len(self._seqs)
        return None

    def count(self) -> int:
        known = self._known_count()
        if known is not None:
            return known
        failure: StoreError | None = None
        with self._reads:
            try:
                seqs = self._searched()
                if seqs is not None and self._all_seqs:
                    count = len(seqs)
                elif seqs is not None and self._defer_count:
                    return len(seqs)  # at least these; finish_count() reads the rest
                else:
                    count = self.store.count(**self._filters())
            except StoreError as exc:
                if self.on_failure is None:
                    raise
                failure, count = exc, self._kept[0]
            with self._lock:
                self._count = count
        if failure is not None:  # reported outside the locks
            self._fall_back(failure, None)
        return count

    @property
    def count_known(self) -> bool:
        with self._lock:
            return self._count is not None or not self._defer_count or (
                self._seqs is not None and self._all_seqs)

    def finish_count(self) -> int:
        """Read every match (blocking: call from a worker thread), so ``count`` is exact; the
        store keeps the answer, so a longer search typed next narrows it down. A failed read
        (``on_failure`` hears it) leaves the count as it was, to be finished another time."""
        failure: StoreError | None = None
        with self._reads:
            try:
                seqs = self._searched(upto=self.SEQ_PREFIX)
                count = len(seqs) if seqs is not None else self.store.count(**self._filters())
            except StoreError as exc:
                if self.on_failure is None:
                    raise
                failure = exc
            else:
                with self._lock:
                    self._count, self._defer_count = count, False
        if failure is not None:  # reported outside the locks
            self._fall_back(failure, None)
            known = self._known_count()
            return self._kept[0] if known is None else known
        return count

    def row(self, index: int, *, read: bool = True) -> KnownUpload | None:
        """The row at ``index`` (None past the end); ``read=False``: only from a page read
        already, else None (waiting for nothing: ``page_read`` says which)."""
        if index < 0:
            return None
        page_no, offset = divmod(index, self.PAGE_SIZE)
        page = self._page(page_no, read)
        return page[offset] if page is not None and offset < len(page) else None

    def page_read(self, index: int) -> bool:
        """Whether the page of ``index`` is at hand, so ``row(index)`` reads nothing (one whose
        read failed is: as what was read before it, if anything, until ``invalidate``)."""
        with self._lock:
            return index < 0 or index // self.PAGE_SIZE in self._pages

    def _page(self, page_no: int, read: bool) -> Sequence[KnownUpload | None] | None:
        """Page ``page_no`` as cached; else read now (``read``) or None."""
        with self._lock:
            page = self._pages.get(page_no)
        if page is not None or not read:
            return page
        failure: StoreError | None = None
        with self._reads:
            with self._lock:
                page = self._pages.get(page_no)  # read by another thread while this one waited
            if page is None:
                start = page_no * self.PAGE_SIZE
                try:
                    seqs = self._searched(upto=start + self.PAGE_SIZE - 1)
                    if seqs is not None:
                        page = self.store.rows_by_seq(seqs[start:start + self.PAGE_SIZE])
                    else:
                        page = self.store.list(
                            **self._filters(), sort=self.query.sort,
                            descending=self.query.descending, limit=self.PAGE_SIZE,
                            offset=start,
                        )
                except StoreError as exc:  # what was read before, until the next invalidate
                    if self.on_failure is None:
                        raise
                    failure, page = exc, self._kept[1].get(page_no, ())
                with self._lock:
                    if len(self._pages) > 64:
                        self._pages.clear()
                    self._pages[page_no] = page
        if failure is not None:  # reported outside the locks
            self._fall_back(failure, None)
        return page

    def cached_index_of(self, upload_id: str) -> int | None:
        """Where ``upload_id`` is among the pages already read, if it is."""
        with self._lock:
            for page_no, page in self._pages.items():
                for offset, row in enumerate(page):
                    if row is not None and row.id == upload_id:
                        return page_no * self.PAGE_SIZE + offset
        return None

    def ids(self) -> list[str]:
        """Every ID under the query (for 'mark all visible')."""
        try:
            return self.store.ids(
                **self._filters(), sort=self.query.sort, descending=self.query.descending
            )
        except StoreError as exc:
            with self._lock:
                kept = [row.id for _, page in sorted(self._pages.items()) for row in page if row]
            return self._fall_back(exc, kept)

    def renewed(self, **options) -> "Listing":
        """A listing of the same query with nothing read yet (``options``: as the constructor's;
        ``on_failure`` is this one's unless given)."""
        options.setdefault("on_failure", self.on_failure)
        return self.hand_over(Listing(self.store, self.query, **options))

    def hand_over(self, renewed: "Listing") -> "Listing":
        """``renewed`` (of this query), keeping what this one read to show if its reads fail."""
        with self._lock:
            if self._pages and self._count is not None:
                renewed._kept = (self._count, dict(self._pages))
            else:
                renewed._kept = self._kept
        return renewed

    def front(self) -> tuple[int, list[KnownUpload]] | None:
        """The count and the first page as last read (before an ``invalidate`` not read again
        yet: as they were shown); None when they were not read."""
        with self._lock:
            count, page = self._count, self._pages.get(0)
            if count is None or page is None:
                count, page = self._kept[0], self._kept[1].get(0)
            return None if page is None else (count, [row for row in page if row is not None])

    def invalidate(self) -> None:
        with self._reads, self._lock:  # after a read under way: it would cache the old rows
            if self._pages:
                self._kept = (self._count or self._kept[0], dict(self._pages))
            self._defer_count = False  # re-read after a change: counted exactly, as it is used
            self._count = None
            self._seqs = None
            self._all_seqs = False
            self._pages.clear()

    def prime(self) -> "Listing":
        """Read the first page and the count now (call from a worker thread); with
        ``defer_count``, a search counts only the matches read so far."""
        self.count()
        self.row(0)
        return self
