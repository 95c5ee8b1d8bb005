"""The parts ledger of multipart uploads in the team store, as SQL (the twin of the local
store's ``store.parts``, same names and meaning): the parts sent (for resuming) and the local
file an upload is made from."""

from __future__ import annotations

import psycopg

from scenario_tui.store.parts import SourceFile


def record(c: psycopg.Connection, upload_id: str, part_number: int, size: int, at: str,
           sha256: str | None) -> None:
    c.execute("INSERT INTO parts_sent (upload_id, part_number, size, sent_at, sha256)"
              " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (upload_id, part_number) DO UPDATE SET"
              " size = excluded.size, sent_at = excluded.sent_at, sha256 = excluded.sha256",
              (upload_id, part_number, size, at, sha256))


def sent(c: psycopg.Connection, upload_id: str) -> dict[int, int]:
    return dict(c.execute(
        "SELECT part_number, size FROM parts_sent WHERE upload_id = %s ORDER BY part_number",
        (upload_id,)).fetchall())


def digests(c: psycopg.Connection, upload_id: str) -> dict[int, str]:
    return dict(c.execute(
        "SELECT part_number, sha256 FROM parts_sent WHERE upload_id = %s"
        " AND sha256 IS NOT NULL ORDER BY part_number", (upload_id,)).fetchall())


def record_source(c: psycopg.Connection, upload_id: str, source: SourceFile, at: str) -> None:
    c.execute("INSERT INTO upload_files (upload_id, size, mtime_ns, sample_sha256, recorded_at)"
              " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (upload_id) DO NOTHING",
              (upload_id, *source, at))


def source(c: psycopg.Connection, upload_id: str) -> SourceFile | None:
    row = c.execute("SELECT size, mtime_ns, sample_sha256 FROM upload_files WHERE upload_id = %s",
                    (upload_id,)).fetchone()
    return None if row is None else SourceFile(*row)
