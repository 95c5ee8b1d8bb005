"""The long-running subcommands: ``fake-api`` (a real subprocess) and the TUI's launch (in this
process, with the app's ``run`` replaced)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scenario_tui.cli.commands import app as app_command
from scenario_tui.fake.seeds import seeded_pending_ids

PENDING = seeded_pending_ids(include_bad_file=False)


def test_fake_api_command_prints_base_url_first(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "scenario_tui", "fake-api", "--step-seconds", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("http://127.0.0.1:") and line.endswith("/v1")
        import httpx

        answer = httpx.get(f"{line}/uploads/{PENDING[0]}", auth=("k", "s"))
        assert answer.status_code == 200 and answer.json()["upload"]["id"] == PENDING[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_tui_starts_with_the_cyclic_collector_off(cli_env, tmp_path, monkeypatch):
    """Start-up frees almost nothing, so collections during it are wasted work: the app runs
    with the collector off (its main screen turns it on after the first frame)."""
    import gc

    from scenario_tui.cli import main as cli
    from scenario_tui.tui.app import ScenarioApp

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(app_command, "has_terminal", lambda: True)  # pytest's stdin is not one
    seen: list[tuple[bool, str]] = []
    monkeypatch.setattr(ScenarioApp, "run", lambda app: seen.append(
        (gc.isenabled(), app.service.store.path.name)))
    assert gc.isenabled()
    assert cli.main(["--store", str(tmp_path / "gc.db"), "--new-store"]) == 0
    assert seen == [(False, "gc.db")] and gc.isenabled()  # on again once the TUI has ended

    def crash(app):
        raise RuntimeError("before the first frame")

    monkeypatch.setattr(ScenarioApp, "run", crash)
    with pytest.raises(RuntimeError):
        cli.main(["--store", str(tmp_path / "gc.db"), "--new-store"])
    assert gc.isenabled()


def test_the_tui_names_itself_in_the_intents_it_holds(cli_env, tmp_path, monkeypatch):
    """Another process refused by the TUI's intent reads "(the TUI)", not a bare command name;
    the scripting commands keep the default."""
    from scenario_tui.cli import main as cli
    from scenario_tui.cli.wiring import build_service
    from scenario_tui.core.config import Settings
    from scenario_tui.service.ledger import DEFAULT_LABEL
    from scenario_tui.tui.app import ScenarioApp

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(app_command, "has_terminal", lambda: True)  # pytest's stdin is not one
    labels: list[tuple[str, bool]] = []
    # the service (built at first use) also calls the store off the UI's loop
    monkeypatch.setattr(ScenarioApp, "run", lambda app: labels.append(
        (app.service.ledger.label, app.service.complete.__self__.keep_loop_free)))
    assert cli.main(["--store", str(tmp_path / "label.db"), "--new-store"]) == 0
    assert labels == [("the TUI", True)]
    settings = Settings(base_url="http://127.0.0.1:9/v1", api_key="k", api_secret="s",
                        store_path=tmp_path / "cli.db")
    assert build_service(settings).ledger.label == DEFAULT_LABEL != "the TUI"


# --- a team store's front page: kept at the end, shown at the next start (store.front_page) ----


def _team_launch(cli_env, monkeypatch, pg_url, run):
    """``scenario-tui --store PG_URL`` with the app's ``run`` replaced by ``run(app)``."""
    from scenario_tui.cli import main as cli
    from scenario_tui.tui.app import ScenarioApp

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(app_command, "has_terminal", lambda: True)  # pytest's stdin is not one
    monkeypatch.setattr(ScenarioApp, "run", run)
    return cli.main(["--store", pg_url])


def test_a_team_store_starts_on_the_page_its_last_session_kept(cli_env, tmp_path,
                                                                monkeypatch, pg_url):
    """The first start opens the team store before the TUI and keeps its front page at the
    end; the next starts on that page, the store not opened yet (the TUI's warm-up opens it)."""
    from scenario_tui.cli.wiring import open_team_store
    from scenario_tui.store.front_page import FOLDER

    with open_team_store(pg_url) as team:
        team.add(PENDING[:3])
    seen: list[tuple[str, bool]] = []

    def run(app):
        store = app.service.store
        seen.append((type(store).__name__, store.connected))
        # the service, built later, calls the store off the UI's loop (a team store is far)
        assert app.service.keep_loop_free and not app.service.built

    assert _team_launch(cli_env, monkeypatch, pg_url, run) == 0
    pages = list((tmp_path / "data" / FOLDER).iterdir())
    assert len(pages) == 1 and PENDING[2] in pages[0].read_text()  # read at the end
    assert _team_launch(cli_env, monkeypatch, pg_url, run) == 0
    assert seen == [("PostgresStore", True), ("ConnectingStore", False)]


def test_a_team_store_that_cannot_be_opened_after_the_first_frame_is_said_as_before(
        cli_env, tmp_path, monkeypatch, pg_url, capsys):
    """The warm-up meets a wrong password: the app ends, and the launcher says it as a start
    without a kept page does (the message, a failure's exit code, no traceback)."""
    from scenario_tui.cli.output import EXIT_FAILED
    from scenario_tui.core import errors

    assert _team_launch(cli_env, monkeypatch, pg_url, lambda app: None) == 0  # keeps a page
    capsys.readouterr()

    def refused(app):
        app.startup_error = errors.TeamStoreAuthError(
            "Password authentication failed for user ann on the team store.")

    assert _team_launch(cli_env, monkeypatch, pg_url, refused) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "Team store: wrong password" in err and "Password authentication failed" in err
    assert "Traceback" not in err
