"""The store interface: the verbs the service layer uses, as a ``typing.Protocol``.

``store.sqlite.Store`` implements it, and so does the team store
(``store.postgres.store.PostgresStore``); both pass the same tests. The service annotates its
store with ``StoreProtocol``, so that it depends on these verbs only, never on SQLite.

What each verb promises (the SQLite store's docstrings say more):

- writes are atomic (one transaction per call) and raise the ``StoreError`` family;
- ``record_snapshot(s)`` also settles, as ``reconciled``, the open intents of those uploads
  whose holder is gone (from the status just read: never by sending again);
- ``begin_intent`` commits before it returns, at most one intent per upload is open at a time
  (whatever its action), and the loser gets ``IntentHeldError`` naming the holder.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from scenario_tui.store.activity import ActivityEvent
from scenario_tui.store.changes import Change, ChangeFeed
from scenario_tui.store.claims import DEFAULT_CLAIM_MINUTES, Claim, ClaimResult
from scenario_tui.store.intents import Holder, Intent
from scenario_tui.store.parts import SourceFile
from scenario_tui.store.rows import AddResult, KnownUpload


class StoreProtocol(Protocol):
    """The verbs of a store of known uploads, their activity log and their ledgers."""

    #: where it lives, as it may be shown: a file's path, or a database URL without password
    location: str
    read_only: bool
    #: who this store's user is: holds its claims (a team store: the database user)
    actor: str

    @property
    def connected(self) -> bool:
        """False while a team store's server cannot be reached: calls then fail at once for a
        short while, without trying (a local store: always True)."""
        ...

    def close(self) -> None: ...

    def follow_changes(self, on_change: Callable[[Change], None],
                       on_state: Callable[[bool], None]) -> ChangeFeed | None:
        """Follow teammates' changes (``store.changes``): a running feed, or None where there
        is nobody to follow (a local store: its reader keeps polling)."""
        ...

    def verify(self) -> None:
        """Check the store's integrity (a local file: every page), raising StoreCorruptError;
        a team store has nothing to check here (the server keeps its pages)."""
        ...

    # --- uploads ---------------------------------------------------------------------------

    # with ``log``, these four write their activity log entries in their own transaction

    def add(self, ids: Iterable[str], note: str | None = None, *, log: bool = False,
            profile: str | None = None) -> AddResult: ...

    def remove(self, ids: Iterable[str], *, log: bool = False,
               profile: str | None = None) -> builtins.list[KnownUpload]: ...

    def restore(self, rows: Iterable[KnownUpload], *, log: bool = False,
                profile: str | None = None) -> int: ...

    def get(self, upload_id: str) -> KnownUpload | None: ...

    def contains(self, upload_id: str) -> bool: ...

    def known_of(self, upload_ids: Iterable[str]) -> set[str]: ...

    def list(self, *, search: str | None = None, status: str | None = None,
             sort: str = "added", descending: bool = True, limit: int | None = None,
             offset: int = 0, snapshots: bool = True) -> builtins.list[KnownUpload]: ...

    def ids(self, *, search: str | None = None, status: str | None = None, sort: str = "added",
            descending: bool = True, limit: int | None = None,
            offset: int = 0) -> builtins.list[str]: ...

    def count(self, search: str | None = None, status: str | None = None) -> int: ...

    def search_seqs(self, *, search: str | None = None, status: str | None = None,
                    sort: str = "added", descending: bool = True,
                    limit: int | None = None) -> builtins.list[int]: ...

    def rows_by_seq(self, seqs: Sequence[int]) -> builtins.list[KnownUpload | None]: ...

    def ids_to_refresh(self, limit: int) -> builtins.list[str]: ...

    def record_snapshot(self, upload_id: str, snapshot: dict[str, Any],
                        fetched_at: datetime | None = None) -> bool: ...

    def record_snapshots(self, snapshots: Iterable[tuple[str, dict[str, Any]]],
                         fetched_at: datetime | None = None) -> builtins.list[bool]: ...

    def record_not_found(self, upload_id: str, checked_at: datetime | None = None) -> bool: ...

    def set_note(self, upload_id: str, note: str, *, log: bool = False,
                 profile: str | None = None, message: str | None = None) -> bool:
        """Replace the note; with ``log``, the "note" entry (saying ``message``) in the same
        transaction. False when the upload is not there (nothing written)."""

    # --- activity log ----------------------------------------------------------------------

    def log_event(self, *, action: str, outcome: str, upload_id: str | None = None,
                  profile: str | None = None, http_status: int | None = None,
                  message: str | None = None,
                  upload_ids: Sequence[str] | None = None) -> ActivityEvent: ...

    def events(self, *, limit: int = 200,
               upload_id: str | None = None) -> builtins.list[ActivityEvent]: ...

    # --- intent ledger ---------------------------------------------------------------------

    def begin_intent(self, upload_id: str, action: str, holder: Holder, *,
                     profile: str | None = None, after: int | None = None,
                     log_message: str | None = None,
                     snapshot: dict[str, Any] | None = None) -> Intent: ...

    def settle_intent(self, intent: Intent, state: str, *, message: str | None = None,
                      http_status: int | None = None, log_action: str | None = None,
                      log_outcome: str | None = None, snapshot: dict[str, Any] | None = None,
                      release_claim: bool = False) -> None: ...

    def heartbeat_intent(self, intent: Intent) -> bool: ...

    def latest_intent(self, upload_id: str) -> Intent | None: ...

    def latest_intents(self, upload_ids: builtins.list[str]) -> dict[str, Intent]: ...

    def intents(self, *, upload_id: str | None = None,
                limit: int = 200) -> builtins.list[Intent]: ...

    # --- parts ledger ----------------------------------------------------------------------

    def record_part(self, upload_id: str, part_number: int, size: int,
                    sha256: str | None = None) -> None: ...

    def parts_sent(self, upload_id: str) -> dict[int, int]: ...

    def part_digests(self, upload_id: str) -> dict[int, str]: ...

    def record_source_file(self, upload_id: str, source: SourceFile) -> None: ...

    def source_file(self, upload_id: str) -> SourceFile | None: ...

    # --- claims ------------------------------------------------------------------------------

    def claim(self, upload_ids: Sequence[str], minutes: float = DEFAULT_CLAIM_MINUTES, *,
              profile: str | None = None) -> ClaimResult: ...

    def release(self, upload_ids: Sequence[str], *, profile: str | None = None) -> int: ...

    def claims(self, upload_ids: Sequence[str] | None = None) -> dict[str, Claim]: ...
