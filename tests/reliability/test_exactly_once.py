"""Exactly once across processes (promise 8 of RELIABILITY.md): the intent ledger.

Real processes on one store against the fake API served on loopback: 2, 5 and 20 processes
completing the same upload at the same moment, 50 rounds each (forked from a runner that has
imported everything, each child running the CLI's ``main``); two ``scenario-tui complete``
started at once; a ``complete`` while another process sends the upload's parts. And whatever
interrupts a POST, its 'sending' entry is in the activity log: Ctrl+C (SIGINT) in the CLI,
quitting the TUI, a store locked or a disk full when the outcome is written (then the CLI still
says ``sent``, with a warning).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from scenario_tui.core.units import MIB
from scenario_tui.store import intents
from scenario_tui.store.intents import Holder, process_start
from scenario_tui.store.sqlite import Store
from tests.conftest import make_app, settle
from tests.kit import PENDING, cli_environment, clone_pending, run_cli

ROOT = Path(__file__).resolve().parents[2]

#: the runner: imports everything once (and completes a warm-up upload, for what loads lazily),
#: then for each line "N ID ROUND" forks N children that wait at one barrier and each run
#: ``scenario-tui complete --yes ID``; prints their exit codes
RUNNER = """
    import gc, importlib, os, pkgutil, sys
    import multiprocessing as mp
    import httpx._transports.default as default  # one TLS context for all (certifi: ~50 ms)
    _ssl = default.create_ssl_context()
    default.create_ssl_context = lambda *a, **k: _ssl
    import scenario_tui
    for module in pkgutil.walk_packages(scenario_tui.__path__, "scenario_tui."):
        if not module.name.startswith(("scenario_tui.tui", "scenario_tui.__main__")):
            importlib.import_module(module.name)
    try:
        import httpcore._backends.anyio  # noqa: F401
    except ImportError:
        pass
    from scenario_tui.cli import main as cli
    from scenario_tui.store.sqlite import Store

    store_path, logs, warm_up = sys.argv[1], sys.argv[2], sys.argv[3]
    fork = mp.get_context("fork")

    def child(upload_id, barrier, log):
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        barrier.wait()
        try:
            code = cli.main(["complete", "--yes", upload_id])
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 98)

    Store.open(store_path).close()
    stdout = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    assert cli.main(["complete", "--yes", warm_up]) == 0
    sys.stdout.flush()
    os.dup2(stdout, 1)
    gc.collect()
    gc.freeze()  # the children never collect what the runner built: no copy-on-write storm
    print("ready", flush=True)
    for line in sys.stdin:
        n, upload_id, round_ = line.split()
        with Store.open(store_path) as store:
            store.add([upload_id])
        barrier = fork.Barrier(int(n))
        kids = [fork.Process(target=child, args=(upload_id, barrier, f"{logs}/{round_}-{i}.log"))
                for i in range(int(n))]
        for kid in kids:
            kid.start()
        for kid in kids:
            kid.join()
        print(" ".join(str(kid.exitcode) for kid in kids), flush=True)
"""


def _env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "PYTHONPATH": str(ROOT)}


def _scenario_tui(*args: str, env: dict[str, str], **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scenario_tui", *args], env=env, cwd=ROOT,
                            text=True, **popen)


def _rows(path: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class Gate:
    """Holds the fake's answers to matching requests until opened (the request is applied
    first, then held: an in-flight call), and says when one arrived."""

    def __init__(self, fake, method: str, suffix: str) -> None:
        self.arrived, self.open = threading.Event(), threading.Event()
        self.paths: list[str] = []
        real = fake.handle

        def handle(method_, path, *args, **kwargs):
            answer = real(method_, path, *args, **kwargs)
            if method_.upper() == method and path.endswith(suffix):
                self.paths.append(path)
                self.arrived.set()
                self.open.wait(20)
            return answer

        fake.handle = handle


# --- races --------------------------------------------------------------------------------------


@pytest.mark.parametrize("processes", [2, 5, 20])
def test_processes_completing_one_upload_at_once_send_exactly_one_post(
        processes, server, cli_env, tmp_path):
    """Each round: a fresh pending upload, N processes released at one barrier, each running
    ``scenario-tui complete --yes ID`` on the same store. Every round, exactly one POST reaches
    the fake; each process exits 0 (sent, or skipped once it reads validating) or 1 (refused:
    the holder's message); the ledger holds one 'sent' intent and none open."""
    fake = server.fake
    store, logs = tmp_path / "data" / "uploads.db", tmp_path / "logs"
    logs.mkdir()
    (warm_up,) = clone_pending(fake, 1, prefix=f"up_warm{processes}")
    runner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(RUNNER), str(store),
                               str(logs), warm_up], env=_env(cli_env), cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    ids = []
    try:
        assert runner.stdout.readline() == "ready\n"
        assert fake.complete_count(warm_up) == 1
        for round_ in range(50):
            (upload_id,) = clone_pending(fake, 1, prefix=f"up_race{processes}x{round_}")
            ids.append(upload_id)
            runner.stdin.write(f"{processes} {upload_id} {round_}\n")
            runner.stdin.flush()
            codes = runner.stdout.readline().split()
            outputs = [(logs / f"{round_}-{i}.log").read_text() for i in range(processes)]
            assert fake.complete_count(upload_id) == 1, (round_, codes, outputs)
            assert len(codes) == processes and set(codes) <= {"0", "1"}, (codes, outputs)
            assert "0" in codes, outputs
            for code, output in zip(codes, outputs, strict=True):
                if code == "1":
                    assert "being completed by process" in output, output
    finally:
        runner.stdin.close()
        runner.wait(timeout=60)
    for upload_id in ids:
        states = _rows(store, "SELECT state FROM intents WHERE upload_id = ?", upload_id)
        assert states == [("sent",)], (upload_id, states)
        sending = _rows(store, "SELECT count(*) FROM activity WHERE upload_id = ? AND "
                               "outcome = 'sending'", upload_id)
        assert sending == [(1,)]


