"""The local SQLite store: the uploads we know about, their last snapshots, an activity log and
the parts ledger, behind one ``Store`` of domain verbs (``add``, ``remove``, ``get``, ``list``,
``record_snapshot``, ``log_event``...).

The store package is the only place that speaks SQL. ``Store`` owns the connection: opening
(owner-only file, page check, migrations), one lock, and ``_run``, which wraps each verb's SQL (a
function of the connection, in the modules named after what they own) in a transaction when it
writes, retries it while another process holds the lock, and translates every sqlite3 and OS
failure into the ``StoreError`` family.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from scenario_tui.core.errors import StoreCorruptError, StoreError, StoreVersionError
from scenario_tui.store import activity, intents, parts, schema, uploads
from scenario_tui.store.changes import Change, ChangeFeed
from scenario_tui.store.claims import ClaimVerbs
from scenario_tui.store.files import (
    check_pages,
    create_owner_only,
    dir_writable,
    is_busy,
    quick_check,
    sqlite_uri,
    translate,
)
from scenario_tui.store.ledger import LedgerVerbs
from scenario_tui.store.search import SearchTable, order_by
from scenario_tui.store.verbs import UploadVerbs

DEFAULT_BUSY_TIMEOUT_MS = 5000


def login_name() -> str:
    """Who this process runs as, for the claims of a local store."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container) and no LOGNAME
        return f"uid {os.getuid()}"

_ATTEMPTS = 3  # on "database is locked", as long as the busy timeout has not elapsed
T = TypeVar("T")


