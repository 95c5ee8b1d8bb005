"""Removing and notes across processes (issue 16, section 2).

- A note typed in the TUI while another process removes that upload was dropped silently, and
  the log said ``note ok``. Now the user is told, and the log says ``failed``.
- ``remove -`` of 100,000 IDs SIGKILLed midway left every row gone but only part of the log
  entries (45,479 of 100,000). Now the removal and its entries are one transaction: killed at
  any moment, every ID is either still listed or logged as removed, never both, never neither.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from scenario_tui.core import errors
from scenario_tui.store.sqlite import Store
from scenario_tui.tui import internals
from scenario_tui.tui.widgets.status_panel import StatusPanel
from tests.conftest import make_app, settle
from tests.reliability.test_store_stress import ROOT, integrity

REMOVED = 100_000
MIB = 1024 * 1024


# --- a note on an upload removed meanwhile --------------------------------------------------


def test_service_note_on_a_removed_upload_raises_and_logs_no_success(service):
    service.store.add(["up_gone"])
    with Store.open(service.store.path) as other:  # another process
        other.remove(["up_gone"])
    with pytest.raises(errors.UploadGoneError, match="no longer in the list"):
        service.set_note("up_gone", "hello")
    events = [(e.upload_id, e.action, e.outcome) for e in service.store.events()]
    assert ("up_gone", "note", "ok") not in events
    assert ("up_gone", "note", "failed") in events


async def test_tui_note_on_an_upload_another_process_removed_says_so(fake, tmp_path):
    """The note dialog is open while another process removes the upload; saving the note says
    it was not saved (toast and status widget), the row leaves the list, no ``note ok``."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        upload_id = screen.table.highlighted_id
        await pilot.press("n")
        await settle(app, pilot)
        with Store.open(screen.service.store.path) as other:
            assert other.remove([upload_id])
        await pilot.press(*"checked with the customer")
        await pilot.press("enter")
        await settle(app, pilot)
        toasts = [f"{n.title}: {n.message}" for n in internals.notifications(app)]
        assert any(t.startswith("Note not saved: ") and upload_id in t for t in toasts), toasts
        assert "Note not saved" in str(screen.query_one(StatusPanel).render())
        assert screen.table.highlighted_id != upload_id
        events = [(e.upload_id, e.action, e.outcome) for e in screen.service.store.events()]
        assert (upload_id, "note", "ok") not in events
        assert (upload_id, "note", "failed") in events


# --- SIGKILL during a large removal -------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("remove") / "template.db"
    with Store.open(path) as store:
        store.add([f"up_rm_{i:06d}" for i in range(REMOVED)])
    return path


def start_remove(path) -> subprocess.Popen:
    """``scenario-tui --store PATH remove -`` with every ID on stdin, in a child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCENARIO_BASE_URL": "http://127.0.0.1:9/v1"}
    kid = subprocess.Popen([sys.executable, "-m", "scenario_tui", "--store", str(path), "remove",
                            "-"], env=env, cwd=ROOT, stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert kid.stdin is not None
    kid.stdin.write("\n".join(f"up_rm_{i:06d}" for i in range(REMOVED)))
    kid.stdin.close()
    return kid


def rows_and_log(path) -> tuple[set[str], list[str]]:
    conn = sqlite3.connect(path)
    try:
        rows = {r[0] for r in conn.execute("SELECT id FROM uploads")}
        logged = [r[0] for r in conn.execute(
            "SELECT upload_id FROM activity WHERE action = 'remove' AND outcome = 'ok'")]
    finally:
        conn.close()
    return rows, logged


def removals_logged(path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT count(*) FROM activity WHERE action = 'remove'").fetchone()[0]
    except sqlite3.OperationalError:  # the file is being created or locked a moment
        return 0
    finally:
        conn.close()


def check_agreement(path) -> list[str]:
    """Every ID is either still a row or logged as removed: exactly one of the two."""
    rows, logged = rows_and_log(path)
    everyone = {f"up_rm_{i:06d}" for i in range(REMOVED)}
    problems = []
    if len(logged) != len(set(logged)):
        problems.append(f"{len(logged) - len(set(logged))} removals logged twice")
    if rows & set(logged):
        problems.append(f"{len(rows & set(logged))} logged as removed but still listed")
    if everyone - rows - set(logged):
        problems.append(f"{len(everyone - rows - set(logged))} gone without a log entry")
    if integrity(path) != [("ok",)]:
        problems.append("integrity_check failed")
    return problems


def test_sigkill_during_a_large_remove_leaves_rows_and_log_in_agreement(template, tmp_path):
    """One run to the end (all gone, all logged); one killed while the removal's transaction is
    being written (its WAL past 1 MiB, before the commit); one as soon as a removal shows in the
    log (the moment the old code was writing its entries one transaction at a time); three at
    fixed fractions of a whole run's duration."""
    full = tmp_path / "full.db"
    shutil.copy(template, full)
    started = time.monotonic()
    kid = start_remove(full)
    assert kid.wait(timeout=120) == 0, kid.stderr.read() if kid.stderr else ""
    duration = time.monotonic() - started
    rows, logged = rows_and_log(full)
    assert rows == set() and len(logged) == REMOVED
    problems = []
    trials: list[tuple[str, float | None]] = [
        ("mid-transaction", None), ("first log entry", None),
        *((f"{f:.0%} of a run", f) for f in (0.4, 0.7, 0.9))]
    for n, (label, fraction) in enumerate(trials):
        path = tmp_path / f"kill-{n}.db"
        shutil.copy(template, path)
        wal = path.with_name(path.name + "-wal")
        kid = start_remove(path)
        deadline = time.monotonic() + (duration * fraction if fraction else 120)
        while time.monotonic() < deadline and kid.poll() is None:
            if label == "mid-transaction" and wal.exists() and wal.stat().st_size > MIB:
                break
            if label == "first log entry" and removals_logged(path) > 0:
                break
            time.sleep(0.005)
        kid.send_signal(signal.SIGKILL)
        kid.wait(timeout=30)
        problems += [f"{label}: {p}" for p in check_agreement(path)]
    assert problems == []
