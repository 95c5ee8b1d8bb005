"""The progress line of ``upload`` on stderr: redrawn in place, only when stderr is a terminal."""

from __future__ import annotations

import time
from typing import TextIO

from scenario_tui.core.units import human_size


class ProgressLine:
    """A single progress line on ``stream``, redrawn with ``\\r`` at most once per ``interval``
    seconds; silent when ``stream`` is not a terminal."""

    def __init__(self, stream: TextIO, *, interval: float = 0.1) -> None:
        self.stream = stream
        try:
            self.enabled = stream.isatty()
        except (AttributeError, ValueError):
            self.enabled = False
        self.interval = interval
        self._last = 0.0
        self._shown = 0

    def update(self, progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval and progress.bytes_sent < progress.total:
            return
        self._last = now
        self.draw(format_progress(progress))

    def draw(self, text: str) -> None:
        import shutil

        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        text = text[:width]
        self.stream.write("\r" + text + " " * max(0, self._shown - len(text)))
        self.stream.flush()
        self._shown = len(text)

    def clear(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0


def format_progress(p) -> str:
    """``name: 12.0 MiB / 64.0 MiB  18% 30.1 MiB/s ETA 2s (1/8 parts)``."""
    from scenario_tui.core.inert import inert_text

    eta = "?" if p.eta_s is None else _duration(p.eta_s)
    return (f"{inert_text(p.file_name, one_line=True, limit=40)}: {human_size(p.bytes_sent)} / "
            f"{human_size(p.total)} {p.fraction * 100:3.0f}% {human_size(p.rate_bps)}/s "
            f"ETA {eta} ({p.parts_done}/{p.parts_total} parts)")


def _duration(seconds: float) -> str:
    """``42s``, ``3m07s``, ``2h05m``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
