"""The test PostgreSQL cluster (tests/pg_cluster.py) itself: each test gets a database of its own,
a copy of the migrated template (or an empty one); where the server is missing, the tests skip
saying why, or fail when ``SCENARIO_TUI_REQUIRE_POSTGRES=1``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.pg_cluster import REQUIRE_VARIABLE, find_bindir, unavailable, why_unavailable

SEEN: list[str] = []


def tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {name for (name,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}


def database(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_database()").fetchone()
        assert row is not None
        return str(row[0])


@pytest.mark.postgres
@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_gets_a_fresh_copy_of_the_migrated_template(turn, pg_url, pg_cluster,
                                                              pg_template) -> None:
    """Whichever runs second sees neither the first one's database nor what it wrote there;
    both hold the template's tables, and none of its rows beyond the migrations'."""
    import psycopg

    name = database(pg_url)
    assert name not in SEEN and name != pg_template
    SEEN.append(name)
    schema = tables(pg_url)
    assert schema and "left_by_a_test" not in schema
    assert "uploads" in schema and "activity" in schema and "intents" in schema
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM uploads").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM activity").fetchone() == (0,)
        conn.execute("CREATE TABLE left_by_a_test (x int)")


@pytest.mark.postgres
def test_an_empty_database_has_no_schema(pg_empty_url, pg_url) -> None:
    assert tables(pg_empty_url) == set()
    assert database(pg_empty_url) != database(pg_url)
    assert tables(pg_url)


@pytest.mark.postgres
def test_the_cluster_listens_on_its_socket_only(pg_cluster, pg_empty_url) -> None:
    """No TCP port, trust over a socket in a directory of its own, fsync off (a test cluster),
    run by a user that is not root."""
    import psycopg

    with psycopg.connect(pg_empty_url) as conn:
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'fsync',"
            " 'unix_socket_directories', 'server_version_num')").fetchall())
    assert settings["listen_addresses"] == "" and settings["fsync"] == "off"
    assert settings["unix_socket_directories"] == str(pg_cluster.socket_dir)
    assert stat.S_ISSOCK(os.stat(pg_cluster.socket_dir / ".s.PGSQL.5432").st_mode)
    assert os.stat(pg_cluster.data).st_uid != 0


# --- where the server is missing ---------------------------------------------------------------


def test_a_missing_server_skips_saying_why(monkeypatch) -> None:
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    reason = why_unavailable(None)
    assert reason is not None and "initdb, pg_ctl; Debian package postgresql" in reason
    with pytest.raises(pytest.skip.Exception, match="initdb, pg_ctl.*set "
                                                     "SCENARIO_TUI_REQUIRE_POSTGRES=1"):
        unavailable(reason)
    monkeypatch.setenv(REQUIRE_VARIABLE, "0")
    with pytest.raises(pytest.skip.Exception):
        unavailable(reason)


def test_a_missing_server_fails_where_it_is_required(monkeypatch) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="initdb, pg_ctl.*PostgreSQL is required"):
        unavailable(why_unavailable(None) or "")


def _server_in(directory: Path) -> Path:
    directory.mkdir(parents=True)
    for name in ("initdb", "pg_ctl"):
        (directory / name).write_text("#!/bin/sh\n")
        (directory / name).chmod(0o755)
    return directory


def test_the_binaries_are_found_on_path_then_by_pg_config_then_in_debians_place(
        tmp_path: Path) -> None:
    nowhere = tmp_path / "no-debian"
    assert find_bindir(path="", debian_root=nowhere) is None
    assert find_bindir(path=str(tmp_path), debian_root=nowhere) is None

    on_path = _server_in(tmp_path / "path-bin")
    assert find_bindir(path=f"{tmp_path}:{on_path}", debian_root=nowhere) == on_path

    reported = _server_in(tmp_path / "reported")
    config_dir = tmp_path / "config-bin"
    config_dir.mkdir()
    (config_dir / "pg_config").write_text(f"#!/bin/sh\necho {reported}\n")
    (config_dir / "pg_config").chmod(0o755)
    assert find_bindir(path=str(config_dir), debian_root=nowhere) == reported

    debian = tmp_path / "debian"
    for version in ("9.6", "15", "13"):
        _server_in(debian / version / "bin")
    (debian / "16" / "bin").mkdir(parents=True)  # a client-only install: no server there
    assert find_bindir(path="", debian_root=debian) == debian / "15" / "bin"


# --- the cluster's life (shared with demo --team) -----------------------------------------------


@pytest.mark.postgres
def test_a_stopped_cluster_leaves_nothing_behind(pg_cluster) -> None:
    """A second cluster, started and stopped: its server is gone (no socket, no process
    answering) and so is its directory; stopping again is harmless."""
    import psycopg

    from scenario_tui.store.postgres.cluster import Cluster

    other = Cluster.start(pg_cluster.bindir, prefix="stpg-")
    with psycopg.connect(other.url("postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert other.running and other.base.is_dir()
    other.stop()
    assert not other.running and not other.base.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(other.url("postgres"), connect_timeout=2)
    other.stop()


@pytest.mark.postgres
def test_sigterm_stops_and_removes_the_cluster_then_ends(pg_cluster) -> None:
    """Told to end (SIGTERM), the program stops and removes its cluster first, then exits as
    the signal would have (128 + 15); the previous handler is back afterwards."""
    import signal

    from scenario_tui.store.postgres.cluster import Cluster, remove_on_signals

    before = signal.getsignal(signal.SIGTERM)
    other = Cluster.start(pg_cluster.bindir, prefix="stpg-")
    remove_on_signals(other)
    try:
        with pytest.raises(SystemExit) as ended:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):  # the handler runs at the next bytecode of the main thread
                os.sched_yield()
        assert ended.value.code == 128 + signal.SIGTERM
        assert not other.running and not other.base.exists()
        assert signal.getsignal(signal.SIGTERM) == before
    finally:
        other.stop()
        signal.signal(signal.SIGTERM, before)
