"""The local SQLite store: the uploads we know about, their last snapshots, and an activity log.

The Scenario API has no endpoint that lists uploads, so this file *is* the list. It is the only
module that speaks SQL. Every sqlite3 and OS failure is translated here into the ``StoreError``
family, with a message naming the file and saying what to do.

Migrations are named, ordered and append-only: never edit or reorder an entry of ``MIGRATIONS``,
only add new ones at the end. They are recorded in the ``migrations`` table, run at every open,
each in its own transaction, and ``PRAGMA user_version`` holds how many have been applied.

Searching (a substring of ID, file name, note or status) reads a narrow per-connection copy of
those columns, ``temp.upload_search``, built on the first search and kept up to date by temporary
triggers (and rebuilt when another connection has committed): one scan of short rows instead of
four ``LIKE``s over the wide ``uploads`` rows. It lives in the connection's temp database, so the
file and its schema are never touched by it.

The models (pydantic) are imported only when a snapshot is turned into an ``Upload``, so the
scripting commands that only list the store start without them.
"""

from __future__ import annotations

import errno
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence, TypeVar
from urllib.parse import quote

from scenario_tui.core.errors import (
    StoreCorruptError, StoreError, StoreLockedError, StoreVersionError, StoreWriteError,
)
from scenario_tui.core.redact import strip_query
from scenario_tui.core.timestamps import to_iso

if TYPE_CHECKING:
    from scenario_tui.core.models import Upload

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
)

SORT_KEYS = {
    "added": "seq", "status": "status", "id": "id",
    "file_name": "file_name", "updated": "updated_at", "size": "file_size",
}
DEFAULT_BUSY_TIMEOUT_MS = 5000
_ATTEMPTS = 3  # on "database is locked", as long as the busy timeout has not elapsed
_CHUNK = 500  # IDs per "IN (...)" query
_COLUMNS = ("id, note, added_at, snapshot, fetched_at, status, file_name, kind, file_size, "
            "updated_at, error_message, seq")
_COLUMNS_NO_SNAPSHOT = _COLUMNS.replace("snapshot", "NULL")
_ACTIVITY = "id, at, profile, upload_id, action, outcome, http_status, message"
_SEP = "\x1f"  # between the searched columns in temp.upload_search (a search holding it is rare)
_HAYSTACK = ("{t}.id || char(31) || ifnull({t}.file_name, '') || char(31) || {t}.note"
             " || char(31) || ifnull({t}.status, '')")
_PUT_SEARCHED = ("INSERT OR REPLACE INTO upload_search (seq, haystack)"
                 f" VALUES (new.seq, {_HAYSTACK.format(t='new')});")
_SEARCH_SCHEMA = (
    "CREATE TEMP TABLE IF NOT EXISTS upload_search"
    " (seq INTEGER PRIMARY KEY, haystack TEXT NOT NULL)",
    # trigger bodies cannot qualify table names: upload_search resolves to the temp table
    "CREATE TEMP TRIGGER IF NOT EXISTS upload_search_insert AFTER INSERT ON main.uploads"
    f" BEGIN {_PUT_SEARCHED} END",
    "CREATE TEMP TRIGGER IF NOT EXISTS upload_search_update"
    " AFTER UPDATE OF id, seq, note, file_name, status ON main.uploads BEGIN"
    f" DELETE FROM upload_search WHERE seq = old.seq; {_PUT_SEARCHED} END",
    "CREATE TEMP TRIGGER IF NOT EXISTS upload_search_delete AFTER DELETE ON main.uploads BEGIN"
    " DELETE FROM upload_search WHERE seq = old.seq; END",
)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}
T = TypeVar("T")


