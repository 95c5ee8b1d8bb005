"""Issue 17 on the command line: "not found" recorded and shown (``list``, ``list --status``,
``show``, the JSON), ``show`` of several IDs, ``summary`` (the ``Y`` summary) with ``--output
FILE`` written atomically, and the IDs of bulk entries in ``log``. In-process (``run_cli``, the
real parser and wiring) against the fake API served on loopback."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest

from scenario_tui.fake.seeds import BAD_FILE_ID, seeded_pending_ids
from tests.kit import cli_environment, run_cli

PENDING = seeded_pending_ids(include_bad_file=False)
FAILED = "up_demo_failed_1"
GONE = "up_gone_for_good_1"  # the fake has never heard of it: it answers 404


@pytest.fixture
def store_path(monkeypatch, tmp_path, server) -> Path:
    return cli_environment(monkeypatch, tmp_path, server.base_url)


@pytest.fixture
def cli(capsys, monkeypatch, store_path):
    def run(*argv: str, stdin: str = ""):
        return run_cli(capsys, monkeypatch, *argv, stdin=stdin)
    return run


# --- "not found", recorded and shown ------------------------------------------------------------


def test_a_404_is_recorded_and_list_prints_and_selects_it(cli):
    assert cli("add", PENDING[0], GONE).code == 0
    run = cli("refresh", "--all")
    assert run.code == 1 and f"{GONE}: Not found" in run.err
    lines = dict(line.split("\t", 1) for line in cli("list").out.splitlines())
    assert lines[GONE].startswith("not found\t")
    assert re.search(r"not found \(checked \d\d:\d\d\)", lines[GONE])
    assert lines[PENDING[0]].startswith("pending\t")
    for spelling in ("not found", "not-found"):
        run = cli("list", "--status", spelling)
        assert run.code == 0 and [line.split("\t")[0] for line in run.out.splitlines()] == [GONE]
    assert cli("list", "--status", "unknown").out == ""  # it is not "never fetched"
    rows = {row["id"]: row for row in json.loads(cli("list", "--json").out)}
    assert rows[GONE]["notFoundAt"] and rows[GONE]["diagnosis"]["code"] == "not-found"
    assert rows[PENDING[0]]["notFoundAt"] is None
    assert cli("list", "--status", "gone").code == 2


def test_a_known_upload_that_answers_404_is_shown_as_not_found(cli, fake):
    """Read before, then 404: ``show`` says so (its block, "not found (checked …)"), the error
    on stderr, exit 1; ``show --json`` carries ``notFoundAt`` and the not-found diagnosis."""
    assert cli("add", PENDING[0]).code == 0
    assert cli("show", PENDING[0], "--refresh").code == 0
    fake.faults.add(status=404, method="GET", path=f"/uploads/{PENDING[0]}", count=2)
    run = cli("show", PENDING[0], "--refresh")
    assert run.code == 1 and "Not found: " in run.err and "Traceback" not in run.err
    assert run.out.splitlines()[0] == "Diagnosis"
    assert re.search(r"not found \(checked \d\d:\d\d\)", run.out), run.out
    assert "Answered 404" in run.out
    run = cli("show", PENDING[0], "--refresh", "--json")
    doc = json.loads(run.out)
    assert run.code == 1 and doc["notFoundAt"] and doc["diagnosis"]["code"] == "not-found"
    assert doc["upload"]["status"] == "pending"  # the last answer, as it was
    run = cli("show", PENDING[0], "--json")  # from the store: still not found
    assert run.code == 0 and json.loads(run.out)["diagnosis"]["code"] == "not-found"
    run = cli("show", PENDING[0], "--refresh", "--json")  # it answers again: mark cleared
    assert run.code == 0 and json.loads(run.out)["notFoundAt"] is None


# --- show ID... ---------------------------------------------------------------------------------


def test_show_takes_several_ids_and_goes_on_past_a_missing_one(cli):
    assert cli("add", PENDING[0], FAILED).code == 0
    run = cli("show", PENDING[0], GONE, FAILED)
    assert run.code == 1
    assert f"{GONE}: Not found: " in run.err
    blocks = run.out.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [f"=== {PENDING[0]} ===",
                                                          f"=== {FAILED} ==="]
    assert blocks[1].splitlines()[1] == "Diagnosis"
    run = cli("show", PENDING[0], GONE, FAILED, "--json")
    docs = json.loads(run.out)
    assert run.code == 1 and [doc["id"] for doc in docs] == [PENDING[0], FAILED]
    single = json.loads(cli("show", PENDING[0], "--json").out)  # one ID: one object, as before
    assert isinstance(single, dict) and single["id"] == PENDING[0]
    run = cli("show", "-", "--json", stdin=f"{FAILED}\n{PENDING[0]}\n")
    assert run.code == 0 and [d["id"] for d in json.loads(run.out)] == [FAILED, PENDING[0]]
    run = cli("show", PENDING[0], "bad/id")
    assert run.code == 1 and "invalid" in run.err and f"=== {PENDING[0]} ===" not in run.out


def test_show_of_an_unknown_id_on_a_team_store_says_the_team_store(cli, pg_url):
    """Not in the team store: said so (not "the local store"), fetched, not added."""
    run = cli("show", PENDING[1], "--store", pg_url)
    assert run.code == 0, run.err
    assert f"{PENDING[1]} is not in the team store; fetching it without adding it." in run.err
    assert f"=== {PENDING[1]} ===" not in run.out and "Diagnosis" in run.out
    assert cli("list", "--store", pg_url).out == ""


def test_log_on_a_team_store_says_who_did_it(cli, pg_url):
    """A team store's text log has who did each thing after the time (as ``L`` has a Who
    column); the local store's has no such column."""
    from psycopg.conninfo import conninfo_to_dict

    me = str(conninfo_to_dict(pg_url)["user"])
    assert cli("add", PENDING[0], "--store", pg_url).code == 0
    assert cli("note", PENDING[0], "on it", "--store", pg_url).code == 0
    lines = [line.split("\t") for line in cli("log", "--store", pg_url).out.splitlines()]
    assert [(f[1], f[3], f[4]) for f in lines] == [(me, PENDING[0], "note"),
                                                   (me, PENDING[0], "add")]
    assert cli("add", PENDING[0]).code == 0
    (local,) = [line.split("\t") for line in cli("log").out.splitlines()]
    assert local[2:4] == [PENDING[0], "add"]


