"""``scenario-tui add -`` with a pasted ticket: only ID-shaped words are added, the rest is
summarised on stderr with the reason; IDs given as arguments are still taken as given."""

from __future__ import annotations

import json

import pytest

from tests.kit import run_cli

UP_A = "up_7Qz3LmNa9XcVb2KdRt5YwE"
UP_B = "up_Hk2Jd8sLq0PzXn4MvB6cRt"
UP_C = "up_Ws9Ty3Ux5Vz7Ab1Cd3Ef5G"

TICKET = f"""Hi team,
Customer 12345 says these never finished since Friday:
- {UP_A}.
- ({UP_B}), see https://app.scenario.com/uploads/{UP_C}?tab=details&x=1
Thanks!
"""


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SCENARIO_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SCENARIO_TUI_CONFIG", str(tmp_path / "config.toml"))

    def run(*argv: str, stdin: str = ""):
        return run_cli(capsys, monkeypatch, *argv, stdin=stdin)

    run.config = tmp_path / "config.toml"
    return run


def listed(cli) -> list[str]:
    return [row["id"] for row in json.loads(cli("list", "--json").out)]


def test_add_stdin_takes_the_ids_of_a_ticket_and_summarises_the_rest(cli):
    assert cli("add", UP_A).code == 0
    run = cli("add", "-", stdin=TICKET)
    assert run.code == 0, run.err
    assert run.out.split() == [UP_B, UP_C]
    assert "2 added, 1 already known, 0 duplicates skipped, 0 invalid." in run.err
    ignored = next(line for line in run.err.splitlines() if line.startswith("Ignored "))
    assert "not shaped like an upload ID (see the id_pattern setting)" in ignored
    assert ": Hi, team, Customer, 12345, says, these and " in ignored
    assert sorted(listed(cli)) == sorted([UP_A, UP_B, UP_C])


def test_add_stdin_json_lists_what_was_ignored(cli):
    run = cli("add", "-", "--json", stdin=TICKET)
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["added"] == [UP_A, UP_B, UP_C]
    assert report["invalid"] == [] and report["duplicates"] == []
    assert {"Hi", "team", "Friday", "12345", "https", "Thanks"} <= set(report["ignored"])
    assert not any(word in listed(cli) for word in report["ignored"])


def test_ids_given_as_arguments_are_taken_as_given(cli):
    """Arguments are not harvested: an URL or a word with a period is refused, not cut."""
    run = cli("add", f"https://app.scenario.com/uploads/{UP_A}", f"{UP_B}.", UP_C)
    assert run.code == 1
    assert "contains the character '/'" in run.err
    assert "Ignored" not in run.err
    assert sorted(listed(cli)) == sorted([f"{UP_B}.", UP_C])


def test_the_id_pattern_setting_decides_what_a_ticket_yields(cli):
    cli.config.write_text("id_pattern = 'up_[A-Za-z0-9]{22}'\n")
    run = cli("add", "-", "--json", stdin=f"{UP_A} up_demo_pending_1 asset_x1")
    assert json.loads(run.out)["added"] == [UP_A]
    assert "up_demo_pending_1" in json.loads(run.out)["ignored"]
    cli.config.write_text("id_pattern = '('\n")
    run = cli("add", "-", stdin=UP_A)
    assert run.code == 2 and "id_pattern" in run.err and "regular expression" in run.err