@dataclass(frozen=True)
class KnownUpload:
    """One upload ID in the store, with what the API last said about it (if anything)."""

    id: str
    note: str
    added_at: str
    #: the last answer as stored (JSON text); parsed when ``snapshot`` is first read: a page
    #: of the list needs only the columns, and is re-read several times a second while a
    #: bulk refresh answers
    snapshot_json: str | None = field(repr=False)
    fetched_at: str | None
    status: str | None
    file_name: str | None
    kind: str | None
    file_size: int | None
    updated_at: str | None
    error_message: str | None
    seq: int

    @property
    def snapshot(self) -> dict[str, Any] | None:
        """The last answer as a JSON object, or None (never fetched, or not readable)."""
        try:
            return self.__dict__["_snapshot"]
        except KeyError:
            pass
        import json  # not before the first frame: rows show their columns, not the snapshot

        try:
            value = None if self.snapshot_json is None else json.loads(self.snapshot_json)
        except ValueError:
            value = None
        value = value if isinstance(value, dict) else None
        self.__dict__["_snapshot"] = value  # frozen: cached past the dataclass's __setattr__
        return value

    @property
    def upload(self) -> Upload | None:
        """The snapshot as a model, or None when never fetched or no longer valid."""
        if self.snapshot is None:
            return None
        from scenario_tui.core.models import Upload  # pydantic: only when a snapshot is shown

        try:
            return Upload.model_validate(self.snapshot)
        except Exception:  # noqa: BLE001 - a stale snapshot must never crash a caller
            return None


class ActivityEvent(NamedTuple):  # named tuples: made in a sixth of a dataclass's time
    id: int
    at: str
    profile: str | None
    upload_id: str | None
    action: str
    outcome: str
    http_status: int | None
    message: str | None


class AddResult(NamedTuple):
    added: list[str]
    existing: list[str]


