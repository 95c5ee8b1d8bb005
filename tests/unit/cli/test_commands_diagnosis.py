"""Issue 17: the diagnosis in ``list --json`` / ``show --json``, ``list --stuck``, and
``list --status`` taking every status it can print (and refusing others with exit code 2). Run
as a real subprocess against the fake API served on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scenario_tui.core.timestamps import to_iso
from scenario_tui.store.sqlite import Store

FAILED = "up_demo_failed_1"


def run(env, *args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "scenario_tui", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


def store_path(env) -> Path:
    out = run(env, "paths")
    return Path(next(line.split(":", 1)[1].strip() for line in out.stdout.splitlines()
                     if line.startswith("store:")))


def test_list_status_accepts_what_it_prints_and_refuses_the_rest(cli_env):
    assert run(cli_env, "add", "up_never_fetched_1").returncode == 0
    out = run(cli_env, "list", "--status", "banana")
    assert out.returncode == 2, out
    assert "Unknown status" in out.stderr and "pending" in out.stderr
    assert "Traceback" not in out.stderr
    out = run(cli_env, "list", "--status", "unknown")
    assert out.returncode == 0 and out.stdout.split("\t")[0] == "up_never_fetched_1"
    assert "never fetched" in out.stdout
    for status in ("pending", "validating", "complete", "validated", "imported", "failed"):
        assert run(cli_env, "list", "--status", status).returncode == 0, status


def test_list_json_diagnosis_and_stuck_filter(cli_env):
    assert run(cli_env, "add", "up_stuck_1", "up_fresh_1").returncode == 0
    now = datetime.now(timezone.utc)
    old, recent = to_iso(now - timedelta(days=3)), to_iso(now - timedelta(minutes=2))
    with Store.open(store_path(cli_env)) as store:
        store.record_snapshot("up_stuck_1", {
            "id": "up_stuck_1", "status": "pending", "createdAt": old, "updatedAt": old,
            "parts": [{"number": 1, "url": "https://s.example/p1?sig=x", "expires": old}]})
        store.record_snapshot("up_fresh_1", {
            "id": "up_fresh_1", "status": "pending", "createdAt": recent, "updatedAt": recent})
    rows = json.loads(run(cli_env, "list", "--json").stdout)
    found = {row["id"]: row["diagnosis"] for row in rows}
    assert found["up_stuck_1"]["code"] == "pending-expired" and found["up_stuck_1"]["stuck"]
    assert found["up_fresh_1"]["code"] == "pending" and not found["up_fresh_1"]["stuck"]
    assert found["up_stuck_1"]["text"].startswith("pending 3 days, part URLs expired")
    stuck = json.loads(run(cli_env, "list", "--stuck", "--json").stdout)
    assert [row["id"] for row in stuck] == ["up_stuck_1"]
    out = run(cli_env, "list", "--stuck")
    assert out.returncode == 0 and out.stdout.count("\n") == 1
    assert "pending 3 days" in out.stdout and "->" in out.stdout


def test_show_json_and_text_lead_with_the_diagnosis(cli_env):
    assert run(cli_env, "add", FAILED).returncode == 0
    out = run(cli_env, "show", FAILED, "--json", "--refresh")
    assert out.returncode == 0, out.stderr
    diagnosis = json.loads(out.stdout)["diagnosis"]
    assert diagnosis["code"] == "failed"
    assert diagnosis["text"] == "failed: Part 3 of 4 was never received"
    assert diagnosis["nextStep"] == "Upload the file again."  # the job's hint
    out = run(cli_env, "show", FAILED)
    assert out.stdout.splitlines()[0] == "Diagnosis", out.stdout
    assert "failed: Part 3 of 4 was never received" in out.stdout.splitlines()[1]
