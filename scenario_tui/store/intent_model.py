"""The intent ledger's values, backend-neutral: who holds an intent (``Holder``, and how it is
known to be gone), an intent (``Intent``, and how a refusal or a reconciliation says it), and an
intent row as read back. The SQL is in ``store.intents`` (SQLite) and ``store.postgres``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import scrub
from scenario_tui.core.timestamps import parse_time

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
#: this process's host and start time, by pid (``Holder.this_process``)
_THIS_PROCESS: dict[int, tuple[str, str | None]] = {}
#: the intents this process has opened and not settled yet (``working``): an open intent held
#: by this process and not here was left by a call that failed as it was written (its
#: connection lost after the server committed it), and is taken for abandoned, as a dead
#: process's is; an intent is known by its ID, upload and start (stores may share IDs)
_WORKING: set[tuple[int, str, str]] = set()

#: the columns of an intent row, in the order ``intent_from_row`` reads them
COLUMNS = ("id, upload_id, action, state, holder_pid, holder_host, holder_started, "
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
        """This process (its host and start time read once per pid: a forked child is a holder
        of its own; each complete asks, and reading /proc twice per complete showed in
        bench/RESULTS.md)."""
        pid = os.getpid()
        known = _THIS_PROCESS.get(pid)
        if known is None:
            known = _THIS_PROCESS[pid] = (socket.gethostname(), process_start(pid))
        return cls(pid, known[0], known[1], label)

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

    def is_this_process(self) -> bool:
        """Whether this is the process that reads it (as ``this_process`` named it)."""
        known = _THIS_PROCESS.get(os.getpid())
        return (known is not None and self.pid == os.getpid()
                and (self.host, self.started) == known)

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
    #: the database user who opened it, in a team store (None in a local store); it says who,
    #: and is left out of comparisons (the same intent on either backend compares equal)
    actor: str | None = field(default=None, compare=False)

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def refusal(self, now: datetime) -> str:
        """Who holds it, for a refusal: 'up_1 is being completed by process 1234 (...) on this
        machine since 10:02 UTC.', or 'up_1: its parts are still being sent by ...'."""
        since = _clock_time(self.started_at, now)
        who = f"by {self.holder_text}" + (f" since {since}" if since else "")
        text = (f"{self.upload_id}: its parts are still being sent {who}."
                if self.action == "transfer" else f"{self.upload_id} is being completed {who}.")
        if self.stale:
            text += " That process seems to be gone: refresh the upload to settle it."
        return text

    @property
    def holder_text(self) -> str:
        """Who holds it: "process 1234 (...) on host ws-7", and whose in a team store: "ann's
        process 1234 (...) on host ws-7"."""
        where = self.holder.describe()
        return f"{self.actor}'s {where}" if self.actor else where

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


def intent_from_row(row: tuple, now: datetime, actor: str | None = None) -> Intent:
    """An intent read with ``COLUMNS`` (``stale`` when it is open and its holder is gone)."""
    (id_, upload_id, action, state, pid, host, started, label, profile, started_at,
     heartbeat_at, settled_at, http_status, message) = row
    holder = Holder(int(pid or 0), host or "", started, label or "")
    intent = Intent(id_, upload_id, action, state, holder, profile, started_at, heartbeat_at,
                    settled_at, http_status, message, actor=actor)
    if state == OPEN and (not holder.alive(heartbeat_at, now) or (
            holder.is_this_process() and _key(intent) not in _WORKING)):
        intent = replace(intent, stale=True)
    return intent


def _key(intent: Intent) -> tuple[int, str, str]:
    return (intent.id, intent.upload_id, intent.started_at)


def working(intent: Intent, *, done: bool = False) -> None:
    """Note that this process opened ``intent`` and works on it, or (``done``) has settled it
    (the stores' ``begin_intent`` and ``settle_intent`` call this)."""
    if done:
        _WORKING.discard(_key(intent))
    elif intent.holder.is_this_process():
        _WORKING.add(_key(intent))


def reconciled_message(intent: Intent, status: str | None) -> str:
    """What the log says of an intent whose holder is gone, settled from a read (``status``)."""
    gone = f"{intent.holder_text} stopped before it knew the outcome"
    shown = inert_text(scrub(status), one_line=True, limit=60) if status else ""
    now = f"a read shows it {shown or 'in an unknown status'}"
    if intent.action == "transfer":
        return (f"{gone} of sending the parts; {now}. If it is pending, resume it with "
                f"scenario-tui upload --resume {intent.upload_id} FILE.")
    if status == "pending":
        return (f"{gone} of its complete; {now}, so that complete most likely did not arrive. "
                "It was not sent again: complete it again to send it.")
    return f"{gone} of its complete; {now}, so the complete went through."
