"""Claims, as the app uses them: take and release uploads for this store's user, say who holds
the others, and renew one's own claims while acting on them (``store.claims`` has the rules)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Callable

from scenario_tui.core import errors
from scenario_tui.store.claims import DEFAULT_CLAIM_MINUTES, Claim, ClaimResult
from scenario_tui.store.protocol import StoreProtocol

#: a claim taken or read by this desk is not read again for renewal within this time
_RECHECK_SECONDS = 60.0
#: uploads remembered before those past their minute are forgotten
_SEEN_AT_MOST = 10_000


class ClaimDesk:
    """The claim verbs of one service (one store, one profile)."""

    def __init__(self, store: StoreProtocol, profile: str, *,
                 minutes: float = DEFAULT_CLAIM_MINUTES,
                 refuse_if_read_only: Callable[[str], None] = lambda what: None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.store = store
        self.profile = profile
        self.minutes = minutes
        self._refuse = refuse_if_read_only
        self._now = now
        #: when this desk last took my claim on an upload or looked whether it holds one (a
        #: claim written or read less than a minute ago is neither read nor renewed again)
        self._seen: dict[str, datetime] = {}

    @property
    def me(self) -> str:
        return self.store.actor

    def take(self, upload_ids: Iterable[str], minutes: float | None = None) -> ClaimResult:
        """Claim (or renew) ``upload_ids`` for me; those another holds are returned, not taken."""
        self._refuse("claim uploads")
        result = self.store.claim(list(upload_ids), minutes or self.minutes, profile=self.profile)
        self._saw([claim.upload_id for claim in result.mine], self._now())
        return result

    def release(self, upload_ids: Iterable[str]) -> int:
        """Release my claims on ``upload_ids``; how many were mine."""
        self._refuse("release uploads")
        wanted = list(upload_ids)
        for upload_id in wanted:
            self._seen.pop(upload_id, None)
        return self.store.release(wanted, profile=self.profile)

    def held_by_others(self, upload_ids: Iterable[str]) -> dict[str, Claim]:
        """The active claims of ``upload_ids`` that someone else holds."""
        return {i: c for i, c in self.store.claims(list(upload_ids)).items() if c.holder != self.me}

    def renew_mine(self, upload_ids: Iterable[str]) -> None:
        """Renew those of ``upload_ids`` I hold (acting on them keeps them mine), once their
        first minute has run (a claim is not rewritten for every upload a bulk action touches,
        nor read again for each when this desk took or read it less than a minute ago); a
        store that cannot be written now does not stop the action (the claim runs out on its
        own)."""
        now = self._now()
        wanted = self.due(upload_ids, now)
        if not wanted:
            return
        try:
            mine = [i for i, c in self.store.claims(wanted).items()
                    if c.holder == self.me and c.minutes_left(now) < self.minutes - 1]
            if mine:
                self.store.claim(mine, self.minutes, profile=self.profile)
        except errors.StoreError:
            return
        self._saw(wanted, now)

    def due(self, upload_ids: Iterable[str], now: datetime | None = None) -> list[str]:
        """Those of ``upload_ids`` whose claim ``renew_mine`` would look at (not taken nor
        looked at by this desk within the last minute); no store call."""
        now = now or self._now()
        return [i for i in upload_ids if i not in self._seen
                or (now - self._seen[i]).total_seconds() >= _RECHECK_SECONDS]

    def _saw(self, upload_ids: list[str], now: datetime) -> None:
        if len(self._seen) > _SEEN_AT_MOST:  # forget those past their minute
            self._seen = {i: at for i, at in self._seen.items()
                          if (now - at).total_seconds() < _RECHECK_SECONDS}
        self._seen.update(dict.fromkeys(upload_ids, now))

    def describe(self, claim: Claim, now: datetime | None = None) -> str:
        """'claimed by ann (24 min left)' — 'by you' for my own (``now``: the caller's clock)."""
        who = "you" if claim.holder == self.me else claim.holder
        return f"claimed by {who} ({claim.minutes_left(now or self._now())} min left)"
