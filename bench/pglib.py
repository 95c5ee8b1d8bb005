"""A throwaway PostgreSQL 15 cluster for the benchmarks, with the team store's schema.

The cluster itself is the project's (``scenario_tui.store.postgres.cluster``: initdb + pg_ctl
on a Unix socket in a temporary directory, run as the ``postgres`` user when we are root); this
module creates databases with ``team init``'s schema, team members as login roles with the
grants ``team init`` prints, and copies a filled local store into a team store (``COPY``:
100,000 rows in about 5 s, most of it building the search index).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from benchlib import ROOT  # noqa: F401  (puts the repository on sys.path)

DATABASE = "bench"
GROUP = "scenario_team"


def why_unavailable() -> str | None:
    """What stops this machine from running the cluster (no server binaries, no psycopg...)."""
    from scenario_tui.store.postgres.cluster import find_bindir, why_cannot_run

    if find_spec("psycopg") is None:
        return "psycopg is not installed (the 'team' extra)"
    return why_cannot_run(find_bindir())


class TeamCluster:
    """A running cluster with a database (``url``) holding the team store's schema (more with
    ``new_store``)."""

    def __init__(self) -> None:
        from scenario_tui.store.postgres.cluster import Cluster, remove_on_signals

        reason = why_unavailable()
        if reason:
            raise SystemExit(f"PostgreSQL is not available here: {reason}")
        self.cluster = Cluster.start(prefix="bench-pg-")
        # stopped on SIGTERM and SIGHUP too (a timeout, a closed terminal), not only at exit
        self._restore_signals = remove_on_signals(self.cluster)
        try:
            self.url = self.new_store(DATABASE)
        except BaseException:
            self.cluster.stop()
            raise

    def new_store(self, database: str) -> str:
        """The URL of a new database of the cluster holding the team store's schema (made by
        ``team init``'s code)."""
        from scenario_tui.store.postgres.team import init_schema

        self.cluster.create_database(name=database)
        url = self.cluster.url(database)
        init_schema(url)
        return url

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def members(self, n: int, prefix: str = "member_") -> list[str]:
        """URLs of ``n`` team members: login roles in the team's group role, which has exactly
        the grants ``team init`` prints (not the superuser's rights)."""
        import psycopg

        from scenario_tui.store.postgres.team import grants_sql

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(grants_sql(GROUP))
            for i in range(n):
                conn.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname ="
                             f" '{prefix}{i}') THEN CREATE ROLE {prefix}{i} LOGIN IN ROLE"
                             f" {GROUP}; END IF; END $$")
        return [self.cluster.url(DATABASE, user=f"{prefix}{i}") for i in range(n)]

    def server_cpu(self) -> dict[int, float]:
        """CPU seconds (user + system) so far of each of the server's processes (the postmaster
        and its children: a backend per connection), by PID (Linux /proc)."""
        from benchlib import proc_cpu

        postmaster = int((self.cluster.data / "postmaster.pid").read_text().split()[0])
        found = {postmaster: proc_cpu(postmaster)}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # ended meanwhile
                if int(fields[1]) == postmaster:  # its parent
                    found[int(entry.name)] = proc_cpu(int(entry.name))
        return found

    def transactions(self) -> int:
        """Transactions committed or rolled back so far in the database (the statistics
        collector's count: up to date within half a second, and at a backend's exit)."""
        import time

        time.sleep(0.6)  # let the backends report (pgstat flushes at most every 500 ms)
        return int(self.rows("SELECT pg_stat_clear_snapshot(), xact_commit + xact_rollback"
                             " FROM pg_stat_database WHERE datname = current_database()")[0][1])

    def rows(self, sql: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.cluster.stop()
        self._restore_signals()

    def __enter__(self) -> TeamCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def copy_store(sqlite_path: Path, url: str) -> int:
    """Copy every upload of the local store at ``sqlite_path`` into the (empty) team store at
    ``url``, exactly as stored (same IDs, seqs, notes and snapshots), with ``COPY``; how many."""
    import psycopg

    from scenario_tui.store.rows import COLUMNS, row_values
    from scenario_tui.store.sqlite import Store

    with Store.open(sqlite_path) as store:
        rows = [row_values(r) for r in store.list(descending=False)]
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(f"COPY uploads ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if rows:
            conn.execute("SELECT setval('upload_seq', %s)", (max(r[-1] for r in rows),))
        conn.execute("ANALYZE uploads")
    return len(rows)
