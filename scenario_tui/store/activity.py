"""The activity log: what was done to which upload and how it went, appended and never updated
or pruned here."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

_COLUMNS = "id, at, profile, upload_id, action, outcome, http_status, message"


class ActivityEvent(NamedTuple):  # a named tuple: made much faster than a dataclass
    id: int
    at: str
    profile: str | None
    upload_id: str | None
    action: str
    outcome: str
    http_status: int | None
    message: str | None


def append(c: sqlite3.Connection, at: str, profile: str | None, upload_id: str | None,
           action: str, outcome: str, http_status: int | None,
           message: str | None) -> ActivityEvent:
    """Append one entry; return it with its id."""
    values = (at, profile, upload_id, action, outcome, http_status, message)
    rowid = c.execute(
        "INSERT INTO activity (at, profile, upload_id, action, outcome, http_status, message)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", values).lastrowid
    assert rowid is not None  # always set by an INSERT into a rowid table
    return ActivityEvent(rowid, *values)


def append_each(c: sqlite3.Connection, at: str, profile: str | None, upload_ids: list[str],
                action: str, outcome: str) -> None:
    """Append one entry per upload in ``upload_ids`` (in one statement: 100,000 are quick)."""
    c.executemany(
        "INSERT INTO activity (at, profile, upload_id, action, outcome) VALUES (?, ?, ?, ?, ?)",
        [(at, profile, upload_id, action, outcome) for upload_id in upload_ids])


def newest(c: sqlite3.Connection, limit: int, upload_id: str | None) -> list[ActivityEvent]:
    """The newest ``limit`` entries, newest first, only those of ``upload_id`` unless None."""
    where, params = (" WHERE upload_id = ?", [upload_id]) if upload_id is not None else ("", [])
    return [ActivityEvent(*row) for row in c.execute(
        f"SELECT {_COLUMNS} FROM activity{where} ORDER BY id DESC LIMIT ?", (*params, limit))]
