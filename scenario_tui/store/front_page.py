"""The front page of a team store, kept on this machine between sessions: what the list showed
first (the count, the newest rows, the active claims) when the TUI last ended.

A team store's first screen waits for PostgreSQL's client library to load and for the server
to answer; with the front page of the last session at hand, the TUI shows that at once, marked
as connecting, and reads the store again as soon as it answers (``store.connecting``).

One small JSON file per store in the data directory, named by a digest of the store's URL as
it may be shown (a password is never part of it: ``core.store_url``). It holds what the list
shows of each row (no snapshot) and is written whole or not at all: a damaged, foreign or
unreadable file reads as no page, and a disk that is full or read-only leaves the old one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from scenario_tui.core.store_url import safe_url
from scenario_tui.store.claims import Claim
from scenario_tui.store.rows import KNOWN_FIELDS, KnownUpload, known, row_values

if TYPE_CHECKING:
    from scenario_tui.store.protocol import StoreProtocol

#: rows kept: one page of the list (``store.listing.Listing.PAGE_SIZE``), more than a screen
ROWS = 100
FORMAT = 1
FOLDER = "front-pages"


class FrontPage(NamedTuple):
    """What the list of a store showed first: the count, the first rows (no snapshots needed),
    the active claims, and who the store's user was."""

    total: int
    rows: list[KnownUpload]
    claims: list[Claim]
    actor: str


def page_path(data_dir: Path, url: str) -> Path:
    """Where the front page of the team store at ``url`` is kept under ``data_dir``."""
    import hashlib  # here, not at import: the local store's TUI never needs it

    digest = hashlib.sha256(safe_url(url).encode()).hexdigest()[:24]
    return data_dir / FOLDER / f"{digest}.json"


def read_page(store: StoreProtocol) -> FrontPage:
    """The front page of ``store`` as it is now (three reads; the StoreError family)."""
    rows = store.list(limit=ROWS, snapshots=False)
    return FrontPage(total=store.count(), rows=rows, claims=list(store.claims().values()),
                     actor=store.actor)


def page_text(url: str, page: FrontPage) -> str:
    """``page`` of the store at ``url`` as the text kept (JSON; no password, no snapshot)."""
    import json

    data = {"format": FORMAT, "store": safe_url(url), "count": page.total, "actor": page.actor,
            "rows": [_list_row(row) for row in page.rows[:ROWS]],
            "claims": [[c.upload_id, c.holder, c.claimed_at, c.expires_at] for c in page.claims]}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def save_page(path: Path, url: str, page: FrontPage) -> bool:
    """Write ``page`` of the store at ``url`` at ``path`` whole (a file of its own, then
    renamed over the old one; readable by this user only); False when it could not be written
    (the old one stays)."""
    text = page_text(url, page)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except (OSError, ValueError):
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
        return False
    return True


def load_page(path: Path, url: str) -> FrontPage | None:
    """The front page kept at ``path`` for the store at ``url``; None when there is none, or it
    cannot be read, or it is of another store or another format."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    return page_from_text(text, url)


def page_from_text(text: str, url: str) -> FrontPage | None:
    """The front page of the store at ``url`` that ``text`` holds (``page_text``); None when it
    is not one, or is of another store or another format."""
    import json

    try:
        data = json.loads(text)
        if (not isinstance(data, dict) or data.get("format") != FORMAT
                or data.get("store") != safe_url(url)):
            return None
        count, actor = data["count"], data["actor"]
        rows = [known(tuple(row)) for row in data["rows"] if _is_row(row)]
        claims = [Claim(*claim) for claim in data["claims"]
                  if isinstance(claim, list) and len(claim) == 4
                  and all(isinstance(value, str) for value in claim)]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(count, int) or count < 0 or not isinstance(actor, str):
        return None
    return FrontPage(total=max(count, len(rows)), rows=rows, claims=claims, actor=actor)


def _list_row(row: KnownUpload) -> list:
    """``row``'s values as the list reads them: without the snapshot."""
    values = list(row_values(row))
    values[KNOWN_FIELDS.index("snapshot_json")] = None
    return values


def _is_row(row: object) -> bool:
    """Whether ``row`` has the shape of a list's row (the ID, note and date are text)."""
    return (isinstance(row, list) and len(row) == len(KNOWN_FIELDS)
            and all(isinstance(value, str) for value in row[:3])
            and isinstance(row[-1], int))
