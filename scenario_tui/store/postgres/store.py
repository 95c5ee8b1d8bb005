"""The team store: the same domain verbs as the local SQLite ``Store`` (``StoreProtocol``), on a
PostgreSQL database the team shares. Build it with ``PostgresStore.open(url)``.

Each verb's SQL (in ``uploads`` and ``ledger``) runs through ``Connections.run``: one
transaction per write, every psycopg failure translated into the ``StoreError`` family, a
dropped connection replaced at the next call. The schema is made by ``team.init_schema``
(``scenario-tui team init``); opening a database without it, or with a schema this version does
not know, is refused. ``location`` (and ``repr``) name the database without its password.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TypeVar

import psycopg

from scenario_tui.core.errors import StoreVersionError
from scenario_tui.core.store_url import safe_url
from scenario_tui.store.changes import Change, ChangeFeed
from scenario_tui.store.claims import DEFAULT_CLAIM_MINUTES, Claim, ClaimResult
from scenario_tui.store.ledger import LedgerVerbs
from scenario_tui.store.postgres import claims, ledger, parts, schema, uploads
from scenario_tui.store.postgres.connection import Connections
from scenario_tui.store.postgres.errors import INIT_HINT
from scenario_tui.store.postgres.feed import PostgresFeed
from scenario_tui.store.verbs import UploadVerbs

T = TypeVar("T")


class PostgresStore(UploadVerbs, LedgerVerbs):
    """Connections to one team store. Use it as a context manager, from any thread. The upload
    and activity verbs come from ``UploadVerbs``, the intent and parts ledgers' from
    ``LedgerVerbs`` (both shared with the local store), on this package's SQL."""

    _uploads_sql, _activity_sql, _intents_sql, _parts_sql = uploads, ledger, ledger, parts

    def __init__(self, connections: Connections, *, clock: Callable[[], datetime],
                 read_only: bool) -> None:
        self._db = connections
        self._clock = clock
        self.read_only = read_only
        #: the URL as it may be shown (any password masked)
        self.location = safe_url(connections.url)
        #: who this store's user is (the database session user: holds its claims, is the actor
        #: of its log entries); read when it is opened
        self.actor = ""

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] | None = None,
             read_only: bool = False) -> PostgresStore:
        """Connect to the team store at ``url`` and check its schema. Raises the StoreError
        family: unreachable, wrong password, missing database, no rights, or a schema that is
        missing, older or newer than this version's (``StoreVersionError``)."""
        store = cls(Connections(url, read_only=read_only),
                    clock=clock or (lambda: datetime.now(timezone.utc)), read_only=read_only)
        try:
            store._check_schema()
        except BaseException:
            store.close()
            raise
        return store

    def _check_schema(self) -> None:
        where, known_migrations = self._db.where, len(schema.MIGRATIONS)
        version, self.actor = self._run("open the team store", lambda c: (
            schema.read_version(c), _session_user(c)))
        if version is None:
            raise StoreVersionError(
                f"The database {where} has no scenario-tui schema yet; {INIT_HINT} "
                f"--store {self.location} once to create it.", title="Team store not set up")
        if version > known_migrations:
            raise StoreVersionError(
                f"The team store {where} was set up by a newer scenario-tui (schema {version}, "
                f"this version knows {known_migrations}); upgrade scenario-tui.",
                title="Team store is too new")
        if version < known_migrations:
            raise StoreVersionError(
                f"The team store {where} has schema {version}, but this version of scenario-tui "
                f"needs {known_migrations}; {INIT_HINT} to upgrade it.",
                title="Team store needs an upgrade")

    @property
    def connected(self) -> bool:
        """False after a failure to reach the server: calls are then refused at once, without
        trying, for a short while (``Connections``); True again once one gets through."""
        return self._db.connected

    def follow_changes(self, on_change: Callable[[Change], None],
                       on_state: Callable[[bool], None]) -> ChangeFeed | None:
        """Follow what teammates change (``store.changes``; the feed's connection is its own,
        see ``postgres.feed``). It connects before it returns (at most the connect timeout;
        not at all while the server is known to be away: the feed's thread then tries). A feed
        that gets its connection back also lets the store's calls try again at once."""
        return PostgresFeed.start(lambda: self._db.connect(keepalive=True), on_change, on_state,
                                  on_connected=self._db.mark_up, connect_now=self._db.connected)

    def verify(self) -> None:
        """Nothing to check here: the server keeps its pages (``StoreProtocol.verify``)."""

    def close(self) -> None:
        """Close the connections (idempotent)."""
        self._db.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r}{', read_only=True' if self.read_only else ''})"

    @property
    def schema_version(self) -> int:
        """How many migrations the database has applied."""
        return self._run("read the schema version", schema.read_version) or 0

    # --- uploads: the search (the other verbs: ``store.verbs.UploadVerbs``) --------------------

    def count(self, search: str | None = None, status: str | None = None) -> int:
        filters = uploads.where(search, status)
        return self._run("count uploads", lambda c: uploads.count(c, filters))

    def search_seqs(self, *, search: str | None = None, status: str | None = None,
                    sort: str = "added", descending: bool = True,
                    limit: int | None = None) -> builtins.list[int]:
        filters, order = uploads.where(search, status), uploads.order_by(sort, descending)
        return self._run("list uploads", lambda c: uploads.seqs(c, filters, order,
                                                               _limit(limit)))

    # (the intent and parts ledgers' verbs: ``store.ledger.LedgerVerbs``)

    # --- claims (as ``store.claims.ClaimVerbs``; the holder is the session user) --------------

    def claim(self, upload_ids: Sequence[str], minutes: float = DEFAULT_CLAIM_MINUTES, *,
              profile: str | None = None) -> ClaimResult:
        now, wanted = self._clock(), list(dict.fromkeys(upload_ids))
        return self._run("claim uploads", lambda c: claims.take(c, wanted, now, minutes,
                                                                profile),
                         write=True, one_statement=True)

    def release(self, upload_ids: Sequence[str], *, profile: str | None = None) -> int:
        now, wanted = self._clock(), list(dict.fromkeys(upload_ids))
        return self._run("release uploads", lambda c: claims.give_back(c, wanted, now, profile),
                         write=True, one_statement=True)

    def claims(self, upload_ids: Sequence[str] | None = None) -> dict[str, Claim]:
        now = self._clock()
        wanted = None if upload_ids is None else list(upload_ids)
        return self._run("read claims", lambda c: claims.active(c, wanted, now))

    # --- plumbing ------------------------------------------------------------------------------

    def _page(self, columns: str, search: str | None, status: str | None, sort: str,
              descending: bool, limit: int | None, offset: int) -> builtins.list[tuple]:
        filters, order = uploads.where(search, status), uploads.order_by(sort, descending)
        return self._run("list uploads", lambda c: uploads.page(
            c, columns, filters, order, _limit(limit), offset))

    def _run(self, action: str, body: Callable[[psycopg.Connection], T], *,
             write: bool = False, one_statement: bool = False) -> T:
        return self._db.run(action, body, write=write, one_statement=one_statement)


def _limit(limit: int | None) -> int | None:
    """A LIMIT as SQLite reads it (negative: none)."""
    return None if limit is None or limit < 0 else limit


def _session_user(c: psycopg.Connection) -> str:
    row = c.execute("SELECT session_user").fetchone()
    return str(row[0]) if row else ""
