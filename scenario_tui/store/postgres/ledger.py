"""The team store's ledgers as SQL: the activity log, the intent ledger and the parts ledger
(the twins of ``store.activity``, ``store.intents`` and ``store.parts``, same meaning), run by
``PostgresStore`` inside its transactions.

The actor of each entry and intent is the session user, set by the server (a trigger): the
values handed back carry it. At most one intent per upload is open, whoever holds it: the
database enforces it (a unique index), so when two members race, the loser's insert waits for
the winner's commit and fails, and it is told who holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import psycopg

from scenario_tui.core.errors import IntentHeldError, UploadChangedError
from scenario_tui.store.activity import ActivityEvent
from scenario_tui.store.intent_model import (
    ACTIONS,
    COLUMNS,
    LOG_ACTION,
    OPEN,
    SETTLED,
    Holder,
    Intent,
    intent_from_row,
    reconciled_message,
)
from scenario_tui.store.postgres import snapshots

_ACTIVITY = "id, at, profile, upload_id, action, outcome, http_status, message, upload_ids, actor"
_INTENT = f"{COLUMNS}, actor"

# --- activity ----------------------------------------------------------------------------------


def append(c: psycopg.Connection, at: str, profile: str | None, upload_id: str | None,
           action: str, outcome: str, http_status: int | None, message: str | None,
           upload_ids: Sequence[str] | None = None) -> ActivityEvent:
    """Append one entry; return it as stored (with its id and actor)."""
    ids = None if upload_ids is None else list(upload_ids)
    row = c.execute(
        "INSERT INTO activity (at, profile, upload_id, action, outcome, http_status, message,"
        f" upload_ids) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_ACTIVITY}",
        (at, profile, upload_id, action, outcome, http_status, message, ids)).fetchone()
    assert row is not None  # an INSERT ... RETURNING returns its row
    return _event(row)


def append_each(c: psycopg.Connection, at: str, profile: str | None, upload_ids: list[str],
                action: str, outcome: str) -> None:
    """Append one entry per upload in ``upload_ids``, in order, in one statement."""
    if upload_ids:
        c.execute("INSERT INTO activity (at, profile, upload_id, action, outcome)"
                  " SELECT %s, %s, u, %s, %s FROM unnest(%s::text[]) WITH ORDINALITY AS t(u, n)"
                  " ORDER BY n", (at, profile, action, outcome, upload_ids))


def newest(c: psycopg.Connection, limit: int, upload_id: str | None) -> list[ActivityEvent]:
    """The newest ``limit`` entries, newest first, only those of ``upload_id`` unless None."""
    where, params = (" WHERE upload_id = %s", [upload_id]) if upload_id is not None else ("", [])
    return [_event(row) for row in c.execute(
        f"SELECT {_ACTIVITY} FROM activity{where} ORDER BY id DESC LIMIT %s",
        (*params, _limit(limit)))]


def _event(row: tuple) -> ActivityEvent:
    ids = row[8]
    return ActivityEvent._make((*row[:8], None if ids is None else tuple(ids), row[9]))


def _limit(limit: int) -> int | None:
    """A LIMIT as SQLite reads it: a negative one means no limit."""
    return None if limit < 0 else limit


# --- intents -----------------------------------------------------------------------------------


def _intent(row: tuple, now: datetime) -> Intent:
    return intent_from_row(row[:-1], now, row[-1])


def latest(c: psycopg.Connection, upload_id: str, now: datetime) -> Intent | None:
    row = c.execute(f"SELECT {_INTENT} FROM intents WHERE upload_id = %s ORDER BY id DESC"
                    " LIMIT 1", (upload_id,)).fetchone()
    return None if row is None else _intent(row, now)


def latest_each(c: psycopg.Connection, upload_ids: list[str],
                now: datetime) -> dict[str, Intent]:
    """The newest intent of each of ``upload_ids`` that has one, by upload ID."""
    rows = c.execute(f"SELECT DISTINCT ON (upload_id) {_INTENT} FROM intents"
                     " WHERE upload_id = ANY(%s) ORDER BY upload_id, id DESC", (upload_ids,))
    return {intent.upload_id: intent for intent in (_intent(row, now) for row in rows)}


def history(c: psycopg.Connection, upload_id: str | None, limit: int,
            now: datetime) -> list[Intent]:
    where, params = (" WHERE upload_id = %s", [upload_id]) if upload_id is not None else ("", [])
    return [_intent(r, now) for r in c.execute(
        f"SELECT {_INTENT} FROM intents{where} ORDER BY id DESC LIMIT %s",
        (*params, _limit(limit)))]


def begin(c: psycopg.Connection, upload_id: str, action: str, holder: Holder,
          profile: str | None, after: int | None, log_message: str | None, at: str,
          now: datetime, snapshot: tuple | None = None) -> Intent:
    """Open an intent, as ``store.intents.begin``, in one statement (one round trip to the
    server, atomic on its own): the intent, unless one is open or newer than ``after``; its
    ``sending`` entry; and the read it rests on (``snapshot``, a ``rows.snapshot_values`` row),
    each only if the intent was inserted. When it was not, a second statement says why."""
    if action not in ACTIONS:
        raise ValueError(f"unknown intent action {action!r}")
    values = {"u": upload_id, "a": action, "pid": holder.pid, "host": holder.host,
              "started": holder.started, "label": holder.label, "p": profile, "at": at,
              "after": after, "log": log_message is not None, "la": LOG_ACTION[action],
              "m": log_message}
    save = ""
    if snapshot is not None:
        values.update(snapshots.params(snapshot))
        save = f", s AS (UPDATE uploads SET {snapshots.SET} FROM i WHERE uploads.id = %(s_id)s)"
    # the unique index decides a race: the loser's insert waits for the winner's commit, then
    # does nothing (ON CONFLICT), and is told below who holds it
    row = c.execute(
        "WITH i AS (INSERT INTO intents (upload_id, action, state, holder_pid, holder_host,"
        " holder_started, holder_label, profile, started_at, heartbeat_at)"
        " SELECT %(u)s, %(a)s, 'open', %(pid)s, %(host)s, %(started)s, %(label)s, %(p)s,"
        " %(at)s, %(at)s WHERE NOT EXISTS (SELECT 1 FROM intents WHERE upload_id = %(u)s"
        " AND (state = 'open' OR id > %(after)s))"
        " ON CONFLICT (upload_id) WHERE state = 'open' DO NOTHING RETURNING id, actor),"
        " a AS (INSERT INTO activity (at, profile, upload_id, action, outcome, message)"
        f" SELECT %(at)s, %(p)s, %(u)s, %(la)s, 'sending', %(m)s FROM i WHERE %(log)s){save}"
        " SELECT id, actor FROM i", values).fetchone()
    if row is None:
        _refuse(c, upload_id, after, now)
    assert row is not None  # _refuse raised
    return Intent(row[0], upload_id, action, OPEN, holder, profile, at, at, None, None, None,
                  actor=row[1])


def _refuse(c: psycopg.Connection, upload_id: str, after: int | None, now: datetime) -> None:
    """Why no intent was opened: one is open (``IntentHeldError``, naming its holder), or a
    newer one than the caller's read (``UploadChangedError``)."""
    _refuse_if_held(c, upload_id, now)
    if after is not None:
        newer = c.execute(f"SELECT {_INTENT} FROM intents WHERE upload_id = %s AND id > %s"
                          " ORDER BY id DESC LIMIT 1", (upload_id, after)).fetchone()
        if newer is not None:
            other = _intent(newer, now)
            raise UploadChangedError(
                f"{upload_id} was acted on by {other.holder_text} while it was being "
                f"read ({other.action}, {other.state}); read it again before deciding.")
    raise IntentHeldError(f"{upload_id} was being acted on by someone else at the same "
                          "moment. Nothing was sent.", title="Busy elsewhere")


