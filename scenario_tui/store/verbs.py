"""The store's verbs on uploads and on the activity log, written once for both backends.

``sqlite.Store`` and ``postgres.store.PostgresStore`` mix ``UploadVerbs`` in and say where their
SQL is (``_uploads_sql``: the uploads table's functions; ``_activity_sql``: the activity log's;
``_intents_sql``: ``reconcile``, which settles an open intent whose holder is gone from what
was just read), how a verb runs (``_run``: one transaction when it writes, every driver error
translated into the ``StoreError`` family) and how a page of the list is read (``_page``; with
``count`` and ``search_seqs``: the searches differ).

``log=True`` (add, remove, restore, set_note): the verb's entries in the activity log, under
``profile``, are written in the verb's own transaction: a crash keeps both or neither.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from scenario_tui.core.timestamps import to_iso
from scenario_tui.store.activity import ActivityEvent
from scenario_tui.store.rows import (
    COLUMNS,
    COLUMNS_NO_SNAPSHOT,
    AddResult,
    KnownUpload,
    known,
    row_values,
    snapshot_values,
)
from scenario_tui.store.uploads import LoggedBy

T = TypeVar("T")


class UploadVerbs:
    """Mixed into each store, which provides ``_clock``, ``_run``, ``_page`` and the SQL."""

    #: the backend's SQL modules (see the module's docstring)
    _uploads_sql: Any
    _activity_sql: Any
    _intents_sql: Any

    if TYPE_CHECKING:
        _clock: Callable[[], datetime]

        def _run(self, action: str, body: Callable[[Any], T], *, write: bool = False,
                 one_statement: bool = False) -> T: ...

        def _page(self, columns: str, search: str | None, status: str | None, sort: str,
                  descending: bool, limit: int | None, offset: int) -> builtins.list[tuple]: ...

    def add(self, ids: Iterable[str], note: str | None = None, *, log: bool = False,
            profile: str | None = None) -> AddResult:
        """Add upload IDs (duplicates dropped, order kept). Known IDs are left exactly as they are,
        note and snapshot included, and reported in ``existing``. Logged: "N added"."""
        wanted, now, by = list(dict.fromkeys(ids)), self._now(), self._by(log, profile)
        return self._run("add uploads", lambda c: self._uploads_sql.add(
            c, wanted, note or "", now, by), write=True)

    def remove(self, ids: Iterable[str], *, log: bool = False,
               profile: str | None = None) -> builtins.list[KnownUpload]:
        """Forget upload IDs; return the removed rows (oldest first) so ``restore`` can undo it.
        Logged: one entry per removed row."""
        wanted, by = list(dict.fromkeys(ids)), self._by(log, profile)
        return self._run("remove uploads", lambda c: self._uploads_sql.remove(c, wanted, by),
                         write=True)

    def restore(self, rows: Iterable[KnownUpload], *, log: bool = False,
                profile: str | None = None) -> int:
        """Put back rows returned by ``remove`` exactly (same seq, note, snapshot, dates). A row
        whose ID was added again since replaces that newer entry. Returns how many were put back.
        Logged: one entry per row."""
        values, by = [row_values(row) for row in rows], self._by(log, profile)
        return self._run("restore uploads", lambda c: self._uploads_sql.restore(c, values, by),
                         write=True)

    def get(self, upload_id: str) -> KnownUpload | None:
        """The stored row for ``upload_id``, or None."""
        return self._run("read an upload", lambda c: self._uploads_sql.get(c, upload_id))

    def contains(self, upload_id: str) -> bool:
        """Whether ``upload_id`` is in the store."""
        return self._run("read an upload", lambda c: self._uploads_sql.contains(c, upload_id))

    def known_of(self, upload_ids: Iterable[str]) -> set[str]:
        """Those of ``upload_ids`` in the store: one read (``contains`` for many)."""
        wanted = builtins.list(dict.fromkeys(upload_ids))
        return self._run("read uploads", lambda c: self._uploads_sql.known_of(c, wanted))

    def list(self, *, search: str | None = None, status: str | None = None, sort: str = "added",
             descending: bool = True, limit: int | None = None, offset: int = 0,
             snapshots: bool = True) -> builtins.list[KnownUpload]:
        """A page of uploads. ``search`` is a case-insensitive substring of ID, file name, note or
        status; ``status`` an exact status; ``sort`` a key of SORT_KEYS ("added" = newest first
        when descending); ties are broken by insertion order. ``snapshots=False`` leaves each
        row's ``snapshot`` None (not read, not parsed) when only the columns are wanted."""
        columns = COLUMNS if snapshots else COLUMNS_NO_SNAPSHOT
        return [known(r) for r in self._page(columns, search, status, sort, descending,
                                             limit, offset)]

    def ids(self, *, search: str | None = None, status: str | None = None, sort: str = "added",
            descending: bool = True, limit: int | None = None,
            offset: int = 0) -> builtins.list[str]:
        """Like ``list`` but only the IDs."""
        return [r[0] for r in self._page("id", search, status, sort, descending, limit, offset)]

    def rows_by_seq(self, seqs: Sequence[int]) -> builtins.list[KnownUpload | None]:
        """The rows with these ``seq`` values, in the same order (None where one is gone)."""
        wanted = list(seqs)
        return self._run("list uploads", lambda c: self._uploads_sql.by_seq(c, wanted))

    def ids_to_refresh(self, limit: int) -> builtins.list[str]:
        """Uploads never fetched or not final yet, most recently added first, at most ``limit``."""
        return self._run("read uploads", lambda c: self._uploads_sql.to_refresh(c, limit))

    def record_snapshot(self, upload_id: str, snapshot: dict[str, Any],
                        fetched_at: datetime | None = None) -> bool:
        """Store what the API returned for an upload, credentials stripped from its URLs.
        Returns False (and stores nothing) when the ID is no longer in the store."""
        return self._save_snapshots("save an upload", [(upload_id, snapshot)], fetched_at)[0]

    def record_snapshots(self, snapshots: Iterable[tuple[str, dict[str, Any]]],
                         fetched_at: datetime | None = None) -> builtins.list[bool]:
        """``record_snapshot`` for many uploads in one transaction: every one is stored, or
        (on any error) none. Returns, in order, whether each ID was still in the store."""
        return self._save_snapshots("save uploads", builtins.list(snapshots), fetched_at)

    def record_not_found(self, upload_id: str, checked_at: datetime | None = None) -> bool:
        """Record that the API answered 404 for ``upload_id`` (its last snapshot is kept; the
        next answer clears it). False when the ID is no longer in the store."""
        at = to_iso(checked_at or self._clock())
        return self._run("save an upload", lambda c: self._uploads_sql.mark_not_found(
            c, upload_id, at), write=True, one_statement=True)

    def set_note(self, upload_id: str, note: str, *, log: bool = False,
                 profile: str | None = None, message: str | None = None) -> bool:
        """Replace the note of an upload (logged saying ``message``; a team store sets its
        author, ``note_by``, from the session user). Returns False (nothing written, nothing
        logged) when the ID is not in the store, as when another process removed it
        meanwhile."""
        by = self._by(log, profile)
        return self._run("save a note", lambda c: self._uploads_sql.set_note(
            c, upload_id, note, by, message), write=True)

    # --- the activity log --------------------------------------------------------------------

    def log_event(self, *, action: str, outcome: str, upload_id: str | None = None,
                  profile: str | None = None, http_status: int | None = None,
                  message: str | None = None,
                  upload_ids: Sequence[str] | None = None) -> ActivityEvent:
        """Append one entry to the activity log (never updated or pruned; a team store sets
        its ``actor`` from the session user). ``upload_ids``: the uploads a bulk entry (no
        ``upload_id``) touched."""
        at = self._now()
        return self._run("log activity", lambda c: self._activity_sql.append(
            c, at, profile, upload_id, action, outcome, http_status, message, upload_ids),
            write=True, one_statement=True)

    def events(self, *, limit: int = 200,
               upload_id: str | None = None) -> builtins.list[ActivityEvent]:
        """The newest ``limit`` activity entries, newest first, optionally for one upload."""
        return self._run("read activity", lambda c: self._activity_sql.newest(
            c, limit, upload_id))

    # --- plumbing ----------------------------------------------------------------------------

    def _now(self) -> str:
        return to_iso(self._clock())

    def _by(self, log: bool, profile: str | None) -> LoggedBy | None:
        return LoggedBy(self._now(), profile) if log else None

    def _save_snapshots(self, action: str, snapshots: builtins.list[tuple[str, dict[str, Any]]],
                        fetched_at: datetime | None) -> builtins.list[bool]:
        at = to_iso(fetched_at or self._clock())
        rows = [snapshot_values(upload_id, snapshot, at) for upload_id, snapshot in snapshots]
        if not rows:
            return []
        # an open intent whose holder is gone is settled from what was just read (never resent)
        statuses = {row[-1]: row[2] for row in rows}
        now, clock = self._now(), self._clock()

        def save(c: Any) -> builtins.list[bool]:
            saved = self._uploads_sql.save_snapshots(c, rows)
            self._intents_sql.reconcile(c, statuses, now, clock)
            return saved

        return self._run(action, save, write=True)