class Store:
    """A connection to one store file. Build it with ``Store.open``; use it as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, clock: Callable[[], datetime],
                 busy_timeout_ms: int, read_only: bool) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._clock = clock
        self._busy_s = busy_timeout_ms / 1000
        self._lock = threading.RLock()
        self._search_version: int | None = None  # data_version when upload_search was built
        #: complete answers of recent searches, newest last: ((status, sort, descending),
        #: folded search, its seqs, (total_changes, search version))
        self._recent_searches: list[tuple] = []
        self.path = path
        self.read_only = read_only

    # --- opening and closing -------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, clock: Callable[[], datetime] | None = None,
             read_only: bool = False, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
             verify: bool = True) -> Store:
        """Open (creating if needed, owner-only) and migrate the store at ``path``.

        ``read_only`` opens an existing, up-to-date file without writing anything to it.
        ``verify=False`` leaves the check of every page (75 ms at 100,000 uploads) to the
        caller, who must run ``verify()`` before anything is written; a due migration is never
        run on an unchecked file.
        Raises StoreCorruptError, StoreVersionError, StoreLockedError or StoreWriteError.
        """
        path = Path(path).expanduser().absolute()
        if read_only and not path.is_file():
            raise StoreError(f"There is no local store at {path} to open read-only.")
        created = False if read_only else _create_owner_only(path)
        uri = f"file:{quote(path.as_posix())}?mode={'ro' if read_only else 'rwc'}"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout_ms / 1000)
        except sqlite3.Error as exc:
            raise _translate(exc, path, "open the local store", busy_timeout_ms / 1000) from exc
        store = cls(conn, path, clock=clock or (lambda: datetime.now(timezone.utc)),
                    busy_timeout_ms=busy_timeout_ms, read_only=read_only)
        try:
            store._prepare(busy_timeout_ms, created, verify)
        except BaseException:
            store._conn = None
            try:
                conn.close()
            except sqlite3.Error:
                pass
            raise
        return store

    def _prepare(self, busy_timeout_ms: int, created: bool, verify: bool) -> None:
        action, known = "open the local store", len(MIGRATIONS)
        self._run(action, lambda c: (c.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"),
                                     c.execute("PRAGMA foreign_keys = ON"),
                                     # rows deleted by INSERT OR REPLACE fire delete triggers too
                                     c.execute("PRAGMA recursive_triggers = ON"),
                                     c.execute("PRAGMA temp_store = MEMORY")))
        # One statement, so one snapshot, even while another process runs the first migration.
        version, tables = self._run(action, lambda c: c.execute(
            "SELECT (SELECT user_version FROM pragma_user_version),"
            " (SELECT count(*) FROM sqlite_master)").fetchone())
        if version > known:
            raise StoreVersionError(
                f"{self.path} was created by a newer scenario-tui (schema {version}, this version "
                f"knows {known}); upgrade scenario-tui or use another --store.")
        if version == 0 and tables:
            raise StoreCorruptError(
                f"{self.path} is a SQLite database, but not a scenario-tui store. "
                "Use another --store, or move that file aside.", title="Not a scenario-tui store")
        if verify or version < known:
            _check_pages(self.path, self._run(action, _quick_check))
        if self.read_only:
            if version < known:
                raise StoreVersionError(
                    f"{self.path} has schema {version}, but this version of scenario-tui needs "
                    f"{known}; open it once without read-only mode to upgrade it.",
                    title="Local store needs an upgrade")
            return
        self._run(action, lambda c: (c.execute("PRAGMA journal_mode = WAL").fetchall(),
                                     c.execute("PRAGMA synchronous = NORMAL")))
        for number, (name, sql) in enumerate(MIGRATIONS, start=1):
            if number > version:
                self._run("upgrade the local store",
                          lambda c, n=number, m=name, s=sql: _migrate(c, n, m, s, self._now()),
                          write=True)
        if created:
            for suffix in ("-wal", "-shm"):
                try:
                    os.chmod(f"{self.path}{suffix}", 0o600)
                except OSError:
                    pass

    def close(self) -> None:
        """Close the connection (idempotent). The WAL is checkpointed into the main file."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error as exc:
                    raise _translate(exc, self.path, "close the local store", self._busy_s) from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}{', read_only=True' if self.read_only else ''})"

    @property
    def schema_version(self) -> int:
        """How many migrations this file has applied (``PRAGMA user_version``)."""
        return self._run("read the schema version",
                         lambda c: c.execute("PRAGMA user_version").fetchone()[0])

    # --- uploads -------------------------------------------------------------------------------

    def add(self, ids: Iterable[str], note: str | None = None) -> AddResult:
        """Add upload IDs (duplicates dropped, order kept). Known IDs are left exactly as they are,
        note and snapshot included, and reported in ``existing``."""
        wanted, now = list(dict.fromkeys(ids)), self._now()

        def body(c: sqlite3.Connection) -> AddResult:
            known = {row[0] for chunk in _chunks(wanted) for row in c.execute(
                f"SELECT id FROM uploads WHERE id IN ({_marks(chunk)})", chunk)}
            new = [i for i in wanted if i not in known]
            if new:
                (base,) = c.execute(
                    "SELECT value FROM counters WHERE name = 'upload_seq'").fetchone()
                c.executemany("INSERT INTO uploads (id, seq, note, added_at) VALUES (?, ?, ?, ?)",
                              [(i, base + n, note or "", now) for n, i in enumerate(new, start=1)])
                c.execute("UPDATE counters SET value = ? WHERE name = 'upload_seq'",
                          (base + len(new),))
            return AddResult(added=new, existing=[i for i in wanted if i in known])

        return self._run("add uploads", body, write=True)

    def remove(self, ids: Iterable[str]) -> list[KnownUpload]:
        """Forget upload IDs; return the removed rows (oldest first) so ``restore`` can undo it."""
        wanted = list(dict.fromkeys(ids))

        def body(c: sqlite3.Connection) -> list[KnownUpload]:
            rows = []
            for chunk in _chunks(wanted):
                marks = _marks(chunk)
                rows += c.execute(f"SELECT {_COLUMNS} FROM uploads WHERE id IN ({marks})",
                                  chunk).fetchall()
                c.execute(f"DELETE FROM uploads WHERE id IN ({marks})", chunk)
            return sorted((_known(r) for r in rows), key=lambda k: k.seq)

        return self._run("remove uploads", body, write=True)

    def restore(self, rows: Iterable[KnownUpload]) -> int:
        """Put back rows returned by ``remove`` exactly (same seq, note, snapshot, dates). A row
        whose ID was added again since replaces that newer entry. Returns how many were put back."""
        values = [(k.id, k.note, k.added_at, k.snapshot_json,
                   k.fetched_at, k.status, k.file_name, k.kind, k.file_size, k.updated_at,
                   k.error_message, k.seq) for k in rows]

        def body(c: sqlite3.Connection) -> int:
            c.executemany(
                f"INSERT OR REPLACE INTO uploads ({_COLUMNS}) VALUES ({_marks(range(12))})", values)
            if values:
                c.execute("UPDATE counters SET value = max(value, ?) WHERE name = 'upload_seq'",
                          (max(v[-1] for v in values),))
            return len(values)

        return self._run("restore uploads", body, write=True)

    def get(self, upload_id: str) -> KnownUpload | None:
        """The stored row for ``upload_id``, or None."""
        row = self._run("read an upload", lambda c: c.execute(
            f"SELECT {_COLUMNS} FROM uploads WHERE id = ?", (upload_id,)).fetchone())
        return None if row is None else _known(row)

    def contains(self, upload_id: str) -> bool:
        """Whether ``upload_id`` is in the store."""
        return self._run("read an upload", lambda c: c.execute(
            "SELECT 1 FROM uploads WHERE id = ?", (upload_id,)).fetchone()) is not None

    def list(self, *, search: str | None = None, status: str | None = None, sort: str = "added",
             descending: bool = True, limit: int | None = None, offset: int = 0,
             snapshots: bool = True) -> list[KnownUpload]:
        """A page of uploads. ``search`` is a case-insensitive substring of ID, file name, note or
        status; ``status`` an exact status; ``sort`` a key of SORT_KEYS ("added" = newest first
        when descending); ties are broken by insertion order. ``snapshots=False`` leaves each
        row's ``snapshot`` None (not read, not parsed) when only the columns are wanted."""
        columns = _COLUMNS if snapshots else _COLUMNS_NO_SNAPSHOT
        return [_known(r) for r in self._select(columns, search, status, sort, descending,
                                                limit, offset)]

    def ids(self, *, search: str | None = None, status: str | None = None, sort: str = "added",
            descending: bool = True, limit: int | None = None, offset: int = 0) -> list[str]:
        """Like ``list`` but only the IDs."""
        return [r[0] for r in self._select("id", search, status, sort, descending, limit, offset)]

    def count(self, search: str | None = None, status: str | None = None) -> int:
        """How many uploads match the filters of ``list``."""
        where, params = _where(search, status)

        def body(c: sqlite3.Connection) -> int:
            if _searches(search):
                self._prepare_search(c)
                if status is None:  # the narrow table alone answers it
                    return c.execute(f"SELECT count(*) FROM upload_search WHERE {_MATCH}",
                                     [_pattern(search)]).fetchone()[0]
            return c.execute(f"SELECT count(*) FROM uploads{where}", params).fetchone()[0]

        return self._run("count uploads", body)

    def search_seqs(self, *, search: str | None = None, status: str | None = None,
                    sort: str = "added", descending: bool = True,
                    limit: int | None = None) -> list[int]:
        """The ``seq`` of the uploads matching the filters of ``list``, in its order (at most
        ``limit`` of them: the scan stops there), read in one scan. Read the rows of a slice of
        them with ``rows_by_seq``.

        Complete answers of the last few searches are kept while nothing changes: the same
        search again (a backspace) is answered from them, and a longer one (typing on) tests
        only the matches of a shorter one, when there are few enough."""
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {sort!r}")
        way = "DESC" if descending else "ASC"
        order = f"seq {way}" if sort == "added" else f"{SORT_KEYS[sort]} {way}, seq {way}"
        cap = -1 if limit is None else limit

        def body(c: sqlite3.Connection) -> list[int]:
            where, params = _where(search, status)
            if not _searches(search):
                return [r[0] for r in c.execute(
                    f"SELECT seq FROM uploads{where} ORDER BY {order} LIMIT ?", (*params, cap))]
            self._prepare_search(c)
            shape, folded = (status, sort, descending), _fold(search)
            token = (c.total_changes, self._search_version)
            recent = [r for r in self._recent_searches if r[0] == shape and r[3] == token]
            self._recent_searches = recent  # answers from before a change are stale
            same = next((r[2] for r in recent if r[1] == folded), None)
            if same is not None:
                return list(same) if limit is None else same[:limit]
            shorter = min((r[2] for r in recent if r[1] in folded), key=len, default=None)
            if shorter is not None and len(shorter) <= _NARROW_MAX:
                seqs = _narrow(c, shorter, search)  # their order is kept
            else:
                if status is None and sort == "added":
                    sql = f"SELECT seq FROM upload_search WHERE {_MATCH} ORDER BY seq {way} LIMIT ?"
                    params = [_pattern(search)]
                else:
                    sql = f"SELECT seq FROM uploads{where} ORDER BY {order} LIMIT ?"
                seqs = [r[0] for r in c.execute(sql, (*params, cap))]
                if limit is not None and len(seqs) >= limit:
                    return seqs  # not every match: nothing to keep
            if len(seqs) <= _RECENT_MAX_SEQS:
                self._recent_searches = [*recent[-(_RECENT_SEARCHES - 1):],
                                         (shape, folded, seqs, token)]
            return seqs if limit is None else seqs[:limit]

        return self._run("list uploads", body)

    def rows_by_seq(self, seqs: Sequence[int]) -> list[KnownUpload | None]:
        """The rows with these ``seq`` values, in the same order (None where one is gone)."""
        wanted = list(seqs)

        def body(c: sqlite3.Connection) -> list[KnownUpload | None]:
            found: dict[int, KnownUpload] = {}
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                for row in c.execute(
                        f"SELECT {_COLUMNS} FROM uploads WHERE seq IN ({_marks(chunk)})", chunk):
                    found[row[-1]] = _known(row)
            return [found.get(seq) for seq in wanted]

        return self._run("list uploads", body)

    def ids_to_refresh(self, limit: int) -> list[str]:
        """Uploads never fetched or not final yet, most recently added first, at most ``limit``."""
        from scenario_tui.core.vocabulary import FINAL_UPLOAD_STATUSES

        finals = sorted(FINAL_UPLOAD_STATUSES)
        return [r[0] for r in self._run("read uploads", lambda c: c.execute(
            f"SELECT id FROM uploads WHERE status IS NULL OR status NOT IN ({_marks(finals)})"
            " ORDER BY seq DESC LIMIT ?", (*finals, limit)).fetchall())]

    def record_snapshot(self, upload_id: str, snapshot: dict[str, Any],
                        fetched_at: datetime | None = None) -> bool:
        """Store what the API returned for an upload, credentials stripped from its URLs.
        Returns False (and stores nothing) when the ID is no longer in the store."""
        return self._save_snapshots("save an upload", [(upload_id, snapshot)], fetched_at)[0]

    def set_note(self, upload_id: str, note: str) -> bool:
        """Replace the note of an upload. Returns False when the ID is not in the store."""
        return self._run("save a note", lambda c: c.execute(
            "UPDATE uploads SET note = ? WHERE id = ?", (note, upload_id)).rowcount > 0, write=True)

    # --- activity and parts --------------------------------------------------------------------

    def log_event(self, *, action: str, outcome: str, upload_id: str | None = None,
                  profile: str | None = None, http_status: int | None = None,
                  message: str | None = None) -> ActivityEvent:
        """Append one entry to the activity log (which is never updated or pruned here)."""
        values = (self._now(), profile, upload_id, action, outcome, http_status, message)
        rowid = self._run("log activity", lambda c: c.execute(
            "INSERT INTO activity (at, profile, upload_id, action, outcome, http_status, message)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", values).lastrowid, write=True)
        return ActivityEvent(rowid, *values)

    def events(self, *, limit: int = 200, upload_id: str | None = None) -> list[ActivityEvent]:
        """The newest ``limit`` activity entries, newest first, optionally for one upload."""
        where, params = (" WHERE upload_id = ?", [upload_id]) if upload_id is not None else ("", [])
        rows = self._run("read activity", lambda c: c.execute(
            f"SELECT {_ACTIVITY} FROM activity{where} ORDER BY id DESC LIMIT ?",
            (*params, limit)).fetchall())
        return [ActivityEvent(*row) for row in rows]

    def record_part(self, upload_id: str, part_number: int, size: int) -> None:
        """Remember that a part of a multipart upload was sent (for resuming)."""
        values = (upload_id, part_number, size, self._now())
        self._run("save an upload part", lambda c: c.execute(
            "INSERT INTO parts_sent (upload_id, part_number, size, sent_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size,"
            " sent_at = excluded.sent_at", values), write=True)

    def parts_sent(self, upload_id: str) -> dict[int, int]:
        """Part number -> size of the parts recorded as sent for ``upload_id``."""
        return dict(self._run("read upload parts", lambda c: c.execute(
            "SELECT part_number, size FROM parts_sent WHERE upload_id = ? ORDER BY part_number",
            (upload_id,)).fetchall()))

    # --- plumbing ------------------------------------------------------------------------------

    def _now(self) -> str:
        return to_iso(self._clock())

    def _select(self, columns: str, search: str | None, status: str | None, sort: str,
                descending: bool, limit: int | None, offset: int) -> list[tuple]:
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {sort!r}")
        where, params = _where(search, status)
        way = "DESC" if descending else "ASC"
        order = f"seq {way}" if sort == "added" else f"{SORT_KEYS[sort]} {way}, seq {way}"
        sql = f"SELECT {columns} FROM uploads{where} ORDER BY {order} LIMIT ? OFFSET ?"

        def body(c: sqlite3.Connection) -> list[tuple]:
            if _searches(search):
                self._prepare_search(c)
            return c.execute(sql, (*params, -1 if limit is None else limit, offset)).fetchall()

        return self._run("list uploads", body)

    def _prepare_search(self, c: sqlite3.Connection) -> None:
        """Build temp.upload_search on first use; rebuild it when another connection has
        committed since (this connection's own changes reach it through the temp triggers)."""
        version = c.execute("PRAGMA data_version").fetchone()[0]
        if version == self._search_version:
            return
        if self._search_version is None:
            for statement in _SEARCH_SCHEMA:
                c.execute(statement)
        c.execute("DELETE FROM upload_search")
        c.execute("INSERT INTO upload_search (seq, haystack)"
                  f" SELECT seq, {_HAYSTACK.format(t='uploads')} FROM main.uploads")
        self._search_version = version

    def verify(self) -> None:
        """Check every page of the file (``PRAGMA quick_check``); raise StoreCorruptError if one
        is damaged. On a connection of its own: one call that runs without the GIL, so a thread
        can run it while the main thread works (the TUI imports Textual meanwhile)."""
        uri = f"file:{quote(self.path.as_posix())}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self._busy_s)
            try:
                rows = _quick_check(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise _translate(exc, self.path, "check the local store", self._busy_s) from exc
        _check_pages(self.path, rows)

    def _run(self, action: str, body: Callable[[sqlite3.Connection], T], *,
             write: bool = False) -> T:
        """Run ``body`` (in a BEGIN IMMEDIATE transaction if ``write``), retrying a few times on
        "database is locked" within the busy timeout, and translating every sqlite3 error."""
        deadline = time.monotonic() + self._busy_s
        with self._lock:
            if self._conn is None:
                raise StoreError(f"The local store {self.path} is closed.")
            conn = self._conn
            for attempt in range(1, _ATTEMPTS + 1):
                try:
                    if not write:
                        return body(conn)
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = body(conn)
                        conn.execute("COMMIT")
                        return result
                    except BaseException:
                        if conn.in_transaction:
                            try:
                                conn.execute("ROLLBACK")
                            except sqlite3.Error:
                                pass
                        raise
                except sqlite3.Error as exc:
                    if _is_busy(exc) and attempt < _ATTEMPTS and time.monotonic() < deadline:
                        time.sleep(0.02 * attempt)
                        continue
                    raise _translate(exc, self.path, action, self._busy_s) from exc
                except (OverflowError, OSError) as exc:
                    raise _translate(exc, self.path, action, self._busy_s) from exc
        raise AssertionError("unreachable")

    def record_snapshots(self, snapshots: Iterable[tuple[str, dict[str, Any]]],
                         fetched_at: datetime | None = None) -> list[bool]:
        """``record_snapshot`` for many uploads in one transaction: every one is stored, or
        (on any error) none. Returns, in order, whether each ID was still in the store."""
        return self._save_snapshots("save uploads", list(snapshots), fetched_at)

    def _save_snapshots(self, action: str, snapshots: list[tuple[str, dict[str, Any]]],
                        fetched_at: datetime | None) -> list[bool]:
        at = to_iso(fetched_at or self._clock())
        rows = [self._snapshot_row(upload_id, snapshot, at) for upload_id, snapshot in snapshots]
        if not rows:
            return []
        return self._run(action, lambda c: [c.execute(
            "UPDATE uploads SET snapshot = ?, fetched_at = ?, status = ?, file_name = ?, kind = ?,"
            " file_size = ?, updated_at = ?, error_message = ? WHERE id = ?", row,
        ).rowcount > 0 for row in rows], write=True)

    @staticmethod
    def _snapshot_row(upload_id: str, snapshot: dict[str, Any], fetched_at: str) -> tuple:
        """The column values of a snapshot (a JSON copy, presigned URL queries stripped)."""
        import json

        data = json.loads(_dumps(snapshot))
        if not isinstance(data, dict):
            raise TypeError(f"an upload snapshot is a JSON object, not {type(snapshot).__name__}")
        if isinstance(data.get("url"), str):
            data["url"] = strip_query(data["url"])
        parts = data.get("parts")
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict) and isinstance(part.get("url"), str):
                part["url"] = strip_query(part["url"])
        return (_dumps(data), fetched_at, _text(data.get("status")), _text(data.get("fileName")),
                _text(data.get("kind")), _int(data.get("fileSize")), _text(data.get("updatedAt")),
                _text(data.get("errorMessage")), upload_id)


