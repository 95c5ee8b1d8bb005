"""Claims in the team store, as SQL (the twin of the SQLite side of ``store.claims``, same
meaning). The holder is the session user, set by the server: a member cannot claim in another's
name. Two members claiming one upload at once: the database serialises them on its row, and the
second finds it held (``ClaimResult.held``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from scenario_tui.core.timestamps import to_iso
from scenario_tui.store.claims import Claim, ClaimResult

_COLUMNS = "upload_id, holder, claimed_at, expires_at"


def take(c: psycopg.Connection, wanted: list[str], now: datetime, minutes: float,
         profile: str | None) -> ClaimResult:
    """Claim or renew those of ``wanted`` (no duplicates) in the store and not held by another
    (an expired claim is anyone's), in one statement (one round trip) with the activity entry
    that lists the IDs newly claimed; the others' active claims come back with it."""
    at, until = to_iso(now), to_iso(now + timedelta(minutes=minutes))
    rows = c.execute(
        f"WITH before AS (SELECT upload_id FROM claims WHERE upload_id = ANY(%(w)s)"
        " AND expires_at > %(at)s),"
        " t AS (INSERT INTO claims (upload_id, claimed_at, expires_at)"
        " SELECT u.id, %(at)s, %(until)s FROM uploads AS u WHERE u.id = ANY(%(w)s)"
        " ON CONFLICT (upload_id) DO UPDATE SET expires_at = excluded.expires_at,"
        " claimed_at = CASE WHEN claims.holder = session_user AND claims.expires_at > %(at)s"
        " THEN claims.claimed_at ELSE excluded.claimed_at END"
        " WHERE claims.holder = session_user OR claims.expires_at <= %(at)s"
        f" RETURNING {_COLUMNS}),"
        # a renewal is not news: only the uploads nobody held a moment ago are logged
        " fresh AS (SELECT array_agg(w.u ORDER BY w.n) AS ids FROM unnest(%(w)s::text[])"
        " WITH ORDINALITY AS w(u, n) JOIN t ON t.upload_id = w.u"
        " WHERE w.u NOT IN (SELECT upload_id FROM before)),"
        " a AS (INSERT INTO activity (at, profile, action, outcome, message, upload_ids)"
        " SELECT %(at)s, %(p)s, 'claim', 'ok', cardinality(ids) || %(words)s, ids FROM fresh"
        " WHERE ids IS NOT NULL)"
        f" SELECT true, {_COLUMNS} FROM t UNION ALL SELECT false, {_COLUMNS} FROM claims"
        " WHERE upload_id = ANY(%(w)s) AND expires_at > %(at)s"
        " AND upload_id NOT IN (SELECT upload_id FROM t)",
        # the wording of ``store.claims.take``
        {"w": wanted, "at": at, "until": until, "p": profile,
         "words": f" claimed until {until[11:16]} UTC"}).fetchall()
    taken = {row[1]: Claim(*row[1:]) for row in rows if row[0]}
    others = {row[1]: Claim(*row[1:]) for row in rows if not row[0]}
    lost = [i for i in wanted if i not in taken and i not in others]
    if lost:  # in the store, maybe claimed by someone else at the same moment: read it now
        others.update(active(c, lost, now))
    return ClaimResult([taken[i] for i in wanted if i in taken],
                       [others[i] for i in wanted if i in others])


def give_back(c: psycopg.Connection, wanted: list[str], now: datetime,
              profile: str | None) -> int:
    """Release the session user's own claims on ``wanted`` (no duplicates) and log them, in
    one statement; how many."""
    row = c.execute(
        "WITH d AS (DELETE FROM claims WHERE holder = session_user AND upload_id = ANY(%(w)s)"
        " RETURNING upload_id),"
        " r AS (SELECT array_agg(w.u ORDER BY w.n) AS ids FROM unnest(%(w)s::text[])"
        " WITH ORDINALITY AS w(u, n) JOIN d ON d.upload_id = w.u),"
        " a AS (INSERT INTO activity (at, profile, action, outcome, message, upload_ids)"
        " SELECT %(at)s, %(p)s, 'release', 'ok', cardinality(ids) || ' released', ids FROM r"
        " WHERE ids IS NOT NULL)"
        " SELECT coalesce(cardinality(ids), 0) FROM r",
        {"w": wanted, "at": to_iso(now), "p": profile}).fetchone()
    return int(row[0]) if row else 0


def active(c: psycopg.Connection, wanted: list[str] | None,
           now: datetime) -> dict[str, Claim]:
    """The claims not expired at ``now`` (of ``wanted``, or all), by upload ID."""
    at = to_iso(now)
    if wanted is None:
        rows = c.execute(f"SELECT {_COLUMNS} FROM claims WHERE expires_at > %s", (at,))
    else:
        rows = c.execute(f"SELECT {_COLUMNS} FROM claims WHERE expires_at > %s"
                         " AND upload_id = ANY(%s)", (at, wanted))
    return {row[0]: Claim(*row) for row in rows}
