"""Where ``y`` and ``Y`` can put text, and putting it there.

A TUI cannot read the clipboard's answer, so the route is chosen from the environment:

- ``tmux``: inside tmux (``$TMUX`` set). tmux's default settings swallow the OSC 52 an
  application sends, so the text is handed to ``tmux load-buffer -w -`` (on stdin; ``-w`` also
  passes it on to the terminal's clipboard where tmux is allowed to, tmux 3.2 and later; an
  older tmux is asked again without it). Paste it with prefix ``]``.
- ``osc52``: a terminal known to take OSC 52 (kitty, WezTerm, iTerm2, foot, Alacritty, Ghostty,
  Windows Terminal), or ``SCENARIO_TUI_CLIPBOARD=osc52`` for one that does.
- ``dialog``: anything else. OSC 52 is sent anyway ("sent, may not arrive") and the text is
  shown, selected, in a dialog to copy by hand.

``SCENARIO_TUI_CLIPBOARD`` (``tmux``, ``osc52``, ``dialog``) overrides the guess. The process
call is a constructor argument, so tests check the exact argv and stdin without tmux.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Route = Literal["tmux", "osc52", "dialog"]
ROUTES: tuple[Route, ...] = ("tmux", "osc52", "dialog")
ENV_CLIPBOARD = "SCENARIO_TUI_CLIPBOARD"
TMUX_TIMEOUT = 5.0  # seconds a tmux command may take before the copy counts as failed

#: (variable, values that identify a terminal known to accept OSC 52; empty: any value)
OSC52_TERMINALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("KITTY_WINDOW_ID", ()),
    ("WEZTERM_PANE", ()),
    ("WT_SESSION", ()),  # Windows Terminal
    ("TERM_PROGRAM", ("iTerm.app", "WezTerm", "ghostty")),
    ("TERM", ("xterm-kitty", "foot", "foot-extra", "alacritty", "wezterm", "xterm-ghostty")),
)

TMUX_SAID = "copied to the tmux buffer: paste with prefix ]"


@dataclass(frozen=True)
class Ran:
    """What a process call answered."""

    returncode: int
    stderr: str = ""


#: runs ``argv`` with ``stdin`` as its input: (argv, stdin) -> Ran
Runner = Callable[[Sequence[str], str], Ran]


def run_process(argv: Sequence[str], stdin: str) -> Ran:
    """The real runner: ``argv`` with ``stdin`` on its standard input, no shell, bounded."""
    try:
        done = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                              timeout=TMUX_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return Ran(127, str(exc))
    return Ran(done.returncode, done.stderr)


def choose_route(env: Mapping[str, str]) -> Route:
    """The route for text to copy, from the environment (see the module's docstring)."""
    forced = env.get(ENV_CLIPBOARD, "").strip().lower()
    if forced in ROUTES:
        return forced
    if env.get("TMUX"):
        return "tmux"
    for name, values in OSC52_TERMINALS:
        value = env.get(name)
        if value and (not values or value in values):
            return "osc52"
    return "dialog"


class Clipboard:
    """The route chosen for this session, and the tmux hand-over (blocking: call it from a
    worker thread)."""

    def __init__(self, env: Mapping[str, str] | None = None, run: Runner = run_process,
                 tmux: Sequence[str] = ("tmux",)) -> None:
        self.route: Route = choose_route(os.environ if env is None else env)
        self.run = run
        self.tmux = tuple(tmux)

    def to_tmux(self, text: str) -> str | None:
        """Load ``text`` into tmux's paste buffer; None when done, else why not."""
        ran = self.run((*self.tmux, "load-buffer", "-w", "-"), text)
        if ran.returncode != 0 and ("usage" in ran.stderr or "unknown flag" in ran.stderr):
            # a tmux before 3.2: no -w
            ran = self.run((*self.tmux, "load-buffer", "-"), text)
        if ran.returncode == 0:
            return None
        return " ".join(ran.stderr.split())[:200] or f"tmux exited with code {ran.returncode}"
