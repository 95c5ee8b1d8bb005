"""The parts ledger of multipart uploads: which parts were sent, their sizes and the hash of
their bytes, and the local file the upload was made from (size, modification time and a hash of
its first and last bytes), so that an interrupted upload resumes where it stopped, and only with
the same file."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple


class SourceFile(NamedTuple):
    """What was recorded of the local file an upload was made from."""

    size: int
    mtime_ns: int | None
    sample_sha256: str | None


def record(c: sqlite3.Connection, upload_id: str, part_number: int, size: int, at: str,
           sha256: str | None = None) -> None:
    """Remember that part ``part_number`` of ``upload_id`` was sent (again: the newest wins)."""
    c.execute("INSERT INTO parts_sent (upload_id, part_number, size, sent_at, sha256)"
              " VALUES (?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO UPDATE SET"
              " size = excluded.size, sent_at = excluded.sent_at, sha256 = excluded.sha256",
              (upload_id, part_number, size, at, sha256))


def sent(c: sqlite3.Connection, upload_id: str) -> dict[int, int]:
    """Part number -> size of the parts recorded as sent for ``upload_id``."""
    return dict(c.execute(
        "SELECT part_number, size FROM parts_sent WHERE upload_id = ? ORDER BY part_number",
        (upload_id,)).fetchall())


def digests(c: sqlite3.Connection, upload_id: str) -> dict[int, str]:
    """Part number -> SHA-256 (hex) of the sent parts of ``upload_id`` whose hash is known."""
    return dict(c.execute(
        "SELECT part_number, sha256 FROM parts_sent WHERE upload_id = ? AND sha256 IS NOT NULL"
        " ORDER BY part_number", (upload_id,)).fetchall())


def record_source(c: sqlite3.Connection, upload_id: str, source: SourceFile, at: str) -> None:
    """Remember the local file of ``upload_id`` (the first record stays: it is the original)."""
    c.execute("INSERT INTO upload_files (upload_id, size, mtime_ns, sample_sha256, recorded_at)"
              " VALUES (?, ?, ?, ?, ?) ON CONFLICT (upload_id) DO NOTHING",
              (upload_id, *source, at))


def source(c: sqlite3.Connection, upload_id: str) -> SourceFile | None:
    row = c.execute("SELECT size, mtime_ns, sample_sha256 FROM upload_files WHERE upload_id = ?",
                    (upload_id,)).fetchone()
    return None if row is None else SourceFile(*row)
