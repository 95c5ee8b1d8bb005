"""The benchmark scripts still run: each one with ``--quick`` (small sizes, no thresholds) in a
subprocess, exiting 0 and printing its ``ratio ...`` line(s). The figures themselves are in
bench/RESULTS.md; this only keeps the scripts from rotting."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
RATIO = re.compile(r"^ratio .+: \d+\.\d+x", re.M)
SCRIPTS = [
    pytest.param("bench_cli.py", id="cli"),
    pytest.param("bench_startup.py", id="startup", marks=pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="bench_startup starts the app in tmux, which is not installed")),
    pytest.param("bench_keys.py", id="keys"),
    pytest.param("bench_refresh.py", id="refresh"),
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_bench_script_quick_mode(script: str) -> None:
    out = subprocess.run([sys.executable, str(BENCH / script), "--quick"], capture_output=True,
                         text=True, timeout=120, cwd=BENCH.parent)
    assert out.returncode == 0, f"{script} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    assert RATIO.search(out.stdout), f"{script} printed no ratio line:\n{out.stdout}"
