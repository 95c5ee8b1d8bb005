"""Claims, as the app uses them: take and release uploads for this store's user, say who holds
the others, and renew one's own claims while acting on them (``store.claims`` has the rules)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Callable

from scenario_tui.core import errors
from scenario_tui.store.claims import DEFAULT_CLAIM_MINUTES, Claim, ClaimResult
from scenario_tui.store.protocol import StoreProtocol


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

    @property
    def me(self) -> str:
        return self.store.actor

    def take(self, upload_ids: Iterable[str], minutes: float | None = None) -> ClaimResult:
        """Claim (or renew) ``upload_ids`` for me; those another holds are returned, not taken."""
        self._refuse("claim uploads")
        return self.store.claim(list(upload_ids), minutes or self.minutes, profile=self.profile)

    def release(self, upload_ids: Iterable[str]) -> int:
        """Release my claims on ``upload_ids``; how many were mine."""
        self._refuse("release uploads")
        return self.store.release(list(upload_ids), profile=self.profile)

    def held_by_others(self, upload_ids: Iterable[str]) -> dict[str, Claim]:
        """The active claims of ``upload_ids`` that someone else holds."""
        return {i: c for i, c in self.store.claims(list(upload_ids)).items() if c.holder != self.me}

    def renew_mine(self, upload_ids: Iterable[str]) -> None:
        """Renew those of ``upload_ids`` I hold (acting on them keeps them mine), once their
        first minute has run (a claim is not rewritten for every upload a bulk action touches);
        a store that cannot be written now does not stop the action (the claim runs out on its
        own)."""
        wanted, now = list(upload_ids), self._now()
        try:
            mine = [i for i, c in self.store.claims(wanted).items()
                    if c.holder == self.me and c.minutes_left(now) < self.minutes - 1]
            if mine:
                self.store.claim(mine, self.minutes, profile=self.profile)
        except errors.StoreError:
            pass

    def describe(self, claim: Claim, now: datetime | None = None) -> str:
        """'claimed by ann (24 min left)' — 'by you' for my own (``now``: the caller's clock)."""
        who = "you" if claim.holder == self.me else claim.holder
        return f"claimed by {who} ({claim.minutes_left(now or self._now())} min left)"
