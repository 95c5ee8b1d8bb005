"""Issue 17, "The command line, finished": the TUI without a terminal, a missing store, checked
flags, complete's prompt and JSON, the ``note`` and ``refresh`` commands, credentials errors and
the fake's control routes in the README. In-process (``run_cli``) against the served fake,
except where a real terminal (or its absence) matters."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scenario_tui.fake.seeds import seeded_pending_ids
from tests.kit import cli_environment, run_cli

PENDING = seeded_pending_ids(include_bad_file=False)
IMPORTED = "up_demo_imported_1"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def store_path(monkeypatch, tmp_path, server) -> Path:
    return cli_environment(monkeypatch, tmp_path, server.base_url)


class _Terminal(io.StringIO):
    """stdin as an interactive terminal would be, answering with the text given."""

    def isatty(self) -> bool:
        return True


# --- 1. the TUI needs a terminal ---------------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["demo", "--step-seconds", "0"]])
def test_the_tui_without_a_terminal_refuses_with_exit_2(tmp_path, cli_env, argv):
    """Piped, the TUI used to start anyway, never exit and spin a core: it now refuses at once
    (a hang would end this test at its timeout) and creates no store."""
    store = tmp_path / "piped" / "uploads.db"
    out = subprocess.run(
        [sys.executable, "-m", "scenario_tui", "--store", str(store), *argv], env=cli_env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert ("scenario-tui needs a terminal; see `scenario-tui --help` for the scripting "
            "commands") in out.stderr
    assert out.stdout == "" and not store.parent.exists()


# --- 2. a missing store -------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["list"], ["log"], ["remove", PENDING[0]],
                                  ["note", PENDING[0], "x"], ["refresh", "--all"]])
def test_a_read_command_on_a_missing_store_says_so(store_path, tmp_path, monkeypatch, capsys,
                                                   argv):
    """A mistyped --store used to create its directories and an empty store, which read as
    "no uploads"."""
    typo = tmp_path / "tpyo" / "uploads.db"
    run = run_cli(capsys, monkeypatch, *argv, "--store", str(typo))
    assert run.code == 1, run.err
    assert f"No local store: There is no local store at {typo}" in run.err
    assert not typo.parent.exists()


def test_show_on_a_missing_store_fetches_without_making_one(store_path, tmp_path, monkeypatch,
                                                           capsys):
    typo = tmp_path / "tpyo" / "uploads.db"
    run = run_cli(capsys, monkeypatch, "show", PENDING[0], "--store", str(typo))
    assert run.code == 0, run.err
    assert "is not in the local store; fetching it without adding it." in run.err
    assert PENDING[0] in run.out and not typo.parent.exists()


def test_a_mutating_command_creates_the_store_and_says_so(store_path, monkeypatch, capsys):
    run = run_cli(capsys, monkeypatch, "add", PENDING[0])
    assert run.code == 0 and f"new empty store created at {store_path}" in run.err
    assert store_path.is_file()
    run = run_cli(capsys, monkeypatch, "add", PENDING[1])
    assert run.code == 0 and "new empty store" not in run.err
    assert run_cli(capsys, monkeypatch, "list").code == 0


def test_the_tui_creates_an_explicit_store_only_with_new_store(store_path, tmp_path,
                                                               monkeypatch, capsys):
    from scenario_tui.cli.commands import app as app_command
    from scenario_tui.tui.app import ScenarioApp

    monkeypatch.setattr(app_command, "has_terminal", lambda: True)
    monkeypatch.setattr(ScenarioApp, "run", lambda app: None)
    typo = tmp_path / "tpyo.db"
    run = run_cli(capsys, monkeypatch, "--store", str(typo))
    assert run.code == 1 and "Pass --new-store to create it." in run.err
    assert not typo.exists()
    run = run_cli(capsys, monkeypatch, "--store", str(typo), "--new-store")
    assert run.code == 0 and f"new empty store created at {typo}" in run.err
    assert typo.is_file()


# --- 3. flags checked, complete's prompt and JSON, the dry run in words ---------------------


@pytest.mark.parametrize("limit", ["-5", "0", "many"])
def test_log_limit_must_be_positive(store_path, monkeypatch, capsys, limit):
    """``log --limit -5`` printed everything."""
    run_cli(capsys, monkeypatch, "add", PENDING[0])
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, monkeypatch, "log", "--limit", limit)
    assert exit_.value.code == 2
    assert "is not a whole number of at least 1" in capsys.readouterr().err


def test_add_note_on_a_known_id_says_it_was_not_set(store_path, monkeypatch, capsys):
    """The note was silently dropped for an ID already known."""
    run_cli(capsys, monkeypatch, "add", PENDING[0], "--note", "first")
    run = run_cli(capsys, monkeypatch, "add", PENDING[0], "--note", "second")
    assert run.code == 0
    assert f"note not set on 1 already known ID; set it with: scenario-tui note {PENDING[0]}" \
        in run.err


def test_failed_complete_entries_have_status_and_message(store_path, monkeypatch, capsys):
    """A failed entry of ``complete --json`` had neither ``status`` nor ``message``."""
    run = run_cli(capsys, monkeypatch, "complete", "up_not_on_the_server", "--yes", "--json")
    assert run.code == 1
    [entry] = json.loads(run.out)
    assert entry["outcome"] == "failed" and "status" in entry and entry["status"] is None
    assert entry["message"].startswith("Not found") or "404" in entry["message"], entry


def test_the_complete_prompt_counts_only_what_will_be_sent(store_path, monkeypatch, capsys):
    """It said "Complete 2 uploads?" when one of the two was known as imported."""
    from scenario_tui.cli import main as cli

    run_cli(capsys, monkeypatch, "add", PENDING[0], IMPORTED)
    assert run_cli(capsys, monkeypatch, "refresh", "--all").code == 0
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert cli.main(["complete", PENDING[0], IMPORTED]) == 1
    err = capsys.readouterr().err
    assert "Complete 1 upload (1 skipped)? [y/N]" in err
    assert f"{IMPORTED}: imported: will be skipped" in err


def test_the_complete_prompt_is_not_asked_when_nothing_is_pending(store_path, monkeypatch,
                                                                  capsys):
    from scenario_tui.cli import main as cli

    run_cli(capsys, monkeypatch, "add", IMPORTED)
    run_cli(capsys, monkeypatch, "refresh", IMPORTED)
    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    assert cli.main(["complete", IMPORTED]) == 1
    err = capsys.readouterr().err
    assert "nothing to complete" in err and "[y/N]" not in err


@pytest.mark.parametrize("command", [["import", "https://example.com/a.png"],
                                     ["upload", "FILE"]])
def test_an_unknown_kind_is_a_usage_error_before_sending(store_path, fake, tmp_path,
                                                          monkeypatch, capsys, command):
    """``import --kind banana`` exited 1 after the API's HTTP 400."""
    path = tmp_path / "a.png"
    path.write_bytes(b"x" * 10)
    argv = [str(path) if a == "FILE" else a for a in command]
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, monkeypatch, *argv, "--kind", "banana")
    assert exit_.value.code == 2
    assert "'banana' is not a known kind: one of 3d, asset" in capsys.readouterr().err
    assert not [r for r in fake.requests if not r.path.startswith("/_fake")]


