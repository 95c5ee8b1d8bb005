"""The stores' ledger verbs, mixed into both (``sqlite.Store``, ``postgres.store.PostgresStore``):
the intent ledger (``begin_intent``, ``settle_intent``, ``heartbeat_intent``, ``latest_intent``,
``intents``) and the parts ledger (``record_part``, ``parts_sent``, ``part_digests``,
``record_source_file``, ``source_file``). The SQL is the store's own (``_intents_sql``: locally
``intents``; ``_parts_sql``: locally ``parts``); each verb runs it through the store's ``_run``
(one transaction per write, every driver and OS failure translated). On a team store the
database lets one member hold an upload's intent: the others get ``IntentHeldError`` naming
who ("ann's process 1234 ... on host ws-7")."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from scenario_tui.store.intent_model import Holder, Intent, working
from scenario_tui.store.parts import SourceFile
from scenario_tui.store.rows import snapshot_values

T = TypeVar("T")


class LedgerVerbs:
    """Mixed into each store, which provides ``_run``, ``_now``, ``_clock``, ``actor`` and the
    SQL."""

    _intents_sql: Any
    _parts_sql: Any
    actor: str

    if TYPE_CHECKING:
        _clock: Callable[[], datetime]

        def _run(self, action: str, body: Callable[[Any], T], *, write: bool = False,
                 one_statement: bool = False) -> T: ...

        def _now(self) -> str: ...

        def _snapshot_writer(self, snapshots: builtins.list[tuple[str, dict[str, Any]]],
                             fetched_at: datetime | None = None, *,
                             reconcile: bool = True) -> Callable[[Any], builtins.list[bool]]: ...

    # --- intents -------------------------------------------------------------------------------

    def begin_intent(self, upload_id: str, action: str, holder: Holder, *,
                     profile: str | None = None, after: int | None = None,
                     log_message: str | None = None,
                     snapshot: dict[str, Any] | None = None) -> Intent:
        """Open an intent for ``upload_id``, committed before this returns and before anything
        is sent. Raises ``IntentHeldError`` (naming the holder) when an intent of any action is
        open for it, ``UploadChangedError`` when ``after`` is given and a newer intent exists
        (another actor acted since the caller's read), a ``StoreError`` when it cannot be
        written: in each case, send nothing (and nothing is written). ``log_message``: the
        activity entry (outcome ``sending``) committed with it; ``snapshot``: the read the
        decision rests on, saved with it (as ``record_snapshot``). A team store writes the
        three in one statement: one round trip to the server."""
        at, now = self._now(), self._clock()
        row = None if snapshot is None else snapshot_values(upload_id, snapshot, at)
        intent: Intent = self._run("record the intent", lambda c: self._intents_sql.begin(
            c, upload_id, action, holder, profile, after, log_message, at, now, row),
            write=True, one_statement=True)
        working(intent)  # opened by a call that failed instead, it would be taken for abandoned
        return intent

    def settle_intent(self, intent: Intent, state: str, *, message: str | None = None,
                      http_status: int | None = None, log_action: str | None = None,
                      log_outcome: str | None = None, snapshot: dict[str, Any] | None = None,
                      release_claim: bool = False) -> None:
        """Record how ``intent`` ended (``state``: one of ``intents.SETTLED``) and append its
        activity entry (``log_action``/``log_outcome`` default to its action and ``state``),
        with ``snapshot`` (the API's answer for the intent's upload, as ``record_snapshot``)
        when given, and with ``release_claim`` the actor's own claim on the upload ended (the
        work it was taken for is done; nobody else's claim is touched, and no entry of its
        own is logged): all or nothing, in one statement on a team store."""
        at = self._now()
        row = None if snapshot is None else snapshot_values(intent.upload_id, snapshot, at)
        release_for = self.actor if release_claim else None
        self._run("settle the intent", lambda c: self._intents_sql.settle(
            c, intent, state, message, http_status, log_action, log_outcome, at, row,
            release_for), write=True, one_statement=True)
        working(intent, done=True)

    def heartbeat_intent(self, intent: Intent) -> bool:
        """Say the holder of ``intent`` is still at work; False if it is no longer open."""
        at = self._now()
        return self._run("save a heartbeat", lambda c: self._intents_sql.heartbeat(c, intent, at),
                         write=True, one_statement=True)

    def latest_intent(self, upload_id: str) -> Intent | None:
        """The newest intent of ``upload_id`` (``stale`` when open and its holder is gone)."""
        now = self._clock()
        return self._run("read intents", lambda c: self._intents_sql.latest(c, upload_id, now))

    def latest_intents(self, upload_ids: builtins.list[str]) -> dict[str, Intent]:
        """``latest_intent`` of each of ``upload_ids`` that has one, by upload ID: one read."""
        now, wanted = self._clock(), builtins.list(dict.fromkeys(upload_ids))
        return self._run("read intents", lambda c: self._intents_sql.latest_each(c, wanted, now))

    def intents(self, *, upload_id: str | None = None,
                limit: int = 200) -> builtins.list[Intent]:
        """The newest ``limit`` intents, newest first, optionally for one upload."""
        now = self._clock()
        return self._run("read intents", lambda c: self._intents_sql.history(
            c, upload_id, limit, now))

    # --- parts ---------------------------------------------------------------------------------

    def record_part(self, upload_id: str, part_number: int, size: int,
                    sha256: str | None = None) -> None:
        """Remember that a part of a multipart upload was sent (for resuming), with the hash of
        the bytes sent."""
        at = self._now()
        self._run("save an upload part",
                  lambda c: self._parts_sql.record(c, upload_id, part_number, size, at, sha256),
                  write=True)

    def parts_sent(self, upload_id: str) -> dict[int, int]:
        """Part number -> size of the parts recorded as sent for ``upload_id``."""
        return self._run("read upload parts", lambda c: self._parts_sql.sent(c, upload_id))

    def part_digests(self, upload_id: str) -> dict[int, str]:
        """Part number -> SHA-256 (hex) of the sent parts whose hash was recorded."""
        return self._run("read upload parts", lambda c: self._parts_sql.digests(c, upload_id))

    def record_source_file(self, upload_id: str, source: SourceFile) -> None:
        """Remember the local file ``upload_id`` is made from (the first record is kept)."""
        at = self._now()
        self._run("save the upload's file",
                  lambda c: self._parts_sql.record_source(c, upload_id, source, at), write=True)

    def source_file(self, upload_id: str) -> SourceFile | None:
        """What was recorded of the local file of ``upload_id``, or None."""
        return self._run("read the upload's file", lambda c: self._parts_sql.source(c, upload_id))