def _refuse_if_held(c: psycopg.Connection, upload_id: str, now: datetime) -> None:
    row = c.execute(f"SELECT {_INTENT} FROM intents WHERE upload_id = %s AND state = 'open'",
                    (upload_id,)).fetchone()
    if row is not None:
        held = _intent(row, now)
        raise IntentHeldError(f"{held.refusal(now)} Nothing was sent.", title=held.refusal_title)


def settle(c: psycopg.Connection, intent: Intent, state: str, message: str | None,
           http_status: int | None, log_action: str | None, log_outcome: str | None,
           at: str, snapshot: tuple | None = None, release_for: str | None = None) -> None:
    """Record how the intent ended, append its activity entry, save ``snapshot`` (the API's
    answer, a ``rows.snapshot_values`` row) if given, and with ``release_for`` end the session
    user's claim on the upload (the server says who that is, as for every claim): one
    statement."""
    if state not in SETTLED:
        raise ValueError(f"unknown intent state {state!r}")
    values: dict[str, object] = {
        "s": state, "at": at, "h": http_status, "m": message, "id": intent.id,
        "p": intent.profile, "u": intent.upload_id,
        "la": log_action or LOG_ACTION[intent.action], "lo": log_outcome or state}
    save = ""
    if snapshot is not None:
        values.update(snapshots.params(snapshot))
        save = f", s AS (UPDATE uploads SET {snapshots.SET} WHERE id = %(s_id)s)"
    if release_for is not None:
        save += ", r AS (DELETE FROM claims WHERE upload_id = %(u)s AND holder = session_user)"
    c.execute("WITH i AS (UPDATE intents SET state = %(s)s, settled_at = %(at)s,"
              " heartbeat_at = %(at)s, http_status = %(h)s, message = %(m)s WHERE id = %(id)s)"
              f"{save} INSERT INTO activity (at, profile, upload_id, action, outcome,"
              " http_status, message) VALUES (%(at)s, %(p)s, %(u)s, %(la)s, %(lo)s, %(h)s,"
              " %(m)s)", values)


def heartbeat(c: psycopg.Connection, intent: Intent, at: str) -> bool:
    return c.execute("UPDATE intents SET heartbeat_at = %s WHERE id = %s AND state = 'open'",
                     (at, intent.id)).rowcount > 0


def reconcile(c: psycopg.Connection, statuses: dict[str, str | None], at: str,
              now: datetime) -> list[Intent]:
    """Settle as ``reconciled`` the open intents of these uploads whose holder is gone, from the
    status just read, each with an activity entry (as ``store.intents.reconcile``)."""
    rows = c.execute(f"SELECT {_INTENT} FROM intents WHERE state = 'open' AND upload_id = ANY(%s)"
                     " ORDER BY id FOR UPDATE SKIP LOCKED", (list(statuses),)).fetchall()
    done = []
    for row in rows:
        intent = _intent(row, now)
        if not intent.stale:
            continue
        message = reconciled_message(intent, statuses[intent.upload_id])
        settle(c, intent, "reconciled", message, None, None, "reconciled", at)
        done.append(replace(intent, state="reconciled", settled_at=at, message=message))
    return done