def test_list_says_who_holds_each_upload_and_who_wrote_its_note(cli, store_path, pg_url):
    """``list --json`` has each upload's claim (``mine`` for the store's own actor) and who
    wrote its note; the text has the holder after the status while anyone holds one listed.
    On the local store (another name claiming through a second connection) and a team one."""
    from psycopg.conninfo import conninfo_to_dict

    from scenario_tui.store.sqlite import Store

    assert cli("add", *PENDING[:3]).code == 0
    with Store.open(store_path) as ann:
        ann.actor = "ann"
        ann.claim([PENDING[1]], 30)
    me = cli("claim", PENDING[2], "--json")
    mine = json.loads(me.out)[0]
    rows = {r["id"]: r for r in json.loads(cli("list", "--json").out)}
    assert rows[PENDING[0]]["claim"] is None
    assert rows[PENDING[1]]["claim"]["holder"] == "ann" and not rows[PENDING[1]]["claim"]["mine"]
    assert rows[PENDING[2]]["claim"] == {k: mine[k] for k in ("holder", "expiresAt", "mine")}
    assert mine["mine"] is True
    text = {f[0]: f for f in (line.split("\t") for line in cli("list").out.splitlines())}
    assert [text[i][2] for i in PENDING[:3]] == ["", "ann", mine["holder"]]
    assert cli("release", PENDING[2]).code == 0
    with Store.open(store_path) as ann:
        ann.actor = "ann"
        ann.release([PENDING[1]])
    assert all(len(line.split("\t")) == 5 for line in cli("list").out.splitlines())

    team = str(conninfo_to_dict(pg_url)["user"])
    assert cli("add", PENDING[0], "--store", pg_url).code == 0
    assert cli("note", PENDING[0], "on it", "--store", pg_url).code == 0
    (row,) = json.loads(cli("list", "--json", "--store", pg_url).out)
    assert row["noteBy"] == team and row["claim"] is None
    assert json.loads(cli("show", PENDING[0], "--json", "--store", pg_url).out)["noteBy"] == team


