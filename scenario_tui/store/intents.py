"""The intent ledger: before a mutating call to the API (``complete``) or while the parts of an
upload are sent (``transfer``), an intent row for the upload, that only one actor can hold open
(a unique index on ``upload_id`` where ``state = 'open'``), committed before the first byte is
sent; after the answer it is settled (``sent``, ``uncertain``, ``rejected``, ``done``,
``interrupted``). An intent left open by an actor that is gone (a crash, SIGKILL, a closed
laptop) is ``reconciled`` by the next read of that upload, never by sending again.

The values (``Holder``, ``Intent``), how a holder is known to be gone, and how it is described to
a user are backend-neutral; the functions at the bottom are the SQLite side, run by ``Store``
inside its transactions (each that writes also appends to the activity log, in the same
transaction).
"""

from __future__ import annotations

import os
import socket
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from scenario_tui.core.errors import IntentHeldError, UploadChangedError
from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import scrub
from scenario_tui.core.timestamps import parse_time
from scenario_tui.store import activity

ACTIONS = ("complete", "transfer")
OPEN = "open"
#: every state an intent can end in
SETTLED = ("sent", "uncertain", "rejected", "reconciled", "done", "interrupted")
#: the activity log's action for each intent action
LOG_ACTION = {"complete": "complete", "transfer": "upload-parts"}
#: an intent held from another host is taken for abandoned after this long without a heartbeat
#: (the holder beats every ``HEARTBEAT_SECONDS`` while it sends parts; a complete's POST has a
#: deadline far shorter than this)
STALE_AFTER = timedelta(minutes=10)
HEARTBEAT_SECONDS = 30.0

_COLUMNS = ("id, upload_id, action, state, holder_pid, holder_host, holder_started, "
            "holder_label, profile, started_at, heartbeat_at, settled_at, http_status, message")


@dataclass(frozen=True)
class Holder:
    """Who holds an intent: a process (pid, the start time the kernel gives it, to tell it from
    a later process with the same pid), on a host, and a label a user recognises."""

    pid: int
    host: str
    started: str | None
    label: str

    @classmethod
    def this_process(cls, label: str) -> Holder:
        """This process, now (read at each call: a forked child is a holder of its own)."""
        pid = os.getpid()
        return cls(pid, socket.gethostname(), process_start(pid), label)

    def alive(self, heartbeat_at: str | None, now: datetime) -> bool:
        """Whether the holder may still be at work. On this host: its pid exists, is not a
        zombie, and (where /proc tells) was started when the holder was. On another host: it
        beat within ``STALE_AFTER``."""
        if self.host != socket.gethostname():
            beat = parse_time(heartbeat_at)
            return beat is None or now - beat < STALE_AFTER
        if self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
        except (OverflowError, ValueError):
            return False
        stat = _proc_stat(self.pid)
        if stat is None:
            return True  # no /proc here: the pid exists, trust it
        state, started = stat
        if state in ("Z", "X"):
            return False
        return self.started is None or started == self.started

    def describe(self) -> str:
        """'process 1234 (scenario-tui complete) on this machine' or '... on host ws-7'."""
        where = ("on this machine" if self.host == socket.gethostname()
                 else f"on host {self.host}")
        label = f" ({self.label})" if self.label else ""
        return f"process {self.pid}{label} {where}"


@dataclass(frozen=True)
class Intent:
    """One row of the ledger. ``stale`` is computed when it is read: open, and its holder gone."""

    id: int
    upload_id: str
    action: str
    state: str
    holder: Holder
    profile: str | None
    started_at: str
    heartbeat_at: str
    settled_at: str | None
    http_status: int | None
    message: str | None
    stale: bool = False

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def refusal(self, now: datetime) -> str:
        """Who holds it, for a refusal: 'up_1 is being completed by process 1234 (...) on this
        machine since 10:02 UTC.', or 'up_1: its parts are still being sent by ...'."""
        since = _clock_time(self.started_at, now)
        who = f"by {self.holder.describe()}" + (f" since {since}" if since else "")
        text = (f"{self.upload_id}: its parts are still being sent {who}."
                if self.action == "transfer" else f"{self.upload_id} is being completed {who}.")
        if self.stale:
            text += " That process seems to be gone: refresh the upload to settle it."
        return text

    @property
    def refusal_title(self) -> str:
        return "Parts being sent" if self.action == "transfer" else "Already being completed"