def _migrate(c: sqlite3.Connection, number: int, name: str, sql: str, now: str) -> None:
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


def _create_owner_only(path: Path) -> bool:
    """Create missing parent directories (0700) and an empty file (0600). True if created."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    try:
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=0o700)
            except FileExistsError:
                continue
            os.chmod(directory, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise _translate(exc, path, "create the local store", 0) from exc
    os.fchmod(fd, 0o600)
    os.close(fd)
    return True


def _translate(exc: BaseException, path: Path, action: str, busy_s: float) -> StoreError:
    """The StoreError that explains ``exc`` to a user."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError):
        cls = StoreWriteError if exc.errno in _WRITE_ERRNOS else StoreError
        return cls(f"Could not {action} at {path}: {exc.strerror or text}. Check the disk space "
                   "and permissions, or use another --store.")
    name = getattr(exc, "sqlite_errorname", "") or ""
    if _is_busy(exc):
        return StoreLockedError(
            f"Could not {action}: {path} stayed locked by another process for {busy_s:g} s. "
            "Close other scenario-tui windows or commands using it, then try again.")
    if name.startswith("SQLITE_FULL") or "is full" in text:
        return StoreWriteError(f"Could not {action}: the disk holding {path} is full (or the file "
                               "reached a size limit). Free some space and try again.")
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreWriteError(f"Could not {action}: {path} is read-only here ({text}). Check the "
                               "file and directory permissions, or use another --store.")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return _corrupt(path, text)
    if name.startswith("SQLITE_IOERR"):
        return StoreWriteError(
            f"Could not {action}: reading or writing {path} failed ({text}). The disk may be full, "
            "the file may have reached a size limit, or the device may be failing.")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return StoreWriteError(f"Could not {action}: cannot open {path} ({text}). Check that its "
                               "directory exists and is writable, or use another --store.")
    return StoreError(f"Could not {action} in {path}: {text}")