# --- summary [--output FILE] --------------------------------------------------------------------


def test_summary_is_the_y_summary_on_stdout_or_in_a_file(cli, tmp_path):
    from scenario_tui.core.present import summary_text
    from scenario_tui.store.sqlite import Store

    assert cli("add", PENDING[0], FAILED, GONE).code == 0
    cli("refresh", "--all")
    assert cli("note", FAILED, "ticket 4711").code == 0
    run = cli("summary", FAILED, GONE)
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].startswith(f"{FAILED} | failed | ") and lines[0].endswith(
        "| note: ticket 4711")
    assert "failed: Part 3 of 4 was never received -> " in lines[0]
    assert lines[1].startswith(f"{GONE} | not found | not found (checked ")
    with Store.open(cli_environment_store(tmp_path)) as store:  # the TUI's Y: the same text
        rows = [store.get(FAILED), store.get(GONE)]
    assert run.out == summary_text(rows) + "\n"
    out = tmp_path / "ticket.txt"
    run = cli("summary", "--all", "--output", str(out))
    assert run.code == 0 and run.out == ""
    assert f"Summary of 3 uploads written to {out}" in run.err
    assert out.read_text().splitlines()[0].startswith(f"{PENDING[0]} | pending")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ticket")] == []
    run = cli("summary", FAILED, "up_never_added_1")
    assert run.code == 1 and "not known: up_never_added_1" in run.err and FAILED in run.out


def cli_environment_store(tmp_path: Path) -> Path:
    return tmp_path / "data" / "uploads.db"


@pytest.mark.parametrize("where", ["missing-dir", "a-directory"])
def test_summary_output_to_a_bad_path_says_why_without_a_traceback(cli, tmp_path, where):
    assert cli("add", PENDING[0]).code == 0
    target = tmp_path / "no" / "such" / "dir" / "s.txt" if where == "missing-dir" else tmp_path
    run = cli("summary", PENDING[0], "--output", str(target))
    assert run.code == 1 and "Traceback" not in run.err
    assert "Cannot write the file: " in run.err
    if where == "missing-dir":
        assert f"the directory {target.parent} does not exist" in run.err
        assert not (tmp_path / "no").exists()
    else:
        assert "is a directory" in run.err


def test_summary_output_on_a_full_disk_leaves_the_old_file_whole(cli, tmp_path, monkeypatch):
    assert cli("add", PENDING[0]).code == 0
    out = tmp_path / "ticket.txt"
    out.write_text("the previous summary\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    run = cli("summary", PENDING[0], "--output", str(out))
    assert run.code == 1 and "Traceback" not in run.err
    assert f"Cannot write {out}: the disk is full. Nothing was written." in run.err
    assert out.read_text() == "the previous summary\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "ticket" in p.name) == ["ticket.txt"]


# --- bulk entries keep their IDs ----------------------------------------------------------------


def test_a_bulk_complete_is_summed_up_once_and_log_lists_the_ids(cli, fake):
    imported = "up_demo_imported_1"
    ids = [PENDING[0], BAD_FILE_ID, imported]
    assert cli("add", *ids).code == 0
    run = cli("complete", *ids, "--yes", "--wait")
    assert run.code == 1  # the bad file failed
    assert "2 sent: 1 imported, 1 failed; 1 not sent" in run.err
    entries = json.loads(cli("log", "--json").out)
    assert set(entries[0]) == {"at", "profile", "uploadId", "uploadIds", "action", "outcome",
                               "httpStatus", "message", "actor"}
    summary = [e for e in entries if e["action"] == "complete" and e["uploadId"] is None]
    assert len(summary) == 1 and summary[0]["uploadIds"] == ids
    assert summary[0]["message"] == "2 sent: 1 imported, 1 failed; 1 not sent"
    added = next(e for e in entries if e["action"] == "add")
    assert added["uploadIds"] == ids and added["uploadId"] is None
    assert all(e["uploadIds"] is None for e in entries if e["uploadId"] is not None)
    text = [line.split("\t") for line in cli("log").out.splitlines()]
    assert [f[2] for f in text if f[3] == "add"] == ["3 uploads"]
    assert [f[2] for f in text if f[3] == "complete" and f[6].startswith("2 sent")] == [
        "3 uploads"]
