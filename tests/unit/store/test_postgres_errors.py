"""Each way a team store can fail to open or to work, as the StoreError a user can act on (no
psycopg exception gets out), naming the database and never the password; and a connection
dropped in the middle of a write leaves nothing half-written, the next call reconnecting."""

from __future__ import annotations

import threading
import time

import pytest

from scenario_tui.core.errors import (
    StoreError,
    TeamStoreAuthError,
    TeamStoreConnectionLostError,
    TeamStoreMissingError,
    TeamStoreRightsError,
    TeamStoreUnreachableError,
)
from scenario_tui.store.postgres.store import PostgresStore
from tests.unit.store.backends import PostgresBackend

SECRET = "hunter2-not-shown"


def with_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    user, _, where = rest.partition("@")
    return f"{scheme}://{user}:{SECRET}@{where}"


def other_database(url: str, name: str) -> str:
    head, _, query = url.partition("?")
    return f"{head.rpartition('/')[0]}/{name}?{query}"


def refused(url: str) -> StoreError:
    with pytest.raises(StoreError) as caught:
        PostgresStore.open(url)
    assert SECRET not in caught.value.message and SECRET not in str(caught.value)
    return caught.value


def test_no_server_at_the_address_is_unreachable_naming_where(tmp_path) -> None:
    error = refused(f"postgresql://ann:{SECRET}@/team?host={tmp_path}")
    assert isinstance(error, TeamStoreUnreachableError)
    assert error.title == "Team store unreachable"
    assert f"team on {tmp_path}" in error.message and "server is running" in error.message


def test_a_missing_database_is_named(pg_url) -> None:
    error = refused(with_password(other_database(pg_url, "no_such_team")))
    assert isinstance(error, TeamStoreMissingError)
    assert "no_such_team" in error.message and "createdb" in error.message


def test_an_unknown_user_and_a_role_that_cannot_log_in(pg_url) -> None:
    error = refused(with_password(pg_url).replace("postgres:", "nobody_here:", 1))
    assert isinstance(error, TeamStoreAuthError) and error.title == "Team store: unknown user"
    assert "CREATE ROLE" in error.message
    backend = PostgresBackend(pg_url)
    backend.execute("DROP ROLE IF EXISTS cannot_log_in")
    backend.execute("CREATE ROLE cannot_log_in NOLOGIN")
    try:
        error = refused(pg_url.replace("postgres@", "cannot_log_in@", 1))
        assert isinstance(error, TeamStoreRightsError) and "not permitted" in error.message
    finally:
        backend.execute("DROP ROLE cannot_log_in")


def test_a_wrong_password_is_said_so_and_never_shown(pg_url, pg_cluster, monkeypatch) -> None:
    """A role that must give a password (scram, as a real server asks over the network): the
    wrong one from PGPASSWORD is refused as such, naming where, never the password itself; the
    right one gets past the server's check."""
    backend = PostgresBackend(pg_url)
    role, hba = "pw_member", pg_cluster.data / "pg_hba.conf"
    backend.execute(f"DROP ROLE IF EXISTS {role}")
    backend.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'the-right-one'")
    rules = hba.read_text(encoding="utf-8")
    hba.write_text(f"local all {role} scram-sha-256\n{rules}", encoding="utf-8")
    backend.execute("SELECT pg_reload_conf()")
    url = pg_url.replace("postgres@", f"{role}@", 1)
    try:
        monkeypatch.setenv("PGPASSWORD", SECRET)
        error = refused(url)
        assert isinstance(error, TeamStoreAuthError) and "refused the password" in error.message
        assert "~/.pgpass" in error.message and role not in error.title
        monkeypatch.setenv("PGPASSWORD", "the-right-one")
        try:
            PostgresStore.open(url).close()
        except StoreError as exc:  # in, but without the team's rights: not a password problem
            assert "password" not in exc.message.lower()
    finally:
        hba.write_text(rules, encoding="utf-8")
        backend.execute("SELECT pg_reload_conf()")
        backend.execute(f"DROP ROLE {role}")


