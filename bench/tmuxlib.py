"""Start programs in a private tmux server and time them until a text appears on screen.

The server runs on its own socket (``tmux -L NAME``), so a user's tmux is never touched; ``close``
kills only that server.

The screen is polled with ``capture-pane`` sent to one tmux client in control mode (``tmux -C``),
not a ``tmux capture-pane`` process per poll: on a 2-core machine, a process every 5 ms took about
half a core (measured: 2.5 s of CPU in 5 s), which a program that works on both cores as it starts
lost to the measurement itself (bench/RESULTS.md, session 12).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


@dataclass
class Launch:
    seconds: float  # from just before ``new-session`` to the capture that showed the marker
    pid: int  # the program's PID (the pane's process: commands are exec'ed)
    screen: str  # the pane text that showed the marker
    polls: int


class TmuxLab:
    """A private tmux server; ``launch`` runs one program in a fresh 80x24 session."""

    def __init__(self, width: int = 80, height: int = 24, poll: float = 0.005) -> None:
        self.socket = f"scenario-tui-bench-{os.getpid()}"
        self.width, self.height, self.poll = width, height, poll
        self._n = 0
        # a long-lived idle session, so the server's start-up is not part of any measurement;
        # the control client that polls the screens is attached to it
        self._tmux("new-session", "-d", "-s", "idle", "-x", str(width), "-y", str(height),
                   "exec sleep 100000")
        self._control = ControlClient(self.socket, "idle")

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=check)

    def launch(self, argv: list[str], env: dict[str, str], marker: str, *, cwd: str = ".",
               timeout: float = 60.0) -> Launch:
        """Start ``argv`` in ``cwd`` with ``env`` (only the differences from ours are passed,
        and variables of ours missing from ``env`` are unset) and poll ``capture-pane`` until
        ``marker`` is on screen."""
        self._n += 1
        name = f"run{self._n}"
        unset = [a for k in os.environ if k not in env for a in ("-u", k)]
        extra = [f"{k}={v}" for k, v in env.items() if os.environ.get(k) != v]
        command = "exec env " + " ".join(shlex.quote(a) for a in [*unset, *extra, *argv])
        started = time.perf_counter()
        self._tmux("new-session", "-d", "-s", name, "-x", str(self.width), "-y", str(self.height),
                   "-c", os.path.abspath(cwd), command)
        polls = 0
        while True:
            screen = self._control.run("capture-pane", "-p", "-t", name)
            polls += 1
            if marker in screen:
                seconds = time.perf_counter() - started
                break
            if time.perf_counter() - started > timeout:
                self._tmux("kill-session", "-t", name, check=False)
                raise TimeoutError(f"{marker!r} did not appear within {timeout:g} s; the pane "
                                   f"showed:\n{screen}")
            time.sleep(self.poll)
        pid = int(self._control.run("display-message", "-p", "-t", name, "#{pane_pid}").strip())
        self.current = name
        return Launch(seconds, pid, screen, polls)

    def stop(self) -> None:
        """End the program started by the last ``launch`` (its session is killed)."""
        self._tmux("kill-session", "-t", self.current, check=False)

    def quit(self, keys: str = "q", timeout: float = 30.0) -> None:
        """End the program started by the last ``launch`` as a person does (``keys``), and wait
        until it has exited (its session then ends)."""
        self._tmux("send-keys", "-t", self.current, keys)
        deadline = time.perf_counter() + timeout
        while self._tmux("has-session", "-t", self.current, check=False).returncode == 0:
            if time.perf_counter() > deadline:
                self.stop()
                raise TimeoutError(f"{keys!r} did not end the program within {timeout:g} s")
            time.sleep(0.02)

    def close(self) -> None:
        self._control.close()
        self._tmux("kill-server", check=False)

    def __enter__(self) -> "TmuxLab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ControlClient:
    """A tmux client in control mode, attached to ``session``: ``run`` sends it a command and
    returns what the command printed (one process for all the commands)."""

    def __init__(self, socket: str, session: str) -> None:
        self._proc = subprocess.Popen(["tmux", "-L", socket, "-C", "attach-session", "-t", session],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      bufsize=1)
        self._answer()  # the attach's own (empty) answer

    def run(self, *args: str) -> str:
        """Run one tmux command; its output (a failed command's is raised as a RuntimeError,
        e.g. "can't find pane")."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(shlex.join(args) + "\n")
        self._proc.stdin.flush()
        return self._answer()

    def _answer(self) -> str:
        """The next command's output: the lines between ``%begin TAG`` and ``%end TAG`` (or
        ``%error TAG``); notifications (``%session-changed``, ...) around them are skipped."""
        assert self._proc.stdout is not None
        tag, lines = None, []
        for line in self._proc.stdout:
            line = line.rstrip("\n")
            if tag is None:
                if line.startswith("%begin "):
                    tag = line[len("%begin "):]
                continue
            if line in (f"%end {tag}", f"%error {tag}"):
                if line.startswith("%error"):
                    raise RuntimeError("tmux: " + "\n".join(lines))
                return "\n".join(lines)
            lines.append(line)
        raise RuntimeError("the tmux control client ended")

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait()
