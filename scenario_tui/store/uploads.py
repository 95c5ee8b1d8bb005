"""The uploads we know about: the SQL of the store's upload verbs, as functions of a connection
that the ``Store`` runs inside its transactions.

The Scenario API has no endpoint that lists uploads, so the ``uploads`` table *is* the list. An
upload's ``seq`` orders it (insertion order) and is never handed out twice: the ``upload_seq``
counter only grows, also when a removed row is restored.

A verb given ``by`` (a ``LoggedBy``) writes its entries in the activity log with its rows, in the
same transaction: a removal and its log entries are committed together, or neither is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from scenario_tui.core.vocabulary import FINAL_UPLOAD_STATUSES
from scenario_tui.store import activity
from scenario_tui.store.rows import COLUMNS, AddResult, KnownUpload, known
from scenario_tui.store.sql import chunks, marks


class LoggedBy(NamedTuple):
    """When and under which profile a verb's activity log entries are written."""

    at: str
    profile: str | None


def add(c: sqlite3.Connection, wanted: list[str], note: str, now: str,
        by: LoggedBy | None = None) -> AddResult:
    """Insert those of ``wanted`` (no duplicates) not known yet, in order."""
    found = {row[0] for chunk in chunks(wanted) for row in c.execute(
        f"SELECT id FROM uploads WHERE id IN ({marks(chunk)})", chunk)}
    new = [i for i in wanted if i not in found]
    if new:
        (base,) = c.execute("SELECT value FROM counters WHERE name = 'upload_seq'").fetchone()
        c.executemany("INSERT INTO uploads (id, seq, note, added_at) VALUES (?, ?, ?, ?)",
                      [(i, base + n, note, now) for n, i in enumerate(new, start=1)])
        c.execute("UPDATE counters SET value = ? WHERE name = 'upload_seq'", (base + len(new),))
        if by is not None:
            activity.append(c, by.at, by.profile, None, "add", "ok", None, f"{len(new)} added",
                            new)
    return AddResult(added=new, existing=[i for i in wanted if i in found])


def remove(c: sqlite3.Connection, wanted: list[str],
           by: LoggedBy | None = None) -> list[KnownUpload]:
    """Delete the rows of ``wanted``; return them, oldest first."""
    rows = []
    for chunk in chunks(wanted):
        rows += c.execute(f"SELECT {COLUMNS} FROM uploads WHERE id IN ({marks(chunk)})",
                          chunk).fetchall()
        c.execute(f"DELETE FROM uploads WHERE id IN ({marks(chunk)})", chunk)
    removed = sorted((known(r) for r in rows), key=lambda k: k.seq)
    if by is not None:
        activity.append_each(c, by.at, by.profile, [r.id for r in removed], "remove", "ok")
    return removed


def restore(c: sqlite3.Connection, values: list[tuple], by: LoggedBy | None = None) -> int:
    """Put back rows (``row_values`` of each) exactly, replacing any row with the same ID."""
    c.executemany(f"INSERT OR REPLACE INTO uploads ({COLUMNS}) VALUES ({marks(range(14))})",
                  values)
    if values:
        c.execute("UPDATE counters SET value = max(value, ?) WHERE name = 'upload_seq'",
                  (max(v[-1] for v in values),))
    if by is not None:
        activity.append_each(c, by.at, by.profile, [v[0] for v in values], "restore", "ok")
    return len(values)


def get(c: sqlite3.Connection, upload_id: str) -> KnownUpload | None:
    row = c.execute(f"SELECT {COLUMNS} FROM uploads WHERE id = ?", (upload_id,)).fetchone()
    return None if row is None else known(row)


def contains(c: sqlite3.Connection, upload_id: str) -> bool:
    return c.execute("SELECT 1 FROM uploads WHERE id = ?", (upload_id,)).fetchone() is not None


def known_of(c: sqlite3.Connection, wanted: list[str]) -> set[str]:
    """Those of ``wanted`` in the store."""
    return {r[0] for chunk in chunks(wanted) for r in c.execute(
        f"SELECT id FROM uploads WHERE id IN ({marks(chunk)})", tuple(chunk))}


def page(c: sqlite3.Connection, columns: str, where: tuple[str, list[str]], order: str,
         limit: int | None, offset: int) -> list[tuple]:
    """``columns`` of the rows matching ``where`` (clause, parameters), in ``order``."""
    clause, params = where
    return c.execute(f"SELECT {columns} FROM uploads{clause} ORDER BY {order} LIMIT ? OFFSET ?",
                     (*params, -1 if limit is None else limit, offset)).fetchall()


def by_seq(c: sqlite3.Connection, seqs: Sequence[int]) -> list[KnownUpload | None]:
    """The rows with these ``seq`` values, in the same order (None where one is gone)."""
    found: dict[int, KnownUpload] = {}
    for chunk in chunks(seqs):
        for row in c.execute(f"SELECT {COLUMNS} FROM uploads WHERE seq IN ({marks(chunk)})",
                             chunk):
            found[row[-1]] = known(row)
    return [found.get(seq) for seq in seqs]


def to_refresh(c: sqlite3.Connection, limit: int) -> list[str]:
    """Uploads never fetched or not final yet, most recently added first, at most ``limit``."""
    finals = sorted(FINAL_UPLOAD_STATUSES)
    return [r[0] for r in c.execute(
        f"SELECT id FROM uploads WHERE status IS NULL OR status NOT IN ({marks(finals)})"
        " ORDER BY seq DESC LIMIT ?", (*finals, limit)).fetchall()]


def save_snapshots(c: sqlite3.Connection, rows: list[tuple]) -> list[bool]:
    """Store ``snapshot_values`` rows; whether each upload was still there."""
    return [c.execute(
        "UPDATE uploads SET snapshot = ?, fetched_at = ?, status = ?, file_name = ?, kind = ?,"
        " file_size = ?, updated_at = ?, error_message = ?, not_found_at = NULL WHERE id = ?", row,
    ).rowcount > 0 for row in rows]


def mark_not_found(c: sqlite3.Connection, upload_id: str, checked_at: str) -> bool:
    """Record that the API answered 404 for ``upload_id`` at ``checked_at``; False when the
    upload is not in the store. Its last snapshot (if any) is kept."""
    return c.execute("UPDATE uploads SET not_found_at = ? WHERE id = ?",
                     (checked_at, upload_id)).rowcount > 0


def set_note(c: sqlite3.Connection, upload_id: str, note: str,
             by: LoggedBy | None = None, message: str | None = None) -> bool:
    """Replace the note (logged with ``message`` when ``by``); False (nothing written or
    logged) when the upload is not there."""
    saved = c.execute("UPDATE uploads SET note = ? WHERE id = ?", (note, upload_id)).rowcount > 0
    if saved and by is not None:
        activity.append(c, by.at, by.profile, upload_id, "note", "ok", None, message)
    return saved
