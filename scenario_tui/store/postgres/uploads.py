"""The team store's upload verbs as SQL: functions of a psycopg connection that ``PostgresStore``
runs inside its transactions (the twin of ``store.uploads`` and ``store.search``, same meaning).

Lists of IDs travel as one array parameter (``= ANY(%s)``, ``unnest``), so 100,000 IDs are one
statement. A search is ``ILIKE`` over the generated ``haystack`` column (trigram-indexed; the
"C" collation folds ASCII letters only, as SQLite's ``LIKE`` does), a status an exact match; ties
are broken by ``seq``, and NULLs sort first going up and last going down, as in SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from scenario_tui.core.vocabulary import FINAL_UPLOAD_STATUSES
from scenario_tui.store.postgres import ledger, snapshots
from scenario_tui.store.rows import COLUMNS, AddResult, KnownUpload, known
from scenario_tui.store.search import _SEP, SORT_KEYS
from scenario_tui.store.search import _pattern as like_pattern
from scenario_tui.store.search import order_by as _check_sort
from scenario_tui.store.uploads import LoggedBy

Where = tuple[str, list[object]]
_ESCAPE = " ESCAPE '\\'"


def where(search: str | None, status: str | None) -> Where:
    """The WHERE clause (or "") and parameters of the filters of ``list``."""
    clauses: list[str] = []
    params: list[object] = []
    if search and _SEP not in search:
        clauses.append("haystack ILIKE %s" + _ESCAPE)
        params.append(like_pattern(search))
    elif search:  # with the separator a match could span two columns: search each
        clauses.append("(" + " OR ".join(f"{col} ILIKE %s{_ESCAPE}"
                                         for col in ("id", "file_name", "note", "status")) + ")")
        params += [like_pattern(search)] * 4
    if status is not None:
        clauses.append("status = %s")
        params.append(status)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def order_by(sort: str, descending: bool) -> str:
    """The ORDER BY terms for ``sort`` (a key of SORT_KEYS), as ``store.search.order_by``."""
    _check_sort(sort, descending)  # the same ValueError for an unknown key
    way = "DESC" if descending else "ASC"
    if sort == "added":
        return f"seq {way}"
    nulls = "NULLS LAST" if descending else "NULLS FIRST"
    return f"{SORT_KEYS[sort]} {way} {nulls}, seq {way}"


def add(c: psycopg.Connection, wanted: list[str], note: str, now: str,
        by: LoggedBy | None) -> AddResult:
    """Insert those of ``wanted`` not known yet, in order, each with the next ``seq``."""
    found = {r[0] for r in c.execute("SELECT id FROM uploads WHERE id = ANY(%s)", (wanted,))}
    new = [i for i in wanted if i not in found]
    if new:
        seqs = sorted(r[0] for r in c.execute(
            "SELECT nextval('upload_seq') FROM generate_series(1, %s)", (len(new),)))
        inserted = {r[0] for r in c.execute(
            "INSERT INTO uploads (id, seq, note, added_at)"
            " SELECT i, s, %s, %s FROM unnest(%s::text[], %s::bigint[]) AS t(i, s)"
            " ON CONFLICT (id) DO NOTHING RETURNING id", (note, now, new, seqs))}
        found |= set(new) - inserted  # added by someone else meanwhile
        new = [i for i in new if i in inserted]
        if by is not None and new:
            ledger.append(c, by.at, by.profile, None, "add", "ok", None, f"{len(new)} added", new)
    return AddResult(added=new, existing=[i for i in wanted if i in found])


def remove(c: psycopg.Connection, wanted: list[str], by: LoggedBy | None) -> list[KnownUpload]:
    """Delete the rows of ``wanted``; return them, oldest first."""
    rows = c.execute(f"DELETE FROM uploads WHERE id = ANY(%s) RETURNING {COLUMNS}",
                     (wanted,)).fetchall()
    removed = sorted((known(r) for r in rows), key=lambda k: k.seq)
    if by is not None:
        ledger.append_each(c, by.at, by.profile, [r.id for r in removed], "remove", "ok")
    return removed


def restore(c: psycopg.Connection, values: list[tuple], by: LoggedBy | None) -> int:
    """Put back rows (``row_values`` of each) exactly, replacing any row with the same ID or
    seq; the sequence is moved past the highest seq put back."""
    if values:
        latest = {v[0]: v for v in values}  # the last of one ID wins, as INSERT OR REPLACE
        kept = [v for v in values if latest[v[0]] is v]
        columns = list(zip(*kept, strict=True))
        c.execute("DELETE FROM uploads WHERE id = ANY(%s) OR seq = ANY(%s)",
                  (list(columns[0]), list(columns[-1])))
        c.execute(
            f"INSERT INTO uploads ({COLUMNS}) SELECT * FROM unnest(%s::text[], %s::text[],"
            " %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
            " %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[])",
            [list(col) for col in columns])
        c.execute("SELECT setval('upload_seq', greatest(%s, (SELECT last_value FROM upload_seq)))",
                  (max(v[-1] for v in values),))
    if by is not None:
        ledger.append_each(c, by.at, by.profile, [v[0] for v in values], "restore", "ok")
    return len(values)


def get(c: psycopg.Connection, upload_id: str) -> KnownUpload | None:
    row = c.execute(f"SELECT {COLUMNS} FROM uploads WHERE id = %s", (upload_id,)).fetchone()
    return None if row is None else known(row)


def contains(c: psycopg.Connection, upload_id: str) -> bool:
    return c.execute("SELECT 1 FROM uploads WHERE id = %s", (upload_id,)).fetchone() is not None


def known_of(c: psycopg.Connection, wanted: list[str]) -> set[str]:
    """Those of ``wanted`` in the store."""
    return {r[0] for r in c.execute("SELECT id FROM uploads WHERE id = ANY(%s)", (wanted,))}


def page(c: psycopg.Connection, columns: str, filters: Where, order: str, limit: int | None,
         offset: int) -> list[tuple]:
    """``columns`` of the rows matching ``filters``, in ``order``."""
    clause, params = filters
    return c.execute(f"SELECT {columns} FROM uploads{clause} ORDER BY {order}"
                     " LIMIT %s OFFSET %s", (*params, limit, max(offset, 0))).fetchall()


def count(c: psycopg.Connection, filters: Where) -> int:
    clause, params = filters
    row = c.execute(f"SELECT count(*) FROM uploads{clause}", params).fetchone()
    return int(row[0]) if row else 0


def seqs(c: psycopg.Connection, filters: Where, order: str, limit: int | None) -> list[int]:
    """The ``seq`` of the matching rows in list order, at most ``limit``."""
    clause, params = filters
    return [r[0] for r in c.execute(f"SELECT seq FROM uploads{clause} ORDER BY {order}"
                                    " LIMIT %s", (*params, limit))]


def by_seq(c: psycopg.Connection, wanted: Sequence[int]) -> list[KnownUpload | None]:
    """The rows with these ``seq`` values, in the same order (None where one is gone)."""
    found = {row[-1]: known(row) for row in c.execute(
        f"SELECT {COLUMNS} FROM uploads WHERE seq = ANY(%s)", (list(wanted),))}
    return [found.get(seq) for seq in wanted]


def to_refresh(c: psycopg.Connection, limit: int) -> list[str]:
    """Uploads never fetched or not final yet, most recently added first, at most ``limit``."""
    return [r[0] for r in c.execute(
        "SELECT id FROM uploads WHERE status IS NULL OR status <> ALL(%s)"
        " ORDER BY seq DESC LIMIT %s", (sorted(FINAL_UPLOAD_STATUSES), max(limit, 0)))]


def save_snapshots(c: psycopg.Connection, rows: list[tuple]) -> list[bool]:
    """Store ``snapshot_values`` rows (the last one of an ID wins); whether each upload was
    still there."""
    latest = {row[-1]: row for row in rows}
    if len(latest) == 1:  # the common case (one upload read): plain values, not arrays
        updated = c.execute(f"UPDATE uploads SET {snapshots.SET} WHERE id = %(s_id)s",
                            snapshots.params(rows[-1])).rowcount > 0
        return [updated] * len(rows)
    columns = [list(col) for col in zip(*latest.values(), strict=True)]
    saved = {r[0] for r in c.execute(
        "UPDATE uploads AS u SET snapshot = t.snapshot, fetched_at = t.fetched_at,"
        " status = t.status, file_name = t.file_name, kind = t.kind, file_size = t.file_size,"
        " updated_at = t.updated_at, error_message = t.error_message, not_found_at = NULL"
        " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
        " %s::bigint[], %s::text[], %s::text[], %s::text[]) AS t(snapshot, fetched_at, status,"
        " file_name, kind, file_size, updated_at, error_message, id)"
        " WHERE u.id = t.id RETURNING u.id", columns)}
    return [row[-1] in saved for row in rows]


def mark_not_found(c: psycopg.Connection, upload_id: str, checked_at: str) -> bool:
    return c.execute("UPDATE uploads SET not_found_at = %s WHERE id = %s",
                     (checked_at, upload_id)).rowcount > 0


def set_note(c: psycopg.Connection, upload_id: str, note: str, by: LoggedBy | None,
             message: str | None = None) -> bool:
    """Replace the note (its author, ``note_by``, is set by the server from the session user;
    logged with ``message`` when ``by``); False (nothing written or logged) when the upload
    is not there."""
    saved = c.execute("UPDATE uploads SET note = %s WHERE id = %s",
                      (note, upload_id)).rowcount > 0
    if saved and by is not None:
        ledger.append(c, by.at, by.profile, upload_id, "note", "ok", None, message)
    return saved