def test_the_dry_run_says_the_estimate_in_words(store_path, tmp_path, monkeypatch, capsys):
    """It printed the raw ``{"creativeUnitsCost":1}`` on stderr."""
    path = tmp_path / "a.png"
    path.write_bytes(b"x" * 10)
    run = run_cli(capsys, monkeypatch, "upload", str(path), "--dry-run")
    assert run.code == 0, run.err
    assert "the API estimates a cost of 1 creative unit. Nothing was uploaded." in run.err
    assert "creativeUnitsCost" not in run.err


def test_estimate_sentence_names_unknown_fields():
    from scenario_tui.cli.commands.transfers import estimate_sentence

    assert estimate_sentence({"creativeUnitsCost": 3}) == "3 creative units"
    assert estimate_sentence({"creativeUnitsCost": 1.5, "extraFee": 2}) == \
        "1.5 creative units, extra fee 2"
    assert estimate_sentence({}) == "no figure"


# --- 4. note and refresh --------------------------------------------------------------------


def test_note_sets_and_clears_a_note(store_path, monkeypatch, capsys):
    run_cli(capsys, monkeypatch, "add", PENDING[0], "--note", "old")
    run = run_cli(capsys, monkeypatch, "note", PENDING[0], "ticket #17: customer called")
    assert run.code == 0 and f"{PENDING[0]}: note set." in run.err
    rows = json.loads(run_cli(capsys, monkeypatch, "list", "--json").out)
    assert rows[0]["note"] == "ticket #17: customer called"
    assert run_cli(capsys, monkeypatch, "note", PENDING[0], "").code == 0
    assert json.loads(run_cli(capsys, monkeypatch, "list", "--json").out)[0]["note"] == ""
    run = run_cli(capsys, monkeypatch, "note", "up_not_known", "x")
    assert run.code == 1 and "not known: up_not_known" in run.err


def test_refresh_ids_or_all(store_path, monkeypatch, capsys):
    run_cli(capsys, monkeypatch, "add", PENDING[0], IMPORTED)
    run = run_cli(capsys, monkeypatch, "refresh", IMPORTED, "up_not_known")
    assert run.code == 1 and "not known: up_not_known" in run.err
    assert run.out == f"{IMPORTED}\timported\n"
    run = run_cli(capsys, monkeypatch, "refresh", "--all", "--json")
    assert run.code == 0, run.err
    assert sorted((e["id"], e["status"], e["error"]) for e in json.loads(run.out)) == [
        (IMPORTED, "imported", None), (PENDING[0], "pending", None)]
    rows = {r["id"]: r["status"] for r in
            json.loads(run_cli(capsys, monkeypatch, "list", "--json").out)}
    assert rows == {PENDING[0]: "pending", IMPORTED: "imported"}
    assert run_cli(capsys, monkeypatch, "refresh").code == 2


# --- 5. credentials errors ------------------------------------------------------------------


def test_a_401_names_the_variables_and_keeps_the_servers_words(store_path, fake, monkeypatch,
                                                               capsys):
    """"Invalid Basic credentials" read "Invalid Basic [redacted]", and a server's message
    replaced the hint naming the variables to set."""
    run_cli(capsys, monkeypatch, "add", PENDING[0])
    fake.faults.add(status=401, body={"message": "Missing or invalid Basic credentials"})
    run = run_cli(capsys, monkeypatch, "refresh", PENDING[0])
    assert run.code == 1
    assert "Missing or invalid Basic credentials." in run.err
    assert "[redacted]" not in run.err
    for name in ("SCENARIO_SDK_API_KEY", "SCENARIO_SDK_API_SECRET", "--profile"):
        assert name in run.err


# --- 6. the fake's control routes are documented ----------------------------------------------


def test_every_fake_control_route_is_in_the_readme():
    source = (ROOT / "scenario_tui" / "fake" / "control.py").read_text()
    routes = re.findall(r'route == \("([A-Z]+)", "(/_fake/[a-z]+)"\)', source)
    assert len(routes) >= 6
    readme = (ROOT / "README.md").read_text()
    missing = [f"{m} {p}" for m, p in routes if f"`{m} {p}`" not in readme]
    assert not missing
