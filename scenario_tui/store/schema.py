"""The store's schema: named, ordered, append-only migrations, recorded in the database.

Never edit or reorder an entry of ``MIGRATIONS``, only add new ones at the end. They are recorded
in the ``migrations`` table, run at every open, each in its own transaction, and
``PRAGMA user_version`` holds how many have been applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_initial", """
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    note TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    snapshot TEXT,
    fetched_at TEXT,
    status TEXT,
    file_name TEXT,
    kind TEXT,
    file_size INTEGER,
    updated_at TEXT,
    error_message TEXT
);
CREATE INDEX uploads_status ON uploads (status, seq);
CREATE INDEX uploads_file_name ON uploads (file_name, seq);
CREATE INDEX uploads_updated_at ON uploads (updated_at, seq);
CREATE INDEX uploads_file_size ON uploads (file_size, seq);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO counters (name, value) VALUES ('upload_seq', 0);
CREATE TABLE activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    profile TEXT,
    upload_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    message TEXT
);
CREATE INDEX activity_upload_id ON activity (upload_id, id);
"""),
    ("0002_parts", """
CREATE TABLE parts_sent (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    size INTEGER,
    sent_at TEXT,
    PRIMARY KEY (upload_id, part_number)
);
"""),
    # the intent ledger (one open intent per upload, whatever its action, whoever holds it),
    # the hash of each sent part and the local file an upload was made from (to refuse resuming
    # it with another file)
    ("0003_intents", """
CREATE TABLE intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    upload_id TEXT NOT NULL,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    holder_pid INTEGER,
    holder_host TEXT,
    holder_started TEXT,
    holder_label TEXT,
    profile TEXT,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    settled_at TEXT,
    http_status INTEGER,
    message TEXT
);
CREATE UNIQUE INDEX intents_one_open ON intents (upload_id) WHERE state = 'open';
CREATE INDEX intents_upload_id ON intents (upload_id, id);
ALTER TABLE parts_sent ADD COLUMN sha256 TEXT;
CREATE TABLE upload_files (
    upload_id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER,
    sample_sha256 TEXT,
    recorded_at TEXT
);
"""),
    # when the API last answered 404 for an upload (cleared by the next answer); the IDs a bulk
    # activity entry touched (a JSON list), and who acted and who wrote a note (a team store
    # fills those in itself; a local store leaves them empty)
    ("0004_not_found_and_bulk_ids", """
ALTER TABLE uploads ADD COLUMN not_found_at TEXT;
ALTER TABLE uploads ADD COLUMN note_by TEXT;
ALTER TABLE activity ADD COLUMN upload_ids TEXT;
ALTER TABLE activity ADD COLUMN actor TEXT;
"""),
    # who is on an upload, until when (``store.claims``)
    ("0005_claims", """
CREATE TABLE claims (
    upload_id TEXT PRIMARY KEY REFERENCES uploads (id) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""),
)


def read_version(c: sqlite3.Connection) -> tuple[int, int]:
    """(migrations applied, tables in the file), read in one statement, so from one snapshot,
    even while another process runs the first migration."""
    return c.execute("SELECT (SELECT user_version FROM pragma_user_version),"
                     " (SELECT count(*) FROM sqlite_master)").fetchone()


def migrate(c: sqlite3.Connection, number: int, name: str, sql: str, now: str) -> None:
    """Apply migration ``number`` (1-based) unless the file already has it; call it inside a
    write transaction."""
    if c.execute("PRAGMA user_version").fetchone()[0] >= number:
        return  # another process applied it while we waited for the lock
    c.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for statement in _statements(sql):
        c.execute(statement)
    c.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, now))
    c.execute(f"PRAGMA user_version = {number}")


def _statements(sql: str) -> Iterator[str]:
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