def test_the_password_is_never_shown_by_the_store(pg_url) -> None:
    """(The test cluster trusts its socket, so the password in the URL is not even asked.)"""
    with PostgresStore.open(with_password(pg_url)) as store:
        assert SECRET not in repr(store) and SECRET not in store.location
        assert "***" in store.location


def test_a_connection_dropped_mid_write_leaves_nothing_and_the_next_call_reconnects(
        pg_url) -> None:
    """The server ends the connection while ``add`` is inside its transaction (here: a trigger
    that sleeps, killed from outside), on the retry too: the caller is told the connection was
    lost and nothing saved; the log has no half of it; the next call works."""
    backend = PostgresBackend(pg_url)
    backend.execute("CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS"
                    " $$BEGIN PERFORM pg_sleep(30); RETURN NEW; END$$")
    backend.execute("CREATE TRIGGER slow BEFORE INSERT ON uploads FOR EACH ROW"
                    " WHEN (NEW.id = 'up_slow') EXECUTE FUNCTION slow()")
    outcome: list[BaseException] = []
    with PostgresStore.open(pg_url) as store:
        def add() -> None:
            try:
                store.add(["up_0", "up_slow"], log=True)
            except BaseException as exc:  # noqa: BLE001 - the test looks at it
                outcome.append(exc)

        worker = threading.Thread(target=add)
        worker.start()
        deadline = time.monotonic() + 20
        while worker.is_alive() and time.monotonic() < deadline:
            backend.rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE wait_event = 'PgSleep' AND datname = current_database()")
            time.sleep(0.05)
        worker.join(5)
        assert len(outcome) == 1 and isinstance(outcome[0], TeamStoreConnectionLostError)
        assert "nothing of it was saved" in outcome[0].message
        assert backend.rows("SELECT count(*) FROM uploads") == [(0,)]
        assert backend.rows("SELECT count(*) FROM activity") == [(0,)]
        assert store.add(["up_1"]).added == ["up_1"]
        assert store.connected and store.count() == 1


def idle_sessions_ended(backend: PostgresBackend) -> None:
    """End every session of the store under test (the server's goodbye reaches their sockets)."""
    backend.rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                 " AND application_name = 'scenario-tui'")
    time.sleep(0.2)  # the goodbye on its way


def test_an_idle_connection_the_server_ended_is_not_used_again(pg_url) -> None:
    """The server restarted (here: every session ended) while the store's connection was idle:
    the next write, a one-statement one that is never run twice, goes to a new connection and
    is written once, with no error."""
    backend = PostgresBackend(pg_url)
    with PostgresStore.open(pg_url) as store:
        assert store.count() == 0  # its connection is idle in the store now
        idle_sessions_ended(backend)
        store.log_event(action="note", outcome="ok", message="after the restart")
        assert backend.rows("SELECT message FROM activity") == [("after the restart",)]


def test_a_one_statement_write_whose_connection_is_lost_is_never_run_again(pg_url) -> None:
    """A one-statement write commits as it runs: its connection lost right after the server ran
    it (here: the session ends itself after the insert), it is reported as a change that may
    have been saved, and not run again on a new connection (which would write it twice)."""
    backend = PostgresBackend(pg_url)
    with PostgresStore.open(pg_url) as store:
        assert store.count() == 0  # a connection to reuse: a lost one would be retried

        def insert_then_lose(c) -> None:
            c.execute("INSERT INTO activity (at, action, outcome, message)"
                      " VALUES ('2026-12-07T00:00:00Z', 'note', 'ok', 'once')")
            c.execute("SELECT pg_terminate_backend(pg_backend_pid())")

        with pytest.raises(TeamStoreConnectionLostError) as caught:
            store._run("log activity", insert_then_lose, write=True, one_statement=True)
        assert "may or may not have been saved" in caught.value.message
        assert backend.rows("SELECT count(*) FROM activity") == [(1,)]
        assert store.count() == 0 and store.connected  # and the next call reconnects
