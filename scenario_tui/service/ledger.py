"""The service's side of the intent ledger (``store.intents``): who this process is, opening an
intent before anything is sent, settling it after, and a heartbeat while parts go up.

Settling is best effort by design: it comes *after* the API answered, so a store that is locked
or full at that moment must not turn a POST that went through into a failure. The settlement is
kept and tried again at the next ``begin``, and the caller gets a warning to show.

Headless (no Textual).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from scenario_tui.core import errors
from scenario_tui.core.redact import scrub
from scenario_tui.store.intents import HEARTBEAT_SECONDS, Holder, Intent
from scenario_tui.store.protocol import StoreProtocol

#: the label of a holder when the command does not name itself
DEFAULT_LABEL = "scenario-tui"


@dataclass(frozen=True)
class _Settlement:
    intent: Intent
    state: str
    message: str | None
    http_status: int | None
    log_action: str | None
    log_outcome: str | None
    release_claim: bool

    def apply(self, store: StoreProtocol, snapshot: dict[str, Any] | None = None) -> None:
        store.settle_intent(self.intent, self.state, message=self.message,
                            http_status=self.http_status, log_action=self.log_action,
                            log_outcome=self.log_outcome, snapshot=snapshot,
                            release_claim=self.release_claim)


class IntentLedger:
    """Opens and settles this process's intents on ``store``. ``label`` names the holder to
    other processes ("scenario-tui complete", "scenario-tui upload", "the TUI")."""

    def __init__(self, store: StoreProtocol, profile: str | None,
                 label: str = DEFAULT_LABEL) -> None:
        self.store = store
        self.profile = profile
        self.label = label
        #: settlements the store refused (locked, full), by intent id, to try again
        self._unsettled: dict[int, _Settlement] = {}

    def holder(self) -> Holder:
        return Holder.this_process(self.label)

    def begin(self, upload_id: str, action: str, *, after: int | None = None,
              log_message: str | None = None, snapshot: dict[str, Any] | None = None) -> Intent:
        """Open an intent (committed before this returns, with ``snapshot``, the read it rests
        on, when given). Raises ``IntentHeldError``, ``UploadChangedError`` or a
        ``StoreError``: then send nothing."""
        self.retry_unsettled()
        return self.store.begin_intent(
            upload_id, action, self.holder(), profile=self.profile, after=after,
            log_message=scrub(log_message) if log_message else None, snapshot=snapshot)

    def settle(self, intent: Intent, state: str, *, message: str | None = None,
               http_status: int | None = None, log_action: str | None = None,
               log_outcome: str | None = None, snapshot: dict[str, Any] | None = None,
               release_claim: bool = False) -> str | None:
        """Settle ``intent`` and log it, with ``snapshot`` (the API's answer) when given and
        with ``release_claim`` my claim on its upload ended, in one transaction. None when
        done; else (the store failed) a warning to show the user, and the settlement is tried
        again later (without the answer: by then a newer read may be saved)."""
        settlement = _Settlement(intent, state, scrub(message) if message else None,
                                 http_status, log_action, log_outcome, release_claim)
        try:
            settlement.apply(self.store, snapshot)
        except errors.StoreError as exc:
            self._unsettled[intent.id] = settlement
            what = "complete" if intent.action == "complete" else "transfer of the parts"
            lost = ", and the answer was not saved" if snapshot is not None else ""
            return (f"Warning: the activity log could not be updated ({exc.message}); its last "
                    f"entry for {intent.upload_id} still says the {what} was under way{lost}.")
        return None

    @property
    def unsettled(self) -> int:
        """Settlements the store refused, kept to try again."""
        return len(self._unsettled)

    def retry_unsettled(self) -> None:
        """Try again the settlements the store refused before (quietly: they are still kept
        if it refuses again)."""
        for intent_id, settlement in list(self._unsettled.items()):
            try:
                settlement.apply(self.store)
            except errors.StoreError:
                return
            del self._unsettled[intent_id]

    def beater(self, intent: Intent, clock: Callable[[], float],
               every: float = HEARTBEAT_SECONDS, *,
               start: Callable[[Callable[[], None]], object] | None = None,
               ) -> Callable[[], None]:
        """A function to call often while working: at most every ``every`` seconds (by
        ``clock``) it tells the store the holder of ``intent`` is still at work; in place, or
        handed to ``start`` (the TUI's: to a thread, not waited for)."""
        last = clock()

        def heartbeat() -> None:
            try:
                self.store.heartbeat_intent(intent)
            except errors.StoreError:
                pass  # a missed beat only matters after many: the next one may pass

        def beat() -> None:
            nonlocal last
            now = clock()
            if now - last < every:
                return
            last = now
            if start is None:
                heartbeat()
            else:
                start(heartbeat)

        return beat
