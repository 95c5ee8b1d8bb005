"""The intent ledger: before a mutating call to the API (``complete``) or while the parts of an
upload are sent (``transfer``), an intent row for the upload, that only one actor can hold open
(a unique index on ``upload_id`` where ``state = 'open'``), committed before the first byte is
sent; after the answer it is settled (``sent``, ``uncertain``, ``rejected``, ``done``,
``interrupted``). An intent left open by an actor that is gone (a crash, SIGKILL, a closed
laptop) is ``reconciled`` by the next read of that upload, never by sending again.

The values (``Holder``, ``Intent``), how a holder is known to be gone, and how it is described to
a user are backend-neutral (``store.intent_model``, re-exported here); the functions below are
the SQLite side, run by ``Store`` inside its transactions (each that writes also appends to the
activity log, in the same transaction).
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime

from scenario_tui.core.errors import IntentHeldError, UploadChangedError
from scenario_tui.store import activity, sql, uploads
from scenario_tui.store.intent_model import (  # noqa: F401 - re-exported: the ledger's values
    ACTIONS,
    HEARTBEAT_SECONDS,
    LOG_ACTION,
    OPEN,
    SETTLED,
    STALE_AFTER,
    Holder,
    Intent,
    intent_from_row,
    process_start,
    reconciled_message,
)
from scenario_tui.store.intent_model import COLUMNS as _COLUMNS

# --- SQLite ------------------------------------------------------------------------------------


def _intent(row: tuple, now: datetime) -> Intent:
    return intent_from_row(row, now)


def latest(c: sqlite3.Connection, upload_id: str, now: datetime) -> Intent | None:
    """The newest intent of ``upload_id`` (open or settled), or None."""
    row = c.execute(f"SELECT {_COLUMNS} FROM intents WHERE upload_id = ? ORDER BY id DESC"
                    " LIMIT 1", (upload_id,)).fetchone()
    return None if row is None else _intent(row, now)


def latest_each(c: sqlite3.Connection, upload_ids: list[str],
                now: datetime) -> dict[str, Intent]:
    """The newest intent of each of ``upload_ids`` that has one, by upload ID."""
    found: dict[str, Intent] = {}
    for chunk in sql.chunks(upload_ids):
        for row in c.execute(
                f"SELECT {_COLUMNS} FROM intents WHERE id IN (SELECT max(id) FROM intents"
                f" WHERE upload_id IN ({sql.marks(chunk)}) GROUP BY upload_id)", tuple(chunk)):
            intent = _intent(row, now)
            found[intent.upload_id] = intent
    return found


def history(c: sqlite3.Connection, upload_id: str | None, limit: int,
            now: datetime) -> list[Intent]:
    """The newest ``limit`` intents (of ``upload_id`` unless None), newest first."""
    where, params = (" WHERE upload_id = ?", [upload_id]) if upload_id is not None else ("", [])
    return [_intent(r, now) for r in c.execute(
        f"SELECT {_COLUMNS} FROM intents{where} ORDER BY id DESC LIMIT ?", (*params, limit))]


def begin(c: sqlite3.Connection, upload_id: str, action: str, holder: Holder,
          profile: str | None, after: int | None, log_message: str | None, at: str,
          now: datetime, snapshot: tuple | None = None) -> Intent:
    """Open an intent (inside a write transaction). ``IntentHeldError`` when one is open for
    the upload; ``UploadChangedError`` when ``after`` is given and a newer intent than that id
    exists (someone acted since the caller read the upload). With ``log_message``, the
    activity log gets an entry (outcome ``sending``) in the same transaction, and with
    ``snapshot`` (a ``rows.snapshot_values`` row) the read the intent rests on is saved."""
    if action not in ACTIONS:
        raise ValueError(f"unknown intent action {action!r}")
    row = c.execute(f"SELECT {_COLUMNS} FROM intents WHERE upload_id = ? AND state = 'open'",
                    (upload_id,)).fetchone()
    if row is not None:
        held = _intent(row, now)
        raise IntentHeldError(f"{held.refusal(now)} Nothing was sent.",
                              title=held.refusal_title)
    if after is not None:
        newer = c.execute(f"SELECT {_COLUMNS} FROM intents WHERE upload_id = ? AND id > ?"
                          " ORDER BY id DESC LIMIT 1", (upload_id, after)).fetchone()
        if newer is not None:
            other = _intent(newer, now)
            raise UploadChangedError(
                f"{upload_id} was acted on by {other.holder_text} while it was being "
                f"read ({other.action}, {other.state}); read it again before deciding.")
    rowid = c.execute(
        "INSERT INTO intents (upload_id, action, state, holder_pid, holder_host, holder_started,"
        " holder_label, profile, started_at, heartbeat_at) VALUES (?, ?, 'open', ?, ?, ?, ?, ?,"
        " ?, ?)", (upload_id, action, holder.pid, holder.host, holder.started, holder.label,
                   profile, at, at)).lastrowid
    assert rowid is not None  # always set by an INSERT into a rowid table
    if log_message is not None:
        activity.append(c, at, profile, upload_id, LOG_ACTION[action], "sending", None,
                        log_message)
    if snapshot is not None:
        uploads.save_snapshots(c, [snapshot])
    return Intent(rowid, upload_id, action, OPEN, holder, profile, at, at, None, None, None)


def settle(c: sqlite3.Connection, intent: Intent, state: str, message: str | None,
           http_status: int | None, log_action: str | None, log_outcome: str | None,
           at: str, snapshot: tuple | None = None, release_for: str | None = None) -> None:
    """Record how the intent ended (whatever its state meanwhile: the holder knows best) and
    append the activity entry that says so, in the same transaction, with ``snapshot`` (the
    API's answer, a ``rows.snapshot_values`` row) saved when given and ``release_for``'s claim
    on the upload, if they hold one, ended."""
    if state not in SETTLED:
        raise ValueError(f"unknown intent state {state!r}")
    if snapshot is not None:
        uploads.save_snapshots(c, [snapshot])
    if release_for is not None:
        c.execute("DELETE FROM claims WHERE upload_id = ? AND holder = ?",
                  (intent.upload_id, release_for))
    c.execute("UPDATE intents SET state = ?, settled_at = ?, heartbeat_at = ?, http_status = ?,"
              " message = ? WHERE id = ?", (state, at, at, http_status, message, intent.id))
    activity.append(c, at, intent.profile, intent.upload_id,
                    log_action or LOG_ACTION[intent.action], log_outcome or state, http_status,
                    message)


def heartbeat(c: sqlite3.Connection, intent: Intent, at: str) -> bool:
    """Say the holder is still at work; False when the intent is no longer open."""
    return c.execute("UPDATE intents SET heartbeat_at = ? WHERE id = ? AND state = 'open'",
                     (at, intent.id)).rowcount > 0


def reconcile(c: sqlite3.Connection, statuses: dict[str, str | None], at: str,
              now: datetime) -> list[Intent]:
    """Settle as ``reconciled`` the open intents of these uploads whose holder is gone, from
    the status just read (``statuses``: upload ID -> status), each with an activity entry.
    Inside the transaction that saves those reads."""
    rows = c.execute(f"SELECT {_COLUMNS} FROM intents WHERE state = 'open'").fetchall()
    done = []
    for row in rows:
        if row[1] not in statuses:
            continue
        intent = _intent(row, now)
        if not intent.stale:
            continue
        message = reconciled_message(intent, statuses[intent.upload_id])
        settle(c, intent, "reconciled", message, None, None, "reconciled", at)
        done.append(replace(intent, state="reconciled", settled_at=at, message=message))
    return done
