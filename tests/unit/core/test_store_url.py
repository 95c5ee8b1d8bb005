"""Naming a team store: URLs told from paths, passwords refused and never printed."""

from __future__ import annotations

import pytest

from scenario_tui.core.config import load_settings
from scenario_tui.core.errors import ConfigError
from scenario_tui.core.store_url import describe, has_password, is_database_url, safe_url
from tests.kit import run_cli


@pytest.mark.parametrize(("text", "expected"), [
    ("postgresql://ann@db.example/triage", True),
    ("postgres:///triage?host=/run/pg", True),
    ("POSTGRESQL://x/y", True),
    ("uploads.db", False),
    ("./postgresql/uploads.db", False),
    ("sqlite:///x.db", False),
    ("", False),
])
def test_database_urls_are_told_from_paths(text: str, expected: bool) -> None:
    assert is_database_url(text) is expected


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://ann:hunter2@db.example:5433/triage",
     "postgresql://ann:***@db.example:5433/triage"),
    ("postgresql://ann@db.example/triage?sslmode=require&password=hunter2",
     "postgresql://ann@db.example/triage?sslmode=require&password=***"),
    ("postgresql://ann@db.example/triage", "postgresql://ann@db.example/triage"),
    ("host=db user=ann password='hun ter2' dbname=triage",
     "host=db user=ann password=*** dbname=triage"),
])
def test_safe_url_never_holds_the_password(url: str, shown: str) -> None:
    assert safe_url(url) == shown
    assert "hunter2" not in safe_url(url) and "hun ter2" not in safe_url(url)


def test_has_password_sees_both_places() -> None:
    assert has_password("postgresql://ann:x@h/d")
    assert has_password("postgresql://ann@h/d?password=x")
    assert not has_password("postgresql://ann@h/d?passfile=/p")
    assert describe("postgresql://ann@db.example/triage") == "triage on db.example"
    assert describe("postgresql:///triage?host=/run/pg") == "triage on /run/pg"
    assert describe("postgresql:///?service=team") == "service team"


def test_store_url_from_flag_environment_or_profile(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.team]\nstore = "postgresql://ann@db/profile"\n')
    env = {"SCENARIO_TUI_CONFIG": str(config), "SCENARIO_TUI_DATA_DIR": str(tmp_path)}
    assert load_settings({"profile": "team"}, env).store_url == "postgresql://ann@db/profile"
    env_store = {**env, "SCENARIO_TUI_STORE": "postgresql://ann@db/env"}
    assert load_settings({"profile": "team"}, env_store).store_url == "postgresql://ann@db/env"
    flag = {"profile": "team", "store": "postgresql://ann@db/flag"}
    assert load_settings(flag, env_store).store_url == "postgresql://ann@db/flag"
    local = load_settings({"store": str(tmp_path / "x.db")}, env_store)
    assert local.store_url is None and local.store_path == tmp_path / "x.db"
    assert load_settings({}, env).store_url is None


@pytest.mark.parametrize("where", ["flag", "env", "profile"])
def test_a_password_in_the_url_is_refused_and_not_repeated(tmp_path, where: str) -> None:
    url = "postgresql://ann:hunter2@db.example/triage"
    config = tmp_path / "config.toml"
    config.write_text(f'store = "{url}"\n' if where == "profile" else "")
    env = {"SCENARIO_TUI_CONFIG": str(config), "SCENARIO_TUI_DATA_DIR": str(tmp_path)}
    if where == "env":
        env["SCENARIO_TUI_STORE"] = url
    with pytest.raises(ConfigError) as caught:
        load_settings({"store": url} if where == "flag" else {}, env)
    assert "hunter2" not in caught.value.message
    assert "PGPASSWORD" in caught.value.message and "~/.pgpass" in caught.value.message


def test_cli_refuses_a_password_in_store_with_exit_2(capsys, monkeypatch) -> None:
    run = run_cli(capsys, monkeypatch, "--store", "postgresql://ann:hunter2@db/x", "list")
    assert run.code == 2
    assert "hunter2" not in run.out + run.err
    assert "Password in the store URL" in run.err


def test_team_init_without_a_team_store_says_how(capsys, monkeypatch) -> None:
    run = run_cli(capsys, monkeypatch, "team", "init")
    assert run.code == 2
    assert "--store postgresql://" in run.err and "Traceback" not in run.err


def test_a_team_store_without_the_extra_names_the_extra(capsys, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed: import fails
    run = run_cli(capsys, monkeypatch, "--store", "postgresql://ann@db/x", "list")
    assert run.code != 0
    assert "pip install 'scenario-tui[team]'" in run.err and "Traceback" not in run.err
