"""Which uploads a list shows, and in which order: the filters (a search, a status), the sort keys,
and the per-connection search table that answers a search.

A search (a case-insensitive substring of ID, file name, note or status) reads a narrow copy of
those columns, ``temp.upload_search``, built on the first search and kept up to date by temporary
triggers (and rebuilt when another connection has committed): one scan of short rows instead of
four ``LIKE``s over the wide ``uploads`` rows. It lives in the connection's temp database, so the
file and its schema are never touched by it.

Complete answers of the last few searches are kept while nothing changes: the same search again
(a backspace) is answered from them, and a longer one (typing on) tests only the matches of a
shorter one, when there are few enough.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple, TypeGuard

from scenario_tui.store.sql import chunks, marks

SORT_KEYS = {
    "added": "seq", "status": "status", "id": "id",
    "file_name": "file_name", "updated": "updated_at", "size": "file_size",
}
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
_MATCH = "haystack LIKE ? ESCAPE '\\'"
_NARROW_MAX = 2_000  # above this many last matches, one scan of upload_search is as cheap
_RECENT_SEARCHES = 8  # complete search answers kept (backspace, typing on)
_RECENT_MAX_SEQS = 20_000  # a longer answer is not kept (it would hold memory for little gain)
_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def order_by(sort: str, descending: bool) -> str:
    """The ORDER BY terms of a list sorted by ``sort`` (a key of SORT_KEYS; "added" = newest
    first when descending), ties broken by insertion order."""
    if sort not in SORT_KEYS:
        raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {sort!r}")
    way = "DESC" if descending else "ASC"
    return f"seq {way}" if sort == "added" else f"{SORT_KEYS[sort]} {way}, seq {way}"


class _Answer(NamedTuple):
    shape: tuple[str | None, str, bool]  # (status, sort, descending)
    folded: str  # the search as LIKE compares it
    seqs: list[int]  # every match, in order
    token: tuple[int, int | None]  # (total_changes, search table version) when it was read


class SearchTable:
    """The search table of one connection and the answers of its recent searches. Use it only
    inside the store's lock, on the connection it was made for."""

    def __init__(self) -> None:
        self._version: int | None = None  # data_version when upload_search was built
        self._recent: list[_Answer] = []  # newest last

    def where(self, c: sqlite3.Connection, search: str | None,
              status: str | None) -> tuple[str, list[str]]:
        """WHERE clause (or "") and parameters of the filters, the search table made ready."""
        if _searches(search):
            self._prepare(c)
        return _where(search, status)

    def count(self, c: sqlite3.Connection, search: str | None, status: str | None) -> int:
        """How many uploads match the filters."""
        where, params = self.where(c, search, status)
        if _searches(search) and status is None:  # the narrow table alone answers it
            return c.execute(f"SELECT count(*) FROM upload_search WHERE {_MATCH}",
                             [_pattern(search)]).fetchone()[0]
        return c.execute(f"SELECT count(*) FROM uploads{where}", params).fetchone()[0]

    def seqs(self, c: sqlite3.Connection, search: str | None, status: str | None, sort: str,
             descending: bool, limit: int | None) -> list[int]:
        """The ``seq`` of the matching uploads in list order, at most ``limit`` of them (the scan
        stops there)."""
        order = order_by(sort, descending)
        cap = -1 if limit is None else limit
        where, params = self.where(c, search, status)
        if not _searches(search):
            return [r[0] for r in c.execute(
                f"SELECT seq FROM uploads{where} ORDER BY {order} LIMIT ?", (*params, cap))]
        shape, folded = (status, sort, descending), _fold(search)
        token = (c.total_changes, self._version)
        recent = [a for a in self._recent if a.shape == shape and a.token == token]
        self._recent = recent  # answers from before a change are stale
        same = next((a.seqs for a in recent if a.folded == folded), None)
        if same is not None:
            return list(same) if limit is None else same[:limit]
        shorter = min((a.seqs for a in recent if a.folded in folded), key=len, default=None)
        if shorter is not None and len(shorter) <= _NARROW_MAX:
            seqs = _narrow(c, shorter, search)  # their order is kept
        else:
            if status is None and sort == "added":
                way = "DESC" if descending else "ASC"
                sql = f"SELECT seq FROM upload_search WHERE {_MATCH} ORDER BY seq {way} LIMIT ?"
                params = [_pattern(search)]
            else:
                sql = f"SELECT seq FROM uploads{where} ORDER BY {order} LIMIT ?"
            seqs = [r[0] for r in c.execute(sql, (*params, cap))]
            if limit is not None and len(seqs) >= limit:
                return seqs  # not every match: nothing to keep
        if len(seqs) <= _RECENT_MAX_SEQS:
            self._recent = [*recent[-(_RECENT_SEARCHES - 1):], _Answer(shape, folded, seqs, token)]
        return seqs if limit is None else seqs[:limit]

    def _prepare(self, c: sqlite3.Connection) -> None:
        """Build temp.upload_search on first use; rebuild it when another connection has
        committed since (this connection's own changes reach it through the temp triggers)."""
        version = c.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        if self._version is None:
            for statement in _SEARCH_SCHEMA:
                c.execute(statement)
        c.execute("DELETE FROM upload_search")
        c.execute("INSERT INTO upload_search (seq, haystack)"
                  f" SELECT seq, {_HAYSTACK.format(t='uploads')} FROM main.uploads")
        self._version = version


def _searches(search: str | None) -> TypeGuard[str]:
    """Whether ``search`` is answered from temp.upload_search (any search without the
    separator: with it, a match could span two columns there, so the columns are searched)."""
    return search is not None and search != "" and _SEP not in search


def _where(search: str | None, status: str | None) -> tuple[str, list[str]]:
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


def _fold(search: str) -> str:
    """``search`` as LIKE compares it: ASCII letters case-insensitively, the rest exactly."""
    return search.translate(_ASCII_FOLD)


def _pattern(search: str) -> str:
    return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _narrow(c: sqlite3.Connection, seqs: list[int], search: str) -> list[int]:
    """Those of ``seqs`` (in their order) whose row matches ``search``."""
    pattern = _pattern(search)
    matched: set[int] = set()
    for chunk in chunks(seqs):
        matched.update(r[0] for r in c.execute(
            f"SELECT seq FROM upload_search WHERE seq IN ({marks(chunk)}) AND {_MATCH}",
            [*chunk, pattern]))
    return [seq for seq in seqs if seq in matched]
