"""The benchmark scripts still run: each one with ``--quick`` (small sizes, no thresholds) in a
subprocess, exiting 0 and printing its ``ratio ...`` line(s). The figures themselves are in
bench/RESULTS.md; this only keeps the scripts from rotting. The team store's benches (issue 18)
start a PostgreSQL cluster of their own: their smoke runs also check what must hold whatever the
machine (each upload completed once; a teammate's note reaching the other screen)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
RATIO = re.compile(r"^ratio .+: \d+\.\d+x", re.M)
NO_TMUX = pytest.mark.skipif(shutil.which("tmux") is None,
                             reason="bench_startup starts the app in tmux, which is not installed")
SCRIPTS = [
    pytest.param("bench_cli.py", (), id="cli"),
    pytest.param("bench_startup.py", ("--backend", "sqlite"), id="startup", marks=NO_TMUX),
    pytest.param("bench_keys.py", (), id="keys"),
    pytest.param("bench_refresh.py", (), id="refresh"),
]


def run_quick(script: str, *options: str) -> str:
    """Run ``script --quick OPTIONS``; its output, once it exited 0 with a ratio line."""
    out = subprocess.run([sys.executable, str(BENCH / script), "--quick", *options],
                         capture_output=True, text=True, timeout=120, cwd=BENCH.parent)
    assert out.returncode == 0, f"{script} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    assert RATIO.search(out.stdout), f"{script} printed no ratio line:\n{out.stdout}"
    return out.stdout


@pytest.mark.parametrize("script,options", SCRIPTS)
def test_bench_script_quick_mode(script: str, options: tuple[str, ...]) -> None:
    run_quick(script, *options)


# --- the team store's benchmarks (issue 18): a PostgreSQL cluster started by the bench itself --


@pytest.fixture
def postgres_available() -> None:
    """Skip (or fail, where PostgreSQL is required) when the bench cannot start a cluster."""
    from tests.pg_cluster import find_bindir, unavailable, why_unavailable

    reason = why_unavailable(find_bindir())
    if reason is not None:
        unavailable(reason)


@NO_TMUX
@pytest.mark.postgres
def test_bench_startup_on_the_team_store(postgres_available) -> None:
    """Both backends in one run: the team store's start-up against the bare app, and its
    memory against the local store's."""
    out = run_quick("bench_startup.py", "--backend", "both")
    assert re.search(r"^ratio startup team store, 2,000 uploads / bare app: ", out, re.M), out
    assert re.search(r"^ratio startup scenario-tui, 2,000 uploads / bare app: ", out, re.M), out
    assert re.search(r"^check memory team store, 2,000 uploads - scenario-tui, 2,000 uploads, "
                     r"after .*: [+-]\d+\.\d MB", out, re.M), out


@pytest.mark.postgres
def test_bench_team_completes_each_upload_once(postgres_available) -> None:
    """3 members (processes, a database role each) complete 60 uploads from the shared queue:
    each upload got exactly one POST at the fake, whoever sent it."""
    out = run_quick("bench_team.py")
    for check in ("duplicate POSTs (same upload twice)", "uploads never completed",
                  "POSTs for uploads not in the queue", "uploads still pending at the fake",
                  "uploads with two 'sent' intents"):
        assert re.search(rf"^check {re.escape(check)}: 0 \(target 0\): met$", out, re.M), out
    assert re.search(r"at the fake: 60 complete POSTs for 60 uploads", out), out
    assert re.search(r"intents \{'sent': 60\}, by 3 actors", out), out


@pytest.mark.postgres
def test_bench_live_note_reaches_the_other_screen(postgres_available) -> None:
    """A teammate's note (another process, another role) reaches my TUI's detail pane with no
    key pressed: each of the 5 notes is timed (the bench fails if one never shows)."""
    out = run_quick("bench_live.py")
    found = re.search(r"^  from the start of its set_note \(commit in it\)\s+(\d+)\s", out, re.M)
    assert found and found.group(1) == "5", out
