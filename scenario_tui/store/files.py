"""The store's file on disk: created owner-only, checked page by page, and every sqlite3 or OS
failure on it said as a ``StoreError`` that names the file and what to do."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from scenario_tui.core.errors import (
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreWriteError,
)

_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


def create_owner_only(path: Path) -> bool:
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
        raise translate(exc, path, "create the local store", 0) from exc
    os.fchmod(fd, 0o600)
    os.close(fd)
    return True


def dir_writable(path: Path) -> bool:
    """Whether this process may create files beside ``path`` (SQLite's -wal and -shm)."""
    return os.access(path.parent, os.W_OK)


def sqlite_uri(path: Path, *, read_only: bool) -> str:
    """The URI that opens ``path``: read-write (created if missing), or read-only. Read-only in
    a directory this process cannot write and with no -wal file beside it, the file is opened
    ``immutable``: SQLite could not create the -shm file it reads a WAL database through, and
    without a -wal file every page is in the main file. (A writer elsewhere, with the right to
    write there, is not seen by such a reader until it opens the file again.)"""
    immutable = read_only and not dir_writable(path) and not os.path.exists(f"{path}-wal")
    return (f"file:{quote(path.as_posix())}?mode={'ro' if read_only else 'rwc'}"
            f"{'&immutable=1' if immutable else ''}")


def quick_check(conn: sqlite3.Connection) -> list[tuple]:
    """The rows of ``PRAGMA quick_check`` (at most three problems): ``[("ok",)]`` if sound."""
    return conn.execute("PRAGMA quick_check(3)").fetchall()


def check_pages(path: Path, rows: list[tuple]) -> None:
    """Raise StoreCorruptError unless ``rows`` (from ``quick_check``) say every page is sound."""
    if rows != [("ok",)]:
        problems = "; ".join(str(row[0]).replace("\n", " ") for row in rows)
        raise _corrupt(path, problems if len(problems) < 200 else problems[:197] + "...")


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says another connection holds the lock."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(exc)


def translate(exc: BaseException, path: Path, action: str, busy_s: float) -> StoreError:
    """The StoreError that explains ``exc`` to a user."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError):
        cls = StoreWriteError if exc.errno in _WRITE_ERRNOS else StoreError
        return cls(f"Could not {action} at {path}: {exc.strerror or text}. Check the disk space "
                   "and permissions, or use another --store.")
    name = getattr(exc, "sqlite_errorname", "") or ""
    if is_busy(exc):
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


def _corrupt(path: Path, detail: str) -> StoreCorruptError:
    return StoreCorruptError(
        f"{path} is damaged or is not a scenario-tui store ({detail}). Move it aside (for example "
        f"rename it to {path.name}.bad) so a fresh store is created, or use another --store.")
