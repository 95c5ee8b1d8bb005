"""Why an upload is where it is, and what to do next: one rule table for the list, the detail
pane, the ``Y`` summary and the CLI.

A diagnosis is read from what the API returned and the store keeps (status, ages since
``createdAt``/``updatedAt``, part URL expiry, ``errorMessage``, the job's status and hint when
known). It has a stable ``code`` (for scripts: ``list --json``, ``show --json``), a ``short``
form for the list's column, a full ``text`` and a ``next_step``. No Textual, no pydantic: the
list diagnoses its rows from the store's columns alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import scrub
from scenario_tui.core.timestamps import human_duration, parse_time

#: a pending upload older than this has stopped: its client is not sending parts any more
PENDING_STUCK_SECONDS = 3600.0
#: a validating (or ``complete``) upload unchanged for this long is not moving
VALIDATING_STUCK_SECONDS = 1800.0
PROCESSING = frozenset({"validating", "complete"})
#: the job statuses that mean the upload will not get further
JOB_FAILED = frozenset({"failure", "canceled"})

#: every code ``diagnose`` can answer, in the order the count line names them
CODES = (
    "not-found", "never-fetched", "pending-expired", "pending-stuck", "pending",
    "validating-stuck", "validating", "job-failed", "failed", "validated", "imported",
    "unknown-status",
)


@dataclass(frozen=True)
class Diagnosis:
    code: str
    short: str
    text: str
    next_step: str
    stuck: bool = False

    @property
    def full(self) -> str:
        """The text and the next step in one line: ``failed: bad file -> ask for a new one``."""
        return f"{self.text} -> {self.next_step}" if self.next_step else self.text

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "nextStep": self.next_step,
                "stuck": self.stuck}


def _server(value: Any, limit: int = 200) -> str:
    """A server string as shown: secrets scrubbed, inert, on one line."""
    return inert_text(scrub(value if isinstance(value, str) else str(value)), one_line=True,
                      limit=limit)


def _span(seconds: float) -> str:
    """``45 s``, ``5 min``, ``3 h``, ``3 days``: whole minutes, hours and days (a list cell
    reads "90 min", never "90.1 min", and one that reads the same for an hour is not
    repainted every six minutes)."""
    if seconds >= 172800:
        return f"{round(seconds / 86400)} days"
    if seconds >= 7200:
        return f"{round(seconds / 3600)} h"
    if seconds >= 120:
        return f"{round(seconds / 60)} min"
    return human_duration(max(seconds, 0.0))


def _age(value: str | None, now: datetime) -> float | None:
    moment = parse_time(value)
    if moment is None:
        return None
    try:
        return (now - moment).total_seconds()
    except OverflowError:
        return None


def _expired(expiries: Iterable[str | None], now: datetime) -> bool:
    """True when the upload had part URLs and every one of them has expired."""
    seen = False
    for value in expiries:
        moment = parse_time(value)
        if moment is None:
            return False
        seen = True
        try:
            if moment > now:
                return False
        except OverflowError:
            return False
    return seen


def _failure_step(reason: str) -> str:
    lowered = reason.lower()
    if "content" in lowered and "type" in lowered or "mime" in lowered:
        return "ask the customer to upload again with the file's real content type"
    if "part" in lowered or "missing" in lowered or "incomplete" in lowered:
        return "a part did not arrive: ask the customer to upload again"
    if "size" in lowered or "large" in lowered or "limit" in lowered:
        return "the file is over a limit: ask for a smaller file or a plan change"
    return "ask the customer to upload again; send the reason if it persists"


def diagnose(
    status: str | None,
    *,
    now: datetime | None = None,
    created_at: str | None = None,
    updated_at: str | None = None,
    part_expiries: Iterable[str | None] = (),
    error_message: str | None = None,
    fetched_at: str | None = None,
    not_found_at: str | None = None,
    job_status: str | None = None,
    job_error: Any = None,
    job_hint: Any = None,
) -> Diagnosis:
    """The diagnosis of one upload from what is known of it (anything may be missing)."""
    now = now or datetime.now(timezone.utc)
    if not_found_at:
        checked = parse_time(not_found_at)
        at = checked.astimezone(timezone.utc).strftime("%H:%M") if checked else "?"
        return Diagnosis("not-found", f"not found {at}", f"not found (checked {at})",
                         "check the ID with the customer; d removes it")
    if status is None:
        if fetched_at is None:
            return Diagnosis("never-fetched", "never fetched", "never fetched",
                             "r reads it from the API")
        return Diagnosis("unknown-status", "no status", "the API gave no status",
                         "r reads it again")
    hint = _server(job_hint) if job_hint else ""
    if status == "failed":
        reason = _server(error_message or job_error or "no reason given")
        step = hint or _failure_step(reason)
        return Diagnosis("failed", reason, f"failed: {reason}", step)
    if status == "imported":
        return Diagnosis("imported", "done", "imported", "")
    if status == "validated":
        return Diagnosis("validated", "importing", "validated: the import is next",
                         "wait; r reads it again")
    if job_status in JOB_FAILED:
        why = _server(job_error) if job_error else f"job {job_status}"
        return Diagnosis("job-failed", f"job {job_status}", f"{status}, but the job: {why}",
                         hint or "ask the customer to upload again", stuck=True)
    if status == "pending":
        age = _age(created_at or updated_at, now)
        since = f" {_span(age)}" if age is not None else ""
        if _expired(part_expiries, now):
            return Diagnosis(
                "pending-expired", "parts expired",
                f"pending{since}, part URLs expired: the customer's client stopped before "
                "sending parts", "ask them to upload again", stuck=True)
        if age is not None and age >= PENDING_STUCK_SECONDS:
            return Diagnosis(
                "pending-stuck", f"pending{since}",
                f"pending{since}: no complete yet; the customer's client may have stopped",
                "ask whether their upload still runs; c completes it if every part was sent",
                stuck=True)
        return Diagnosis("pending", "waiting for parts", f"pending{since}: waiting for parts",
                         "c completes it once every part is sent")
    if status in PROCESSING:
        age = _age(updated_at or created_at, now)
        since = f" for {_span(age)}" if age is not None else ""
        if age is not None and age >= VALIDATING_STUCK_SECONDS:
            return Diagnosis(
                "validating-stuck", f"{status} {_span(age)}",
                f"{status}{since}: usually a content-type mismatch or a missing part",
                "check the content type and the parts; ask the customer to upload again",
                stuck=True)
        return Diagnosis("validating", "checking", f"{status}{since}: the file is being checked",
                         "wait; r reads it again")
    shown = _server(status, 40)
    return Diagnosis("unknown-status", f"new: {shown}", f"status '{shown}' is new to this app",
                     "r reads it again; the detail pane shows every field")


def diagnose_row(row: Any, now: datetime | None = None, upload: Any = None,
                 follow: Any = None) -> Diagnosis:
    """The diagnosis of a known upload (the store's row), with its full answer (``upload``) and
    job (``follow``, a FollowThrough) when they are at hand: the list has only the row. A row
    whose last read answered 404 (its ``not_found_at``) reads "not found", whatever it held."""
    created = updated = None
    expiries: list[str | None] = []
    status = getattr(row, "status", None)
    error = getattr(row, "error_message", None)
    if upload is not None:
        status, error = upload.status, upload.error_message
        created, updated = upload.created_at, upload.updated_at
        expiries = [part.expires for part in upload.parts or ()]
    else:
        updated = getattr(row, "updated_at", None)
        snapshot = getattr(row, "snapshot", None) if getattr(row, "snapshot_json", None) else None
        if isinstance(snapshot, dict):
            created = snapshot.get("createdAt") if isinstance(
                snapshot.get("createdAt"), str) else None
            parts = snapshot.get("parts")
            if isinstance(parts, list):
                expiries = [p.get("expires") if isinstance(p, dict) else None for p in parts]
    job = getattr(follow, "job", None)
    meta = getattr(job, "metadata", None)
    return diagnose(
        status, now=now, created_at=created, updated_at=updated, part_expiries=expiries,
        error_message=error, fetched_at=getattr(row, "fetched_at", None) if row else "known",
        not_found_at=getattr(row, "not_found_at", None),
        job_status=getattr(job, "status", None), job_error=getattr(meta, "error", None),
        job_hint=getattr(meta, "hint", None),
    )


#: the statuses the count line names, in this order (any other is counted as "other")
COUNTED = ("pending", "validating", "complete", "validated", "imported", "failed")
#: the count line's word (and the list's status) for an upload whose last read answered 404
NOT_FOUND = "not found"
#: the statuses a row can be stuck in (judged from the store's columns alone)
STUCK_STATUSES = ("pending", "validating", "complete")


def count_line(counts: dict[str, int], stuck: int) -> str:
    """``2 stuck · 1 not found · 3 pending · 1 validating · 2 failed`` from uploads counted
    by status (the key "other" for the rest) and how many of them are stuck (the problems
    first: the line is cut on the right in a narrow terminal); "No uploads" for none."""
    parts = [f"{stuck} stuck"] if stuck else []
    parts += [f"{counts[word]} {word}" for word in (NOT_FOUND, *COUNTED, "other")
              if counts.get(word)]
    return " · ".join(parts) or "No uploads"


def count_rows(rows: Iterable[Any], now: datetime | None = None) -> tuple[dict[str, int], int]:
    """(counts by status, stuck) of the rows, for ``count_line``; a row that answered 404
    counts as "not found", whatever status it had before."""
    counts: dict[str, int] = {}
    stuck = 0
    for row in rows:
        word = (NOT_FOUND if getattr(row, "not_found_at", None)
                else row.status if row.status in COUNTED else "other")
        counts[word] = counts.get(word, 0) + 1
        stuck += diagnose_row(row, now).stuck
    return counts, stuck