def test_two_scenario_tui_complete_started_at_once_post_once(server, cli_env, tmp_path):
    """The issue's case, as a user runs it: two ``scenario-tui complete --yes ID`` at once (five
    times, a slow API widening the window): one POST each time; the other exits 0 (skipped) or
    1 saying which process is completing it."""
    fake = server.fake
    env = _env(cli_env)
    fake.latency = 0.2
    for trial, upload_id in enumerate(clone_pending(fake, 5, prefix="up_pair")):
        kids = [_scenario_tui("complete", "--yes", upload_id, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
        results = [(kid.wait(timeout=60), *kid.communicate()) for kid in kids]
        assert fake.complete_count(upload_id) == 1, (trial, results)
        assert sorted(code for code, _, _ in results)[0] == 0, results
        for code, _out, err in results:
            assert code in (0, 1), err
            if code == 1:
                assert f"{upload_id} is being completed by process " in err, err


def test_complete_is_refused_while_another_process_sends_the_parts(
        server, cli_env, tmp_path, monkeypatch, capsys):
    """``scenario-tui upload`` sends part 2 of 3 (held by the fake); meanwhile ``complete``
    from another process is refused with exit 1, naming the uploader's process, and sends
    nothing; the upload then finishes its parts."""
    fake = server.fake
    gate = Gate(fake, "PUT", "/2")
    path = tmp_path / "clip.mp4"
    path.write_bytes(os.urandom(12 * MIB))
    uploader = _scenario_tui("upload", str(path), "--part-size", "5MiB", "--concurrency", "1",
                             "--no-complete", env=_env(cli_env), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        assert gate.arrived.wait(30), "part 2 never arrived"
        upload_id = gate.paths[0].split("/")[-2]
        cli_environment(monkeypatch, tmp_path, server.base_url)
        run = run_cli(capsys, monkeypatch, "complete", "--yes", upload_id)
    finally:
        gate.open.set()
        out, err = uploader.communicate(timeout=60)
    assert run.code == 1
    assert (f"{upload_id}: its parts are still being sent by process {uploader.pid} "
            "(scenario-tui upload) on this machine") in run.err
    assert fake.complete_count(upload_id) == 0
    assert uploader.returncode == 0, err
    assert fake.status_of(upload_id) == "pending" and len(fake.uploads[upload_id].received) == 3


# --- every POST that may have arrived is in the log ----------------------------------------------


def test_ctrl_c_mid_post_in_the_cli_keeps_the_sending_entry(server, cli_env, tmp_path):
    """SIGINT while the POST is in flight: exit 130; the log has the 'sending' entry (committed
    before the POST) and the 'interrupted' one; the intent is settled 'interrupted'."""
    fake = server.fake
    gate = Gate(fake, "POST", "/action")
    (upload_id,) = clone_pending(fake, 1, prefix="up_sigint")
    kid = _scenario_tui("complete", "--yes", upload_id, env=_env(cli_env),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert gate.arrived.wait(30), "the POST never arrived"
        kid.send_signal(signal.SIGINT)
        out, err = kid.communicate(timeout=30)
    finally:
        gate.open.set()
    assert kid.returncode == 130, err
    assert "Traceback" not in err
    store = tmp_path / "data" / "uploads.db"
    entries = _rows(store, "SELECT action, outcome, message FROM activity WHERE upload_id = ?"
                           " ORDER BY id", upload_id)
    assert [(a, o) for a, o, _ in entries] == [("complete", "sending"),
                                               ("complete", "interrupted")]
    assert f"process {kid.pid} (scenario-tui complete)" in entries[0][2]
    assert "it may have arrived" in entries[1][2]
    assert _rows(store, "SELECT state FROM intents WHERE upload_id = ?", upload_id) == [
        ("interrupted",)]


async def test_quitting_the_tui_mid_post_keeps_the_sending_entry(fake, tmp_path):
    """c, y, and q, y while the POST is in flight: the app exits 0 and the log has the
    'sending' entry and the 'interrupted' one."""
    upload_id = PENDING[0]
    app = make_app(fake, tmp_path, [upload_id])
    posting = asyncio.Event()
    real_post = app.service.client.complete_upload

    async def post(upload_id: str):
        posting.set()
        return await real_post(upload_id)

    app.service.client.complete_upload = post
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        fake.latency = 0.5
        await pilot.press("c", "y")
        await asyncio.wait_for(posting.wait(), 10)
        await pilot.press("q")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0
    outcomes = [e.outcome for e in app.service.store.events(upload_id=upload_id)]
    assert "sending" in outcomes and outcomes[0] in ("interrupted", "sent"), outcomes


async def test_c_in_the_tui_on_an_upload_another_process_completes_says_who(fake, tmp_path):
    """Another process holds the upload's intent: ``c``, ``y`` sends nothing, and the status
    widget and a toast name that process."""
    from scenario_tui.tui import internals
    from scenario_tui.tui.widgets.status_panel import StatusPanel

    upload_id = PENDING[0]
    app = make_app(fake, tmp_path, [upload_id])
    pid = os.getppid()
    app.service.store.begin_intent(upload_id, "complete", Holder(
        pid, socket.gethostname(), process_start(pid), "scenario-tui complete"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "y")
        await settle(app, pilot)
        status = str(app.main_screen.query_one(StatusPanel).render())
        toasts = [f"{n.title}: {n.message}" for n in internals.notifications(app)]
    said = f"being completed by process {pid} (scenario-tui complete) on this machine"
    assert "Already being completed" in status
    assert any(said in toast for toast in toasts), toasts
    assert fake.complete_count(upload_id) == 0


def _open_with_short_busy_timeout(monkeypatch) -> None:
    real = Store.open.__func__

    def short(cls, path, **kwargs):
        return real(cls, path, **{**kwargs, "busy_timeout_ms": 300})

    monkeypatch.setattr(Store, "open", classmethod(short))


def test_a_store_locked_when_the_outcome_is_written_still_reports_sent(
        server, tmp_path, monkeypatch, capsys):
    """Another process locks the store while the POST is answered: ``complete --json`` says
    ``sent`` (exit 0) and warns that the log could not be updated; the 'sending' entry is
    there."""
    fake = server.fake
    path = cli_environment(monkeypatch, tmp_path, server.base_url)
    _open_with_short_busy_timeout(monkeypatch)
    (upload_id,) = clone_pending(fake, 1, prefix="up_locked")
    locker: list[sqlite3.Connection] = []
    real = fake.handle

    def handle(method, path_, *args, **kwargs):
        answer = real(method, path_, *args, **kwargs)
        if method == "POST" and path_.endswith("/action"):
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("BEGIN IMMEDIATE")
            locker.append(conn)
        return answer

    fake.handle = handle
    try:
        run = run_cli(capsys, monkeypatch, "complete", "--yes", "--json", upload_id)
    finally:
        for conn in locker:
            conn.execute("ROLLBACK")
            conn.close()
    assert fake.complete_count(upload_id) == 1
    assert run.code == 0, run.err
    assert '"outcome": "sent"' in run.out
    assert "Warning: the activity log could not be updated" in run.err and "locked" in run.err
    outcomes = _rows(path, "SELECT outcome FROM activity WHERE upload_id = ?", upload_id)
    assert outcomes == [("sending",)]


def test_a_full_disk_when_the_outcome_is_written_still_reports_sent(
        server, tmp_path, monkeypatch, capsys):
    fake = server.fake
    path = cli_environment(monkeypatch, tmp_path, server.base_url)
    (upload_id,) = clone_pending(fake, 1, prefix="up_full")

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(intents, "settle", full)
    run = run_cli(capsys, monkeypatch, "complete", "--yes", "--json", upload_id)
    assert fake.complete_count(upload_id) == 1 and run.code == 0, run.err
    assert '"outcome": "sent"' in run.out and "is full" in run.err
    assert _rows(path, "SELECT outcome FROM activity WHERE upload_id = ?", upload_id) == [
        ("sending",)]
