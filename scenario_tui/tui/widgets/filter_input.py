"""The list's filter line: an ``Input`` whose typing is drawn together with the filtered list.

The typed character used to be drawn in a frame of its own, a little before the filtered list
was ready; Textual's frame timer then made the list wait for the next frame slot. Here a change
of value holds the screen's frames (``App.batch_update``) until the screen calls
``release_frame`` with the new list shown, or ``HOLD_MAX`` seconds have passed: one frame then
shows both, at once. Measured with ``bench/bench_keys.py`` (bench/RESULTS.md, session 3, "The
filter's typed character and its list share one frame"). Its virtual size is a repaint, not a
layout (``internals.NoLayoutInput``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from textual.timer import Timer

from scenario_tui.tui.internals import NoLayoutInput

HOLD_MAX = 0.05  # seconds the typed character may wait for the list (longer than a full scan)


class FilterInput(NoLayoutInput):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._hold: AbstractContextManager | None = None
        self._hold_timer: Timer | None = None

    def watch_value(self) -> None:
        self.hold_frame()  # before any frame: Textual calls this right after its own watcher

    def hold_frame(self) -> None:
        """Draw nothing until ``release_frame`` or ``HOLD_MAX`` seconds (whichever is first)."""
        if self._hold is None and self.is_mounted:
            self._hold = self.app.batch_update()
            self._hold.__enter__()
            self._hold_timer = self.set_timer(HOLD_MAX, self.release_frame, name="filter-hold")

    def release_frame(self) -> None:
        """Draw again (the next frame comes at once)."""
        hold, self._hold = self._hold, None
        if hold is None:
            return
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        hold.__exit__(None, None, None)
        self.screen.check_idle()

    def on_unmount(self) -> None:
        self.release_frame()