def _quick_check(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("PRAGMA quick_check(3)").fetchall()


def _check_pages(path: Path, rows: list[tuple]) -> None:
    if rows != [("ok",)]:
        problems = "; ".join(str(row[0]).replace("\n", " ") for row in rows)
        raise _corrupt(path, problems if len(problems) < 200 else problems[:197] + "...")


def _corrupt(path: Path, detail: str) -> StoreCorruptError:
    return StoreCorruptError(
        f"{path} is damaged or is not a scenario-tui store ({detail}). Move it aside (for example "
        f"rename it to {path.name}.bad) so a fresh store is created, or use another --store.")


def _is_busy(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(exc)


_MATCH = "haystack LIKE ? ESCAPE '\\'"
_NARROW_MAX = 2_000  # above this many last matches, one scan of upload_search is as cheap
_RECENT_SEARCHES = 8  # complete search answers kept (backspace, typing on)
_RECENT_MAX_SEQS = 20_000  # a longer answer is not kept (8 of them: at most a few MB)
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(search: str) -> str:
    """``search`` as LIKE compares it: ASCII letters case-insensitively, the rest exactly."""
    return search.translate(_ASCII_FOLD)


def _narrow(c: sqlite3.Connection, seqs: list[int], search: str) -> list[int]:
    """Those of ``seqs`` (in their order) whose row matches ``search``."""
    pattern, matched = _pattern(search), set()
    for start in range(0, len(seqs), _CHUNK):
        chunk = seqs[start:start + _CHUNK]
        matched.update(r[0] for r in c.execute(
            f"SELECT seq FROM upload_search WHERE seq IN ({_marks(chunk)}) AND {_MATCH}",
            [*chunk, pattern]))
    return [seq for seq in seqs if seq in matched]


def _searches(search: str | None) -> bool:
    """Whether ``search`` is answered from temp.upload_search (any search without the
    separator: with it, a match could span two columns there, so the columns are searched)."""
    return bool(search) and _SEP not in search


def _pattern(search: str) -> str:
    return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(search: str | None, status: str | None) -> tuple[str, list[str]]:
    """WHERE clause and parameters; a search needs ``Store._prepare_search`` run first."""
    clauses, params = [], []
    if _searches(search):
        clauses.append(f"seq IN (SELECT seq FROM upload_search WHERE {_MATCH})")
        params.append(_pattern(search))
    elif search:
        clauses.append("(" + " OR ".join(f"{col} LIKE ? ESCAPE '\\'"
                                         for col in ("id", "file_name", "note", "status")) + ")")
        params += [_pattern(search)] * 4
    if status is not None:
        clauses.append("status = ?")
        params.append(status)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


_KNOWN_FIELDS = tuple(f.name for f in fields(KnownUpload))


def _known(row: tuple) -> KnownUpload:
    # the frozen dataclass's __init__ sets each field through object.__setattr__: filling the
    # instance dict directly builds the same object in a fifth of the time (``list`` of 10,000)
    known = object.__new__(KnownUpload)
    known.__dict__.update(zip(_KNOWN_FIELDS, row))
    return known


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _marks(items: Iterable[object]) -> str:
    return ", ".join("?" for _ in items)


def _dumps(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)



def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None
