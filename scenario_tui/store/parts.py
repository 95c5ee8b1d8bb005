"""The parts ledger of multipart uploads: which parts were sent, and their sizes, so that an
interrupted upload resumes where it stopped."""

from __future__ import annotations

import sqlite3


def record(c: sqlite3.Connection, upload_id: str, part_number: int, size: int, at: str) -> None:
    """Remember that part ``part_number`` of ``upload_id`` was sent (again: the newest wins)."""
    c.execute("INSERT INTO parts_sent (upload_id, part_number, size, sent_at) VALUES (?, ?, ?, ?)"
              " ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size,"
              " sent_at = excluded.sent_at", (upload_id, part_number, size, at))


def sent(c: sqlite3.Connection, upload_id: str) -> dict[int, int]:
    """Part number -> size of the parts recorded as sent for ``upload_id``."""
    return dict(c.execute(
        "SELECT part_number, size FROM parts_sent WHERE upload_id = ? ORDER BY part_number",
        (upload_id,)).fetchall())
