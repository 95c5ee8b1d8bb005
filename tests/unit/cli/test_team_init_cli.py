"""``scenario-tui team init`` on a real PostgreSQL: creates the schema, then says it is up to
date; prints the grants on stdout (for psql) and what it did on stderr; every other command
then works on the team store, and refuses one the schema of which is missing."""

from __future__ import annotations

import psycopg
import pytest

from scenario_tui.store.postgres.schema import MIGRATIONS
from tests.kit import run_cli

pytestmark = pytest.mark.postgres


def test_team_init_creates_then_finds_the_schema_up_to_date(capsys, monkeypatch, tmp_path,
                                                           pg_empty_url) -> None:
    monkeypatch.setenv("SCENARIO_TUI_DATA_DIR", str(tmp_path))
    before = run_cli(capsys, monkeypatch, "--store", pg_empty_url, "list")
    assert before.code != 0 and "team init" in before.err and "Traceback" not in before.err

    first = run_cli(capsys, monkeypatch, "--store", pg_empty_url, "team", "init")
    assert first.code == 0, first.err
    assert f"applied {', '.join(name for name, _ in MIGRATIONS)}" in first.err
    assert "CREATE ROLE" in first.out and "GRANT" in first.out  # the SQL alone on stdout
    assert "applied" not in first.out

    with psycopg.connect(pg_empty_url) as conn:  # the grants as printed run as they are
        conn.execute(first.out)

    again = run_cli(capsys, monkeypatch, "--store", pg_empty_url, "team", "init")
    assert again.code == 0 and "up to date" in again.err and again.out == first.out

    added = run_cli(capsys, monkeypatch, "--store", pg_empty_url, "add", "up_team_1")
    listed = run_cli(capsys, monkeypatch, "--store", pg_empty_url, "list", "--json")
    assert added.code == 0 and '"up_team_1"' in listed.out
    paths = run_cli(capsys, monkeypatch, "--store", pg_empty_url, "paths")
    assert "postgresql://" in paths.out
