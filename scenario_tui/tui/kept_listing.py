"""The list after a bulk action under a filter: the uploads it acted on stay in view.

After ``/pending``, ``*``, ``c``, ``y`` the completed uploads stop matching the filter as they
move on; a plain listing would end in "No uploads match.", and the user would lose what
happened. A ``KeptListing`` is the filter's listing with the acted-on uploads that no longer
match it pinned at the top (the list marks them "kept"), until the filter or the sort changes
or escape drops them (``view_actions``).
"""

from __future__ import annotations

from collections.abc import Iterable

from scenario_tui.core.errors import StoreError
from scenario_tui.store.listing import Listing, ListQuery
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.rows import KnownUpload

#: what the list's "Why" column says of a kept upload
KEPT_LABEL = "kept: not matching"


class KeptListing(Listing):
    """``Listing`` of ``query``, plus the uploads of ``kept`` it does not match, first."""

    def __init__(self, store: StoreProtocol, query: ListQuery, kept: Iterable[str],
                 **options) -> None:
        super().__init__(store, query, **options)
        self.kept = tuple(dict.fromkeys(kept))
        self._extra: list[KnownUpload] | None = None

    def extra(self) -> list[KnownUpload]:
        """The kept uploads the query does not match (read again after ``invalidate``)."""
        rows = self._extra
        if rows is None:
            try:
                found = [r for r in map(self.store.get, self.kept) if r is not None]
                matching = set(self.store.search_seqs(
                    search=self.query.search or None, status=self.query.status,
                    sort=self.query.sort, descending=self.query.descending)) if found else set()
                rows = [row for row in found if row.seq not in matching]
            except StoreError as exc:
                rows = self._fall_back(exc, [])
            self._extra = rows
        return rows

    def renewed(self, **options) -> Listing:
        options.setdefault("on_failure", self.on_failure)
        return self.hand_over(KeptListing(self.store, self.query, self.kept, **options))

    @property
    def kept_ids(self) -> frozenset[str]:
        """The IDs shown only because they are kept."""
        return frozenset(row.id for row in self.extra())

    def count(self) -> int:
        return len(self.extra()) + super().count()

    def finish_count(self) -> int:
        return len(self.extra()) + super().finish_count()

    def row(self, index: int, *, read: bool = True) -> KnownUpload | None:
        extra = self.extra()
        if 0 <= index < len(extra):
            return extra[index]
        return super().row(index - len(extra), read=read) if index >= 0 else None

    def page_read(self, index: int) -> bool:
        extra = self.extra()
        return index < len(extra) or super().page_read(index - len(extra))

    def cached_index_of(self, upload_id: str) -> int | None:
        extra = self.extra()
        for index, row in enumerate(extra):
            if row.id == upload_id:
                return index
        found = super().cached_index_of(upload_id)
        return None if found is None else found + len(extra)

    def ids(self) -> list[str]:
        return [row.id for row in self.extra()] + super().ids()

    def invalidate(self) -> None:
        super().invalidate()
        self._extra = None
