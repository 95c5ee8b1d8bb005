"""What the CLI writes: data on stdout (text lines or ``--json``), diagnostics on stderr, and the
exit codes it returns.

Exit codes: 0 everything requested succeeded, 1 some requested operation failed (each failure
reported on stderr), 2 usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:
    from scenario_tui.core.errors import ScenarioTuiError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def say(text: str) -> None:
    """One diagnostic line on stderr."""
    print(text, file=sys.stderr, flush=True)


def report_error(exc: ScenarioTuiError, prefix: str = "") -> None:
    """An expected failure on stderr as ``PREFIXTitle: message``, made inert (the message may
    carry a server's text)."""
    from scenario_tui.core.inert import inert_text

    say(inert_text(f"{prefix}{exc.title}: {exc.message}"))


def status_printer(before: Callable[[], None] | None = None) -> Callable[[Any], None]:
    """An ``on_update`` callback that says each new status of a followed upload on stderr
    (``ID: status (error message)``); ``before`` runs first (to clear a progress line)."""
    from scenario_tui.core.inert import inert_text

    def on_update(upload) -> None:
        if before is not None:
            before()
        extra = f" ({upload.error_message})" if upload.error_message else ""
        say(inert_text(f"{upload.id}: {upload.status}{extra}", one_line=True))

    return on_update


def tab_lines(rows: Iterable[Sequence[str]], *, flush: bool = False) -> None:
    """Text output on stdout: one line per row, its fields made inert, on one line each, and
    joined by tabs."""
    from scenario_tui.core.inert import inert_text

    for fields in rows:
        print("\t".join(inert_text(f, one_line=True) for f in fields), flush=flush)


def emit_json(data: Any) -> None:
    """JSON on stdout: an object indented, an array of objects one object per line (encoded in
    one call of json's C encoder, so a long listing stays fast and greps well).
    Controls that json leaves raw (DEL, C1, bidi, line separators) are written as \\u escapes,
    so a server's string cannot drive the terminal."""
    import json

    if isinstance(data, list):
        text = json.dumps(data, ensure_ascii=False)
        # a raw quote never occurs inside a JSON string, so '}, {"' is always a boundary
        # between two objects: breaking the line there changes no value
        text = "[\n  " + text[1:-1].replace('}, {"', '},\n  {"') + "\n]" if data else "[]"
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    if not text.isascii() or "\x7f" in text:
        import re

        text = re.sub(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]",
                      lambda m: f"\\u{ord(m.group(0)):04x}", text)
    sys.stdout.write(text + "\n")


def known_to_json(row) -> dict[str, Any]:
    """The stable ``--json`` shape of one known upload (documented in the README)."""
    return {
        "id": row.id,
        "status": row.status,
        "fileName": row.file_name,
        "kind": row.kind,
        "fileSize": row.file_size,
        "updatedAt": row.updated_at,
        "errorMessage": row.error_message,
        "note": row.note,
        "noteBy": row.note_by,
        "addedAt": row.added_at,
        "fetchedAt": row.fetched_at,
        "notFoundAt": row.not_found_at,
    }


def claim_to_json(claim, me: str) -> dict[str, Any]:
    """The stable ``--json`` shape of a claim; ``me``: the store's actor, whose claims are
    ``mine``."""
    return {"holder": claim.holder, "expiresAt": claim.expires_at, "mine": claim.holder == me}


#: what an OS error on an output file means, said plainly
_WRITE_REASONS = {
    "ENOSPC": "the disk is full", "EDQUOT": "the disk quota is used up",
    "EACCES": "permission denied", "EPERM": "permission denied",
    "EROFS": "the file system is read-only", "ENAMETOOLONG": "the name is too long",
    "EFBIG": "the file is too large for this file system",
}


def write_file_atomically(path: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all: into a temporary file beside it,
    synced, then renamed over it (an existing file keeps its permissions). Returns the path
    written; any failure is an ``OutputFileError`` saying why, with nothing left behind."""
    import errno
    import os
    import tempfile
    from pathlib import Path

    from scenario_tui.core.errors import OutputFileError
    from scenario_tui.core.inert import inert_text

    target = Path(path).expanduser()
    shown = inert_text(str(target), one_line=True, limit=300)
    if target.is_dir():
        raise OutputFileError(f"{shown} is a directory: give a file name (for example "
                              f"{inert_text(str(target / 'summary.txt'), one_line=True)}).")
    if not target.parent.is_dir():
        parent = inert_text(str(target.parent), one_line=True, limit=300)
        raise OutputFileError(f"Cannot write {shown}: the directory {parent} does not exist. "
                              "Nothing was written.")
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    temporary: str | None = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, "")
        reason = _WRITE_REASONS.get(name) or (exc.strerror or "it failed").lower()
        raise OutputFileError(f"Cannot write {shown}: {reason}. Nothing was written.") from None
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
    return str(target)
