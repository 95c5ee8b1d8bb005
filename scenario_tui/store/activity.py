"""The activity log: what was done to which upload and how it went, appended and never updated
or pruned here."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

_COLUMNS = "id, at, profile, upload_id, action, outcome, http_status, message, upload_ids, actor"


class ActivityEvent(NamedTuple):  # a named tuple: made much faster than a dataclass
    id: int
    at: str
    profile: str | None
    upload_id: str | None
    action: str
    outcome: str
    http_status: int | None
    message: str | None
    #: the uploads a bulk entry (``upload_id`` None) touched, in order; None for other entries
    upload_ids: tuple[str, ...] | None = None
    #: who acted: the database user in a team store; None in a local store (one person)
    actor: str | None = None


def ids_json(upload_ids: Sequence[str] | None) -> str | None:
    """How ``upload_ids`` is stored (a JSON list), or None."""
    return None if upload_ids is None else json.dumps(list(upload_ids))


def ids_from_json(text: str | None) -> tuple[str, ...] | None:
    """``upload_ids`` as stored, back; None when absent or unreadable."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        return None
    return tuple(value)


def append(c: sqlite3.Connection, at: str, profile: str | None, upload_id: str | None,
           action: str, outcome: str, http_status: int | None,
           message: str | None, upload_ids: Sequence[str] | None = None) -> ActivityEvent:
    """Append one entry; return it with its id."""
    values = (at, profile, upload_id, action, outcome, http_status, message)
    rowid = c.execute(
        "INSERT INTO activity (at, profile, upload_id, action, outcome, http_status, message,"
        " upload_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*values, ids_json(upload_ids))).lastrowid
    assert rowid is not None  # always set by an INSERT into a rowid table
    return ActivityEvent(rowid, *values, None if upload_ids is None else tuple(upload_ids))


def append_each(c: sqlite3.Connection, at: str, profile: str | None, upload_ids: list[str],
                action: str, outcome: str) -> None:
    """Append one entry per upload in ``upload_ids`` (in one statement: 100,000 are quick)."""
    c.executemany(
        "INSERT INTO activity (at, profile, upload_id, action, outcome) VALUES (?, ?, ?, ?, ?)",
        [(at, profile, upload_id, action, outcome) for upload_id in upload_ids])


def newest(c: sqlite3.Connection, limit: int, upload_id: str | None) -> list[ActivityEvent]:
    """The newest ``limit`` entries, newest first, only those of ``upload_id`` unless None."""
    where, params = (" WHERE upload_id = ?", [upload_id]) if upload_id is not None else ("", [])
    return [ActivityEvent._make((*row[:8], ids_from_json(row[8]), row[9])) for row in c.execute(
        f"SELECT {_COLUMNS} FROM activity{where} ORDER BY id DESC LIMIT ?", (*params, limit))]