def process_start(pid: int) -> str | None:
    """When the kernel started ``pid`` (clock ticks since boot, from /proc), or None."""
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start time) of ``pid`` from /proc/PID/stat, or None where unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the name (field 2) may hold spaces and ')'
    if len(fields) < 20:
        return None
    return fields[0], fields[19]  # fields 3 (state) and 22 (starttime)


def _clock_time(iso: str | None, now: datetime) -> str:
    moment = parse_time(iso)
    if moment is None:
        return ""
    try:
        moment = moment.astimezone(timezone.utc)
        same_day = moment.date() == now.astimezone(timezone.utc).date()
        return moment.strftime("%H:%M UTC" if same_day else "%Y-%m-%d %H:%M UTC")
    except (OverflowError, ValueError):
        return ""


# --- SQLite ------------------------------------------------------------------------------------


def _intent(row: tuple, now: datetime) -> Intent:
    (id_, upload_id, action, state, pid, host, started, label, profile, started_at,
     heartbeat_at, settled_at, http_status, message) = row
    holder = Holder(int(pid or 0), host or "", started, label or "")
    intent = Intent(id_, upload_id, action, state, holder, profile, started_at, heartbeat_at,
                    settled_at, http_status, message)
    if state == OPEN and not holder.alive(heartbeat_at, now):
        intent = replace(intent, stale=True)
    return intent


def latest(c: sqlite3.Connection, upload_id: str, now: datetime) -> Intent | None:
    """The newest intent of ``upload_id`` (open or settled), or None."""
    row = c.execute(f"SELECT {_COLUMNS} FROM intents WHERE upload_id = ? ORDER BY id DESC"
                    " LIMIT 1", (upload_id,)).fetchone()
    return None if row is None else _intent(row, now)


def history(c: sqlite3.Connection, upload_id: str | None, limit: int,
            now: datetime) -> list[Intent]:
    """The newest ``limit`` intents (of ``upload_id`` unless None), newest first."""
    where, params = (" WHERE upload_id = ?", [upload_id]) if upload_id is not None else ("", [])
    return [_intent(r, now) for r in c.execute(
        f"SELECT {_COLUMNS} FROM intents{where} ORDER BY id DESC LIMIT ?", (*params, limit))]


def begin(c: sqlite3.Connection, upload_id: str, action: str, holder: Holder,
          profile: str | None, after: int | None, log_message: str | None, at: str,
          now: datetime) -> Intent:
    """Open an intent (inside a write transaction). ``IntentHeldError`` when one is open for
    the upload; ``UploadChangedError`` when ``after`` is given and a newer intent than that id
    exists (someone acted since the caller read the upload). With ``log_message``, the
    activity log gets an entry (outcome ``sending``) in the same transaction."""
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
                f"{upload_id} was acted on by {other.holder.describe()} while it was being "
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
    return Intent(rowid, upload_id, action, OPEN, holder, profile, at, at, None, None, None)


def settle(c: sqlite3.Connection, intent: Intent, state: str, message: str | None,
           http_status: int | None, log_action: str | None, log_outcome: str | None,
           at: str) -> None:
    """Record how the intent ended (whatever its state meanwhile: the holder knows best) and
    append the activity entry that says so, in the same transaction."""
    if state not in SETTLED:
        raise ValueError(f"unknown intent state {state!r}")
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
        message = _reconciled_message(intent, statuses[intent.upload_id])
        settle(c, intent, "reconciled", message, None, None, "reconciled", at)
        done.append(replace(intent, state="reconciled", settled_at=at, message=message))
    return done


def _reconciled_message(intent: Intent, status: str | None) -> str:
    gone = f"{intent.holder.describe()} stopped before it knew the outcome"
    shown = inert_text(scrub(status), one_line=True, limit=60) if status else ""
    now = f"a read shows it {shown or 'in an unknown status'}"
    if intent.action == "transfer":
        return (f"{gone} of sending the parts; {now}. If it is pending, resume it with "
                f"scenario-tui upload --resume {intent.upload_id} FILE.")
    if status == "pending":
        return (f"{gone} of its complete; {now}, so that complete most likely did not arrive. "
                "It was not sent again: complete it again to send it.")
    return f"{gone} of its complete; {now}, so the complete went through."
