"""Setting up a team store (``scenario-tui team init``): create or migrate its schema, and the
roles and grants a team needs.

Each migration runs in its own transaction under a transaction-scoped advisory lock, and checks
the migrations table again once it holds the lock: two members upgrading at once do not collide,
and each migration is applied once. A database that has migrations this version does not know
is refused (``StoreVersionError``), never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import psycopg

from scenario_tui.core.errors import StoreVersionError
from scenario_tui.core.store_url import describe
from scenario_tui.core.timestamps import to_iso
from scenario_tui.store.postgres.connection import Connections
from scenario_tui.store.postgres.schema import COUNTER_TABLE, MIGRATIONS, MIGRATIONS_TABLE

#: the key of the advisory lock held while the schema changes ("scentui" in ASCII)
LOCK_KEY = 0x736365_6E74_7569
GROUP_ROLE = "scenario_team"
_TABLE = f"""CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
    name text PRIMARY KEY,
    applied_at text NOT NULL,
    applied_by text NOT NULL DEFAULT session_user
)"""


@dataclass(frozen=True)
class TeamInit:
    """What ``init_schema`` did: the migrations it applied now (empty when the schema was up to
    date), how many the database has, and where it is ("db on host")."""

    location: str
    applied: tuple[str, ...]
    version: int

    @property
    def created(self) -> bool:
        """Whether the schema was created now (not only upgraded)."""
        return bool(self.applied) and self.applied[0] == MIGRATIONS[0][0]

    def grants_sql(self, group: str = GROUP_ROLE) -> str:
        """The SQL (for psql, as the database's owner) of a group role with the least rights a
        team member needs, and how to add a member. Safe to run again."""
        return grants_sql(group)


def init_schema(url: str) -> TeamInit:
    """Create or migrate the schema of the team store at ``url``. Raises the StoreError family
    (``StoreVersionError`` for a database newer than this version)."""
    connections = Connections(url)
    names = [name for name, _ in MIGRATIONS]
    applied: list[str] = []
    try:
        for name, sql in MIGRATIONS:
            def step(c: psycopg.Connection, name: str = name, sql: str = sql) -> bool:
                c.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                c.execute(_TABLE)
                done = {r[0] for r in c.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
                unknown = sorted(done - set(names))
                if unknown:
                    raise StoreVersionError(
                        f"The team store {describe(url)} was set up by a newer scenario-tui "
                        f"(it has migration {unknown[-1]}, which this version does not know); "
                        "upgrade scenario-tui.", title="Team store is too new")
                if name in done:
                    return False
                c.execute(sql)  # several statements, no parameters: one simple query
                c.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (%s, %s)",
                          (name, to_iso(datetime.now(timezone.utc))))
                return True

            if connections.run("set up the team store", step, write=True):
                applied.append(name)
        version = connections.run("read the schema version", lambda c: int(c.execute(
            f"SELECT count(*) FROM {MIGRATIONS_TABLE}").fetchone()[0]))  # type: ignore[index]
    finally:
        connections.close()
    return TeamInit(describe(url), tuple(applied), version)


def grants_sql(group: str = GROUP_ROLE) -> str:
    """See ``TeamInit.grants_sql``."""
    role = '"' + group.replace('"', '""') + '"'
    literal = "'" + group.replace("'", "''") + "'"
    return f"""-- Run once as the owner of the database (psql -d DB -f this.sql); safe to run again.
-- The group role: what every team member may do, and no more.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {role}', current_database());
END $$;
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT ON {MIGRATIONS_TABLE} TO {role};
-- the change counter, read by a member whose connection cannot LISTEN (bumped by the server)
GRANT SELECT ON {COUNTER_TABLE} TO {role};
-- the list: add, remove, restore (which puts rows back whole), notes and what the API said
GRANT SELECT, INSERT, DELETE ON uploads TO {role};
GRANT UPDATE (note, snapshot, fetched_at, status, file_name, kind, file_size, updated_at,
              error_message, not_found_at) ON uploads TO {role};
GRANT USAGE, SELECT, UPDATE ON SEQUENCE upload_seq TO {role};
-- the activity log: appended, never changed; the actor is the session user, set by the server
GRANT SELECT ON activity TO {role};
GRANT INSERT (at, profile, upload_id, action, outcome, http_status, message, upload_ids)
    ON activity TO {role};
-- the intent ledger: opened (one open intent per upload), settled, beaten
GRANT SELECT ON intents TO {role};
GRANT INSERT (upload_id, action, state, holder_pid, holder_host, holder_started, holder_label,
              profile, started_at, heartbeat_at) ON intents TO {role};
GRANT UPDATE (state, settled_at, heartbeat_at, http_status, message) ON intents TO {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
-- the parts ledger of multipart uploads
GRANT SELECT, INSERT, UPDATE ON parts_sent TO {role};
GRANT SELECT, INSERT ON upload_files TO {role};
-- claims: taken, renewed and released by their holder, the session user (set by the server)
GRANT SELECT, INSERT (upload_id, claimed_at, expires_at), UPDATE (claimed_at, expires_at),
    DELETE ON claims TO {role};

-- Add a member (a login role in the group), then give them a password:
--   CREATE ROLE ann LOGIN IN ROLE {role};
--   \\password ann
-- Each member keeps the password in ~/.pgpass (host:port:database:ann:PASSWORD, mode 0600)
-- or in PGPASSWORD, never in the URL: scenario-tui --store postgresql://ann@HOST/DATABASE
"""