class Store(UploadVerbs, LedgerVerbs, ClaimVerbs):
    """A connection to one store file. Build it with ``Store.open``; use it as a context manager.
    The upload and activity verbs come from ``UploadVerbs`` (shared with the team store), the
    intent and parts ledger verbs from ``LedgerVerbs``, the claims from ``ClaimVerbs``.
    Its ``actor`` (who holds its claims) is the login name: a local store is one person's."""

    _uploads_sql, _activity_sql, _intents_sql, _parts_sql = uploads, activity, intents, parts

    def __init__(self, conn: sqlite3.Connection, path: Path, *, clock: Callable[[], datetime],
                 busy_timeout_ms: int, read_only: bool) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._clock = clock
        self._busy_s = busy_timeout_ms / 1000
        self._lock = threading.RLock()
        self._search = SearchTable()
        self.path = path
        self.location = str(path)  # StoreProtocol: where it lives, as it may be shown
        self.read_only = read_only
        self.actor = login_name()

    # --- opening and closing -------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, clock: Callable[[], datetime] | None = None,
             read_only: bool = False, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
             verify: bool = True) -> Store:
        """Open (creating if needed, owner-only) and migrate the store at ``path``.

        ``read_only`` opens an existing, up-to-date file without writing anything to it; so is
        a file in a directory this process cannot write (``files.sqlite_uri``): it can be read,
        and every write says it is read-only.
        ``verify=False`` leaves the check of every page (a cost that grows with the file) to the
        caller, who must run ``verify()`` before anything is written; a due migration is never
        run on an unchecked file.
        Raises StoreCorruptError, StoreVersionError, StoreLockedError or StoreWriteError.
        """
        path = Path(path).expanduser().absolute()
        read_only = read_only or (path.is_file() and not dir_writable(path))
        if read_only and not path.is_file():
            raise StoreError(f"There is no local store at {path} to open read-only.")
        created = False if read_only else create_owner_only(path)
        try:
            conn = sqlite3.connect(sqlite_uri(path, read_only=read_only), uri=True,
                                   isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout_ms / 1000)
        except sqlite3.Error as exc:
            raise translate(exc, path, "open the local store", busy_timeout_ms / 1000) from exc
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
        action, known_migrations = "open the local store", len(schema.MIGRATIONS)
        self._run(action, lambda c: (c.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"),
                                     c.execute("PRAGMA foreign_keys = ON"),
                                     # rows deleted by INSERT OR REPLACE fire delete triggers too
                                     c.execute("PRAGMA recursive_triggers = ON"),
                                     c.execute("PRAGMA temp_store = MEMORY")))
        version, tables = self._run(action, schema.read_version)
        if version > known_migrations:
            raise StoreVersionError(
                f"{self.path} was created by a newer scenario-tui (schema {version}, this version "
                f"knows {known_migrations}); upgrade scenario-tui or use another --store.")
        if version == 0 and tables:
            raise StoreCorruptError(
                f"{self.path} is a SQLite database, but not a scenario-tui store. "
                "Use another --store, or move that file aside.", title="Not a scenario-tui store")
        if verify or version < known_migrations:
            check_pages(self.path, self._run(action, quick_check))
        if self.read_only:
            if version < known_migrations:
                raise StoreVersionError(
                    f"{self.path} has schema {version}, but this version of scenario-tui needs "
                    f"{known_migrations}; open it once without read-only mode to upgrade it.",
                    title="Local store needs an upgrade")
            return
        self._run(action, lambda c: (c.execute("PRAGMA journal_mode = WAL").fetchall(),
                                     c.execute("PRAGMA synchronous = NORMAL")))
        for number, (name, sql) in enumerate(schema.MIGRATIONS, start=1):
            if number > version:
                def step(c: sqlite3.Connection, n: int = number, m: str = name,
                         s: str = sql) -> None:
                    schema.migrate(c, n, m, s, self._now())

                self._run("upgrade the local store", step, write=True)
        if created:
            for suffix in ("-wal", "-shm"):
                try:
                    os.chmod(f"{self.path}{suffix}", 0o600)
                except OSError:
                    pass

    def verify(self) -> None:
        """Check every page of the file (``PRAGMA quick_check``); raise StoreCorruptError if one
        is damaged. On a connection of its own: one call that runs without the GIL, so a thread
        can run it while the main thread works (the TUI imports Textual meanwhile)."""
        try:
            conn = sqlite3.connect(sqlite_uri(self.path, read_only=True), uri=True,
                                   timeout=self._busy_s)
            try:
                rows = quick_check(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise translate(exc, self.path, "check the local store", self._busy_s) from exc
        check_pages(self.path, rows)

    def close(self) -> None:
        """Close the connection (idempotent). The WAL is checkpointed into the main file."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error as exc:
                    raise translate(exc, self.path, "close the local store", self._busy_s) from exc

    #: StoreProtocol: a local file is always at hand
    connected = True

    def follow_changes(self, on_change: Callable[[Change], None],
                       on_state: Callable[[bool], None]) -> ChangeFeed | None:
        """None: a local store is one person's, with nobody else's changes to follow."""
        return None

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

    # --- uploads: the search (the other verbs: ``store.verbs.UploadVerbs``) --------------------

    def count(self, search: str | None = None, status: str | None = None) -> int:
        """How many uploads match the filters of ``list``."""
        return self._run("count uploads", lambda c: self._search.count(c, search, status))

    def search_seqs(self, *, search: str | None = None, status: str | None = None,
                    sort: str = "added", descending: bool = True,
                    limit: int | None = None) -> builtins.list[int]:
        """The ``seq`` of the uploads matching the filters of ``list``, in its order (at most
        ``limit`` of them: the scan stops there), read in one scan. Read the rows of a slice of
        them with ``rows_by_seq``. Recent answers are kept while nothing changes (see
        ``store.search``), so a backspace or a longer search costs little."""
        return self._run("list uploads", lambda c: self._search.seqs(
            c, search, status, sort, descending, limit))

    # --- plumbing ------------------------------------------------------------------------------

    def _page(self, columns: str, search: str | None, status: str | None, sort: str,
              descending: bool, limit: int | None, offset: int) -> builtins.list[tuple]:
        order = order_by(sort, descending)
        return self._run("list uploads", lambda c: uploads.page(
            c, columns, self._search.where(c, search, status), order, limit, offset))

    def _run(self, action: str, body: Callable[[sqlite3.Connection], T], *,
             write: bool = False, one_statement: bool = False) -> T:
        """Run ``body`` (in a BEGIN IMMEDIATE transaction if ``write``, ``one_statement`` or
        not: a local transaction costs no round trip), retrying a few times on "database is
        locked" within the busy timeout, and translating every sqlite3 error."""
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
                    if is_busy(exc) and attempt < _ATTEMPTS and time.monotonic() < deadline:
                        time.sleep(0.02 * attempt)
                        continue
                    raise translate(exc, self.path, action, self._busy_s) from exc
                except (OverflowError, OSError) as exc:
                    raise translate(exc, self.path, action, self._busy_s) from exc
        raise AssertionError("unreachable")
