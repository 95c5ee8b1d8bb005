"""``scenario-tui demo`` in a real terminal (a pseudo-terminal) ended by SIGHUP, as when an SSH
session closes, or by SIGTERM: the demo's temporary store is removed, not left in the temporary
directory, and the process ends with the signal's exit code."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM])
def test_a_demo_told_to_end_removes_its_temporary_store(tmp_path: Path, number: int) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TMPDIR": str(tmp), "TERM": "xterm-256color", "NO_COLOR": "1",
           "SCENARIO_TUI_DATA_DIR": str(tmp_path / "data"),
           "SCENARIO_TUI_CONFIG": str(tmp_path / "none.toml")}
    process = subprocess.Popen(
        [sys.executable, "-m", "scenario_tui", "demo"], stdin=secondary, stdout=secondary,
        stderr=secondary, env=env, start_new_session=True, close_fds=True)
    os.close(secondary)
    drained = bytearray()

    def store_made() -> bool:
        try:  # keep the terminal's output flowing (a full pty would block the app)
            os.set_blocking(primary, False)
            drained.extend(os.read(primary, 65536))
        except (BlockingIOError, OSError):
            pass
        return any(p.name.startswith("scenario-tui-demo-") and (p / "demo.db").exists()
                   for p in tmp.iterdir())

    try:
        assert _wait(store_made), drained.decode(errors="replace")[-2000:]
        _wait(lambda: b"pending" in drained or not store_made(), timeout=10)  # the list is up
        process.send_signal(number)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(primary)
    assert code == 128 + number
    assert list(tmp.iterdir()) == []
