"""Claims: "I am on this upload", for a while. A team member takes (``t``, ``scenario-tui
claim``) the uploads they triage, so that the others see who is on each one, and a ``complete``
by someone else asks them first. A claim ends when its time is up (renewed while its holder
acts), or when it is released.

Who holds a claim is the store's ``actor``: the database user in a team store (the server says
who it is, the client cannot pretend), the login name in a local store. The values and rules
here are backend-neutral; the functions below ``ClaimVerbs`` are the SQLite side.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, NamedTuple, TypeVar

from scenario_tui.core.timestamps import parse_time, to_iso
from scenario_tui.store import activity
from scenario_tui.store.sql import chunks, marks

T = TypeVar("T")
#: how long a claim lasts unless renewed (the ``claim_minutes`` setting)
DEFAULT_CLAIM_MINUTES = 30.0


@dataclass(frozen=True)
class Claim:
    """One upload held by one person until ``expires_at``."""

    upload_id: str
    holder: str
    claimed_at: str
    expires_at: str

    def active(self, now: datetime) -> bool:
        until = parse_time(self.expires_at)
        return until is not None and now < until

    def minutes_left(self, now: datetime) -> int:
        until = parse_time(self.expires_at)
        return 0 if until is None else max(0, int((until - now).total_seconds() // 60))


class ClaimResult(NamedTuple):
    """What ``claim`` did: the claims now mine (new or renewed), and those another holds."""

    mine: list[Claim]
    held: list[Claim]


class ClaimVerbs:
    """Mixed into ``store.sqlite.Store``, which provides ``_run``, ``_now``, ``_clock`` and
    ``actor``."""

    if TYPE_CHECKING:
        _clock: Callable[[], datetime]
        actor: str

        def _run(self, action: str, body: Callable[[sqlite3.Connection], T], *,
                 write: bool = False, one_statement: bool = False) -> T: ...

        def _now(self) -> str: ...

    def claim(self, upload_ids: Sequence[str], minutes: float = DEFAULT_CLAIM_MINUTES, *,
              profile: str | None = None) -> ClaimResult:
        """Claim (or renew) ``upload_ids`` for the store's actor for ``minutes``; those another
        holds (and has not let expire) are left to them and returned in ``held``. Uploads not
        in the store are skipped. One transaction, with one activity entry listing the IDs."""
        now, wanted = self._clock(), list(dict.fromkeys(upload_ids))
        return self._run("claim uploads", lambda c: take(
            c, wanted, self.actor, now, minutes, profile), write=True)

    def release(self, upload_ids: Sequence[str], *, profile: str | None = None) -> int:
        """Release the actor's own claims on ``upload_ids``; how many were released (another's
        claim is left alone)."""
        now, wanted = self._clock(), list(dict.fromkeys(upload_ids))
        return self._run("release uploads", lambda c: give_back(
            c, wanted, self.actor, now, profile), write=True)

    def claims(self, upload_ids: Sequence[str] | None = None) -> dict[str, Claim]:
        """The active claims (of ``upload_ids``, or all), by upload ID."""
        now = self._clock()
        wanted = None if upload_ids is None else list(upload_ids)
        return self._run("read claims", lambda c: active(c, wanted, now))


# --- the SQLite side ---------------------------------------------------------------------------

_COLUMNS = "upload_id, holder, claimed_at, expires_at"


def take(c: sqlite3.Connection, wanted: builtins.list[str], actor: str, now: datetime,
         minutes: float, profile: str | None) -> ClaimResult:
    at, until = to_iso(now), to_iso(now + timedelta(minutes=minutes))
    current = active(c, wanted, now)
    known = {row[0] for chunk in chunks(wanted) for row in c.execute(
        f"SELECT id FROM uploads WHERE id IN ({marks(chunk)})", chunk)}
    held = [claim for i, claim in current.items() if claim.holder != actor]
    mine = [Claim(i, actor, current[i].claimed_at if i in current else at, until)
            for i in wanted if i in known and (i not in current or current[i].holder == actor)]
    c.executemany(f"INSERT OR REPLACE INTO claims ({_COLUMNS}) VALUES (?, ?, ?, ?)",
                  [(m.upload_id, m.holder, m.claimed_at, m.expires_at) for m in mine])
    fresh = [m.upload_id for m in mine if m.upload_id not in current]  # a renewal is not news
    if fresh:
        activity.append(c, at, profile, None, "claim", "ok", None,
                        f"{len(fresh)} claimed until {until[11:16]} UTC", fresh)
    return ClaimResult(mine, held)


def give_back(c: sqlite3.Connection, wanted: builtins.list[str], actor: str, now: datetime,
              profile: str | None) -> int:
    gone: set[str] = set()
    for chunk in chunks(wanted):
        gone.update(row[0] for row in c.execute(
            f"DELETE FROM claims WHERE holder = ? AND upload_id IN ({marks(chunk)})"
            " RETURNING upload_id", (actor, *chunk)))
    released = [i for i in wanted if i in gone]  # in the order asked, as the team store's
    if released:
        activity.append(c, to_iso(now), profile, None, "release", "ok", None,
                        f"{len(released)} released", released)
    return len(released)


def active(c: sqlite3.Connection, wanted: builtins.list[str] | None,
           now: datetime) -> dict[str, Claim]:
    at = to_iso(now)
    if wanted is None:
        rows = c.execute(f"SELECT {_COLUMNS} FROM claims WHERE expires_at > ?", (at,)).fetchall()
    else:
        rows = []
        for chunk in chunks(wanted):
            rows += c.execute(f"SELECT {_COLUMNS} FROM claims WHERE expires_at > ?"
                              f" AND upload_id IN ({marks(chunk)})", (at, *chunk)).fetchall()
    return {row[0]: Claim(*row) for row in rows}
