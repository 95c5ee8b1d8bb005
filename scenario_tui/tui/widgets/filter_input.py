"""The list's filter line: an ``Input`` whose typing is drawn together with the filtered list.

Two costs of Textual's ``Input`` are avoided here:

- It sets its virtual size (the text's width) at every change of its value, and a virtual size
  is declared ``layout=True``: each typed character laid out the whole screen again (5 to 8 ms
  here). The input has no scrollbars and its own scrolling reads the virtual size directly, so
  a repaint is enough.
- The typed character was drawn in a frame of its own, a few milliseconds before the filtered
  list was ready; Textual's frame timer then waited 17 to 33 ms (one to two frames at 60 fps)
  before the next frame could show the list. Here a change of value holds the screen's frames
  (``App.batch_update``) until the screen calls ``release_frame`` with the new list shown, or
  ``HOLD_MAX`` seconds have passed: one frame then shows both, at once.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from textual.geometry import Size
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widgets import Input

HOLD_MAX = 0.05  # seconds the typed character may wait for the list (a full scan: ~25 ms)


class FilterInput(Input):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._hold: AbstractContextManager | None = None
        self._hold_timer: Timer | None = None

    def _watch_value(self, value: str) -> None:
        self.hold_frame()
        super()._watch_value(value)

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
