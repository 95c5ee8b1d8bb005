"""Faults from the API, seen from the command line (promises 1 and 3 of RELIABILITY.md).

Every status, body and transport fault ends in a clear, specific message on stderr (its title and
what happened), exit code 1, no traceback, and a store that is unchanged or correctly updated.
``complete`` is POSTed exactly once whatever the fault, and an uncertain answer is re-read and
reported as such. The CLI runs in-process (``cli.main``: the real parser, settings and wiring)
against the fake API served on 127.0.0.1, or against hand-written loopback servers that drop,
drip, hold or garble their answers; a few runs are real subprocesses.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from scenario_tui.fake import server as fake_server
from tests.kit import (
    ALL_CASES,
    CASE_IDS,
    PENDING,
    SOCKET_CASES,
    SOCKET_IDS,
    SocketFault,
    cli_environment,
    clone_pending,
    leaks,
    posts,
    reread_after_post,
    reuse_default_ssl_context,
    run_cli,
    store_files,
    store_state,
    unknown_values_body,
)


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    """A client that hangs up on a huge body makes the server's write fail; keep that out of the
    captured stderr the tests read (it is the fake's noise, not the CLI's). And load the CA
    bundle once, not once per in-process CLI run."""
    monkeypatch.setattr(fake_server._Server, "handle_error", lambda *args: None)
    reuse_default_ssl_context(monkeypatch)


class Cli:
    def __init__(self, monkeypatch, capsys, store) -> None:
        self.monkeypatch, self.capsys, self.store = monkeypatch, capsys, store

    def __call__(self, *argv: str, stdin: str = ""):
        return run_cli(self.capsys, self.monkeypatch, *argv, stdin=stdin)


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path, server, fake) -> Cli:
    fake.timeout_fault_seconds = 1.5  # the client gives up after 0.5 s
    return Cli(monkeypatch, capsys, cli_environment(monkeypatch, tmp_path, server.base_url))


def assert_clean_failure(run, title: str, says: str) -> None:
    assert run.code == 1, (run.code, run.err)
    assert f"{title}: " in run.err, run.err
    assert says in run.err, run.err
    assert "Traceback" not in run.err
    assert re.search(r"\b[A-Z]\w*(Error|Exception)\b", run.err) is None, run.err  # no class names


# --- promise 1: show --refresh -----------------------------------------------------------------


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_show_refresh_under_every_api_fault(cli, fake, case):
    """Text and --json runs: exit 1, the specific title and message, nothing on stdout (but for
    a 404, shown as "not found"), the stored snapshot untouched, no credential anywhere."""
    upload_id = PENDING[0]
    assert cli("add", upload_id).code == 0
    assert cli("show", upload_id, "--refresh").code == 0
    before = store_state(cli.store)
    for flags in ((), ("--json",)):
        fake.faults.add(**case.fault, method="GET", path=f"/uploads/{upload_id}")
        run = cli("show", upload_id, "--refresh", *flags)
        assert_clean_failure(run, case.title, case.says)
        # a 404 of a known upload is recorded and shown as such (issue 17); else nothing
        assert run.out == "" or case.name == "404" and "not found (checked" in run.out
        assert store_state(cli.store) == before
        assert leaks(run.out, run.err, store_files(cli.store)) == []


def test_show_refresh_keeps_unknown_values_and_extra_fields(cli, fake):
    """A status, kind and source this version never heard of, and fields it does not know: shown
    and stored as they came, exit 0."""
    upload_id = PENDING[0]
    cli("add", upload_id)
    fake.faults.add(status=200, body=unknown_values_body(upload_id), method="GET", count=2,
                    path=f"/uploads/{upload_id}")
    run = cli("show", upload_id, "--refresh", "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["upload"]["status"] == "quarantined" and doc["upload"]["kind"] == "hologram"
    assert doc["upload"]["brandNewField"] == {"nested": [1, 2, 3]}
    rows, _ = store_state(cli.store)
    assert rows[0][4] == "quarantined"
    run = cli("show", upload_id, "--refresh")
    assert run.code == 0 and "◇ quarantined" in run.out and "brandNewField" in run.out


@pytest.mark.parametrize("case", SOCKET_CASES, ids=SOCKET_IDS)
def test_show_refresh_under_transport_faults(monkeypatch, capsys, tmp_path, fake, case):
    """Refused, connect timeout, read timeout, dropped mid-body, slow and fast drips, non-HTTP
    bytes: a clear error within the configured timeouts (0.3 s connect, 0.5 s read)."""
    with SocketFault(case, fake, method="GET") as base_url:
        store = cli_environment(monkeypatch, tmp_path, base_url)
        run_cli(capsys, monkeypatch, "add", PENDING[0])
        before = store_state(store)
        started = time.monotonic()
        run = run_cli(capsys, monkeypatch, "show", PENDING[0], "--refresh")
        elapsed = time.monotonic() - started
    assert_clean_failure(run, case.title, case.says)
    assert elapsed < 4, elapsed
    assert store_state(store) == before
    assert leaks(run.out, run.err, store_files(store)) == []


# --- promise 3: complete ------------------------------------------------------------------------


def _check_complete(cli_run, store, fake, upload_id, *, title, says, uncertain, apply):
    assert posts(fake, upload_id) == 1, "complete must be POSTed exactly once"
    assert "Traceback" not in cli_run.err
    doc = json.loads(cli_run.out)[0]
    if uncertain:
        assert doc["outcome"] == "uncertain", doc
        assert reread_after_post(fake, upload_id), "an uncertain complete must be re-read"
        went = fake.status_of(upload_id) != "pending"
        assert went == apply
        if apply:
            assert cli_run.code == 0 and "went through" in doc["message"]
        else:
            assert cli_run.code == 1 and "not sent again" in doc["message"]
        rows, _ = store_state(store)
        assert dict((r[0], r[4]) for r in rows)[upload_id] == doc["status"]
    else:
        assert doc["outcome"] == "failed", doc
        assert doc["error"]["title"] == title and says in doc["error"]["message"]
        assert cli_run.code == 1
    events = [e for e in store_state(store)[1] if e[0] == upload_id and e[1] == "complete"]
    # the intent ledger: 'sending' is committed before the POST, then its outcome (issue 16)
    assert [e[2] for e in events] == ["sending", doc["outcome"]]
    assert leaks(cli_run.out, cli_run.err, store_files(store)) == []


@pytest.mark.parametrize("apply", [False, True], ids=["lost-before-api", "applied-answer-lost"])
@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_complete_is_posted_once_under_every_api_fault(cli, fake, case, apply):
    """Whatever answers the POST, it is sent once; timeouts, drops, 5xx and unreadable 2xx are
    re-read and reported uncertain; a later ``complete`` never re-sends one that went through."""
    upload_id = clone_pending(fake, 1, f"up_{case.name.replace('-', '_')}")[0]
    cli("add", upload_id)
    fake.faults.add(**case.fault, method="POST", path=f"/uploads/{upload_id}/action", apply=apply)
    run = cli("complete", upload_id, "--yes", "--json")
    _check_complete(run, cli.store, fake, upload_id, title=case.title, says=case.says,
                    uncertain=case.uncertain_on_post, apply=apply)
    went_through = fake.status_of(upload_id) != "pending"
    again = cli("complete", upload_id, "--yes")
    if went_through:
        assert posts(fake, upload_id) == 1 and "\tskipped\t" in again.out
    else:  # the user asked again and it is still pending: a second, deliberate POST
        assert posts(fake, upload_id) == 2 and again.code == 0


SOCKET_COMBOS = [(c, a) for c in SOCKET_CASES for a in (False, True) if c.kind is None or not a]


@pytest.mark.parametrize(("case", "apply"), SOCKET_COMBOS, ids=[
    f"{c.name}-{'applied-answer-lost' if a else 'lost-before-api'}" for c, a in SOCKET_COMBOS])
def test_complete_is_posted_once_under_transport_faults(monkeypatch, capsys, tmp_path, fake,
                                                        case, apply):
    """The POST alone misbehaves (the pre-read is answered); refused and connect timeouts stop
    everything before a byte is sent (so "applied" has no meaning for them)."""
    upload_id = clone_pending(fake, 1, f"up_{case.name.replace('-', '_')}")[0]
    with SocketFault(case, fake, method="POST", path_suffix="/action", apply=apply) as base_url:
        store = cli_environment(monkeypatch, tmp_path, base_url)
        run_cli(capsys, monkeypatch, "add", upload_id)
        run = run_cli(capsys, monkeypatch, "complete", upload_id, "--yes", "--json")
    if case.kind is not None:
        assert posts(fake, upload_id) == 0 and fake.requests == []
        doc = json.loads(run.out)[0]
        assert run.code == 1 and doc["outcome"] == "failed" and doc["error"]["title"] == case.title
        assert [e[2] for e in store_state(store)[1] if e[1] == "complete"] == ["failed"]
        return
    _check_complete(run, store, fake, upload_id, title=case.title, says=case.says,
                    uncertain=True, apply=apply)


def test_batch_complete_goes_on_after_a_failure_and_reports_each(cli, fake):
    """Three IDs, the first cannot be read (503), the second's answer is lost, the third is fine:
    every one is attempted, reported on its own line, and the exit code says something failed."""
    a, b, c = clone_pending(fake, 3, "up_batch")
    cli("add", a, b, c)
    fake.faults.add(status=503, method="GET", path=f"/uploads/{a}")
    fake.faults.add(kind="drop", method="POST", path=f"/uploads/{b}/action", apply=True)
    run = cli("complete", a, b, c, "--yes")
    assert run.code == 1
    lines = sorted(run.out.splitlines())  # each printed as it ends
    assert len(lines) == 2
    assert lines[0].startswith(f"{b}\tuncertain\t") and lines[1].startswith(f"{c}\tsent\t")
    assert f"{a}: Server error: " in run.err
    assert [posts(fake, i) for i in (a, b, c)] == [0, 1, 1]


# --- rate limits with retries on ----------------------------------------------------------------


def test_rate_limit_wait_is_honoured_then_the_read_succeeds(monkeypatch, capsys, tmp_path, fake,
                                                            server):
    store = cli_environment(monkeypatch, tmp_path, server.base_url, retries=2)
    run_cli(capsys, monkeypatch, "add", PENDING[0])
    fake.faults.add(status=429, retry_after_ms=300, method="GET")
    started = time.monotonic()
    run = run_cli(capsys, monkeypatch, "show", PENDING[0], "--refresh")
    assert run.code == 0, run.err
    assert time.monotonic() - started >= 0.3
    assert store_state(store)[0][0][4] == "pending"


def test_rate_limit_asking_for_an_hour_fails_at_once(monkeypatch, capsys, tmp_path, fake, server):
    """The API says "come back in an hour": the CLI says so at once instead of hanging a minute
    in retries (it used to sleep 2 x 32 s and ask again). (Issue 16: the hint is capped at
    60 s, as in the official SDK, and the message says so; it used to say 3600 s.)"""
    cli_environment(monkeypatch, tmp_path, server.base_url, retries=2)
    fake.faults.add(status=429, remaining_seconds=3600, method="GET", count=None)
    started = time.monotonic()
    run = run_cli(capsys, monkeypatch, "show", PENDING[0], "--refresh")
    assert time.monotonic() - started < 3
    assert_clean_failure(run, "Rate limited", "Try again in 60 s")
    assert "asked for a pause of 3600 s" in run.err
    assert fake.count("GET", f"/uploads/{PENDING[0]}") == 1


# --- a few real processes: what a user's terminal would show ------------------------------------


def _subprocess(env, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "scenario_tui", *args], env=env, input=stdin,
                          capture_output=True, timeout=60)


@pytest.mark.parametrize("fault", [
    dict(status=200, body="[" * 200_000),  # used to escape as a RecursionError traceback
    dict(status=200, body='{"upload": {"id": "x", "status": "pending", "fileSize": 1e999}}'),
], ids=["deeply-nested", "overflowing-number"])
def test_real_process_shows_no_traceback(cli_env, fake, tmp_path, fault):
    env = dict(cli_env, SCENARIO_TUI_CONFIG=str(tmp_path / "c.toml"))
    (tmp_path / "c.toml").write_text("max_retries = 0\n")
    fake.faults.add(**fault, method="GET")
    out = _subprocess(env, "show", PENDING[0], "--refresh", "--json")
    assert out.returncode == 1
    assert b"Traceback" not in out.stderr and out.stdout == b""
    assert out.stderr.count(b"\n") <= 2, out.stderr
    assert not leaks(out.stdout, out.stderr)


def test_real_process_complete_with_lost_answer(cli_env, fake):
    upload_id = PENDING[0]
    _subprocess(cli_env, "add", upload_id)
    fake.faults.add(kind="drop", method="POST", path="/action", apply=True)
    out = _subprocess(cli_env, "complete", upload_id, "--yes")
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().startswith(f"{upload_id}\tuncertain\t")
    assert b"went through" in out.stderr and b"Traceback" not in out.stderr
    assert fake.complete_count(upload_id) == 1
