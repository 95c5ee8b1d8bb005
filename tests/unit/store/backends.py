"""The two store backends as the shared store suite sees them: how to open a store (again: a
second connection, as another process would), what the store records as who acted, and, from
another connection, raw reads and injected failures (a trigger that refuses a write)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.sqlite import Store

#: the time the ticking clock starts from (and is set back to once a store is open)
START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class TickingClock:
    """A deterministic clock: each call is one second after the previous one."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class FixedClock:
    """A clock that stays where the test puts it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 10, 2, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


class Backend:
    """One store backend under test."""

    name: str
    #: what the store records as who acted (``ActivityEvent.actor``, ``KnownUpload.note_by``):
    #: None in a local store (one person), the database session user in a team store
    actor: str | None

    def open(self, *, clock: Callable[[], datetime] | None = None,
             read_only: bool = False) -> StoreProtocol:
        raise NotImplementedError

    def rows(self, sql: str) -> list[tuple]:
        """``sql`` (no parameters) run by another connection."""
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        """``sql`` run and committed by another connection."""
        raise NotImplementedError

    def refuse(self, name: str, event: str, table: str, message: str,
               when: str | None = None) -> None:
        """From another connection: a trigger ``name`` that makes every ``event`` (``INSERT``,
        ``UPDATE OF col``) on ``table`` fail with ``message`` (where ``when``, on ``new``)."""
        raise NotImplementedError

    def allow(self, name: str, table: str) -> None:
        """Drop the trigger ``refuse`` made."""
        raise NotImplementedError

    def stored_text(self) -> str:
        """Everything the backend holds, as text (to look for what must not be kept)."""
        raise NotImplementedError


class SQLiteBackend(Backend):
    name, actor = "sqlite", None

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self, *, clock: Callable[[], datetime] | None = None,
             read_only: bool = False) -> StoreProtocol:
        return Store.open(self.path, clock=clock, read_only=read_only)

    def rows(self, sql: str) -> list[tuple]:
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def execute(self, sql: str) -> None:
        conn = sqlite3.connect(self.path)
        try:
            conn.executescript(sql)
            conn.commit()
        finally:
            conn.close()

    def refuse(self, name: str, event: str, table: str, message: str,
               when: str | None = None) -> None:
        condition = f" WHEN {when}" if when else ""
        self.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table}{condition}"
                     f" BEGIN SELECT RAISE(ABORT, '{message}'); END")

    def allow(self, name: str, table: str) -> None:
        self.execute(f"DROP TRIGGER {name}")

    def stored_text(self) -> str:
        return "\n".join(file.read_bytes().decode("latin-1")
                         for file in self.path.parent.iterdir() if file.is_file())


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, url: str) -> None:
        from psycopg.conninfo import conninfo_to_dict

        self.url = url
        self.actor = str(conninfo_to_dict(url)["user"])

    def open(self, *, clock: Callable[[], datetime] | None = None,
             read_only: bool = False) -> StoreProtocol:
        from scenario_tui.store.postgres.store import PostgresStore

        return PostgresStore.open(self.url, clock=clock, read_only=read_only)

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def rows(self, sql: str) -> list[tuple]:
        with self._connect() as conn:
            return conn.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        with self._connect() as conn:
            conn.execute(sql)

    def refuse(self, name: str, event: str, table: str, message: str,
               when: str | None = None) -> None:
        condition = f" WHEN ({when})" if when else ""
        self.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS"
                     f" $$BEGIN RAISE EXCEPTION '{message}'; END$$")
        self.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition}"
                     f" EXECUTE FUNCTION {name}()")

    def allow(self, name: str, table: str) -> None:
        self.execute(f"DROP TRIGGER {name} ON {table}")
        self.execute(f"DROP FUNCTION {name}()")

    def stored_text(self) -> str:
        with self._connect() as conn:
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                " AND table_type = 'BASE TABLE'").fetchall()
            return "\n".join(str(row[0]) for schema, table in tables for row in conn.execute(
                f'SELECT t::text FROM "{schema}"."{table}" t'))
