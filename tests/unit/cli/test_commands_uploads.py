"""The subcommands on known uploads (``add``, ``remove``, ``list``, ``show``, ``complete``,
``log``, ``paths``) and the errors every command reports, run as a real subprocess against the
fake API served on loopback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scenario_tui.fake.seeds import BAD_FILE_ID, seeded_pending_ids

PENDING = seeded_pending_ids(include_bad_file=False)


def run(env, *args, stdin: str | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "scenario_tui", *args], env=env, input=stdin,
        capture_output=True, text=True, timeout=timeout,
    )


def test_version_and_paths_do_not_import_textual(cli_env):
    out = run(cli_env, "--version")
    assert out.returncode == 0 and out.stdout.startswith("scenario-tui ")
    assert run(cli_env, "add", PENDING[0]).returncode == 0  # list refuses a missing store
    code = ("import sys, runpy; sys.argv=['scenario-tui','list','--json'];"
            "from scenario_tui.cli.main import main; rc=main(); "
            "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], env=cli_env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = run(cli_env, "paths")
    assert "store:" in out.stdout and cli_env["SCENARIO_TUI_DATA_DIR"] in out.stdout


def test_add_from_stdin_list_json_and_remove(cli_env):
    out = run(cli_env, "add", "-", "--note", "ticket 9",
              stdin=f"{PENDING[0]}\n\n{PENDING[1]}\n{PENDING[0]}\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [PENDING[0], PENDING[1]]
    assert "1 duplicate" in out.stderr
    out = run(cli_env, "list", "--json")
    rows = json.loads(out.stdout)
    assert {r["id"] for r in rows} == {PENDING[0], PENDING[1]}
    assert all(r["note"] == "ticket 9" for r in rows)
    assert set(rows[0]) == {"id", "status", "fileName", "kind", "fileSize", "updatedAt",
                            "errorMessage", "note", "noteBy", "addedAt", "fetchedAt",
                            "notFoundAt", "diagnosis", "claim"}
    assert all(r["noteBy"] is None and r["claim"] is None for r in rows)  # local, no claims
    out = run(cli_env, "remove", PENDING[1], "up_never_added")
    assert out.returncode == 1 and "not known: up_never_added" in out.stderr
    assert [r["id"] for r in json.loads(run(cli_env, "list", "--json").stdout)] == [PENDING[0]]


def test_add_invalid_ids_exit_1_and_say_why(cli_env):
    out = run(cli_env, "add", "../../etc/passwd", "ok_id")
    assert out.returncode == 1
    assert "invalid" in out.stderr and "'/'" in out.stderr
    assert "Traceback" not in out.stderr


def test_show_refresh_json_includes_job_and_hides_credentials(cli_env, fake):
    run(cli_env, "add", PENDING[0])
    out = run(cli_env, "show", PENDING[0], "--refresh", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["upload"]["status"] == "pending"
    assert doc["job"]["jobId"] == doc["upload"]["jobId"]
    assert "signature" not in out.stdout
    out = run(cli_env, "show", PENDING[0])
    assert "Status" in out.stdout and "pending" in out.stdout


def test_complete_requires_yes_when_not_interactive(cli_env, fake):
    out = run(cli_env, "complete", PENDING[0])
    assert out.returncode == 2 and "--yes" in out.stderr
    assert fake.complete_count() == 0


def test_complete_wait_follows_to_final_and_logs(cli_env, fake):
    run(cli_env, "add", PENDING[0], BAD_FILE_ID)
    out = run(cli_env, "complete", PENDING[0], "--yes", "--wait")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{PENDING[0]}\tsent\timported"
    assert fake.complete_count(PENDING[0]) == 1
    out = run(cli_env, "complete", BAD_FILE_ID, "--yes", "--wait", "--json")
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result[0]["status"] == "failed"
    log = json.loads(run(cli_env, "log", "--json").stdout)
    assert [e["action"] for e in log if e["uploadId"] == PENDING[0]][0] == "complete"
    assert "cli-secret-value" not in json.dumps(log)


@pytest.mark.parametrize("concurrency", [1, 2])
def test_complete_of_several_keeps_at_most_concurrency_requests_in_flight(
        cli_env, fake, concurrency):
    """Three uploads, each request held 0.3 s at the fake: ``--concurrency 2`` has two at the
    API at once, never three; 1 sends one after the other. Each is sent once, and ``--json``
    keeps the order given (each line is printed as its upload ends)."""
    ids = PENDING[:3]
    run(cli_env, "add", *ids)
    fake.latency = 0.3
    try:
        out = run(cli_env, "complete", *ids, "--yes", "--json", "--concurrency",
                  str(concurrency))
    finally:
        fake.latency = 0.0
    assert out.returncode == 0, out.stderr
    assert [entry["id"] for entry in json.loads(out.stdout)] == ids
    assert all(fake.complete_count(i) == 1 for i in ids)
    # answered times: two requests in flight together end less than the latency apart
    ends = sorted(r.at for r in fake.requests
                  if any(r.path.endswith((f"/uploads/{i}", f"/uploads/{i}/action")) for i in ids))
    assert len(ends) == 6
    together = max(sum(1 for t in ends if start <= t < start + 0.25) for start in ends)
    assert together == concurrency


def test_complete_non_pending_is_skipped_not_posted(cli_env, fake):
    imported = next(i for i in fake.seeded_ids if fake.status_of(i) == "imported")
    out = run(cli_env, "complete", imported, "--yes")
    assert out.returncode == 0
    assert "\tskipped\t" in out.stdout and "only pending" in out.stderr
    assert fake.complete_count() == 0


@pytest.mark.parametrize(
    ("fault", "expect"),
    [({"status": 401}, "Bad credentials"), ({"status": 404}, "Not found"),
     ({"status": 500, "count": 5}, "Server error"),
     ({"kind": "html", "status": 502, "count": 5}, "HTML page"),
     ({"kind": "malformed_json"}, "not JSON"),
     ({"status": 429, "retry_after": 1, "count": 5}, "Rate limited")],
)
def test_api_errors_are_clear_and_exit_1(cli_env, fake, fault, expect):
    fake.faults.add(**fault)
    out = run(cli_env, "show", PENDING[0], "--refresh", "--json")
    assert out.returncode == 1
    assert expect in out.stderr
    assert "Traceback" not in out.stderr
    assert "cli-secret-value" not in out.stderr and "Basic " not in out.stderr


def test_connection_refused_is_a_clear_error(cli_env):
    env = dict(cli_env, SCENARIO_BASE_URL="http://127.0.0.1:9/v1")
    out = run(env, "show", "up_x", "--refresh")
    assert out.returncode == 1
    assert "Cannot connect" in out.stderr and "Traceback" not in out.stderr


def test_read_only_refuses_complete(cli_env, fake):
    out = run(cli_env, "--read-only", "complete", PENDING[0], "--yes")
    assert out.returncode == 1 and "Read-only" in out.stderr
    assert fake.complete_count() == 0


def test_config_errors_exit_2(cli_env):
    env = dict(cli_env, SCENARIO_BASE_URL="http://example.com/v1")
    out = run(env, "list")
    assert out.returncode == 2 and "Refusing plain http" in out.stderr
    out = run(cli_env, "list", "--no-such-flag")
    assert out.returncode == 2


def test_corrupt_store_is_reported_and_untouched(cli_env, tmp_path):
    store = tmp_path / "bad.db"
    store.write_bytes(b"this is not sqlite" * 100)
    out = run(cli_env, "--store", str(store), "list")
    assert out.returncode == 1 and "damaged" in out.stderr.lower()
    assert store.read_bytes() == b"this is not sqlite" * 100
