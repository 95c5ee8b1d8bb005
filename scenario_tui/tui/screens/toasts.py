"""The main screen's toasts: never over a dialog.

A toast the main screen raises while a dialog (a confirmation, the help, the palette ...) is on
top waits, and shows when the main screen is back. When a dialog opens, the toasts on screen
go: the passing ones ("Sorted by status", "15 marked") for good, the warnings and errors to
come back when the dialog closes. A dialog's own messages are its own, and stay.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, NamedTuple

from scenario_tui.core.inert import inert_text

if TYPE_CHECKING:
    from textual.screen import Screen

    from scenario_tui.tui.screens.main_parts import Severity

    _Screen = Screen
else:
    _Screen = object

HELD_AT_MOST = 5  # toasts waiting behind a dialog: the newest (the status widget has the rest)


class Toast(NamedTuple):
    title: str
    message: str
    severity: Severity


class Toasts(_Screen):
    """Mixed into ``MainScreen``: ``_toast``, held while another screen is on top."""

    @property
    def held_toasts(self) -> list[Toast]:
        """The toasts waiting for the main screen to be on top again, oldest first."""
        return self.__dict__.setdefault("_held_toasts", [])

    @property
    def _shown_toasts(self) -> list[tuple[float, Toast]]:
        """The toasts shown (``time.monotonic()`` when), while they may still be on screen."""
        return self.__dict__.setdefault("_shown", [])

    def _toast(self, title: str, message: str, severity: Severity = "information") -> None:
        toast = Toast(inert_text(title, one_line=True), inert_text(message, limit=400), severity)
        if self.app.screen is not self:
            self._hold([toast])
        else:
            self._show_toast(toast)

    def _hold(self, toasts: list[Toast]) -> None:
        held = self.held_toasts
        held.extend(t for t in toasts if t not in held)
        del held[:-HELD_AT_MOST]

    def _show_toast(self, toast: Toast) -> None:
        now = time.monotonic()
        shown = self._shown_toasts
        shown[:] = [(at, t) for at, t in shown if now - at < self.app.NOTIFICATION_TIMEOUT]
        shown.append((now, toast))
        self.notify(toast.message, title=toast.title, severity=toast.severity, markup=False)

    def on_screen_suspend(self) -> None:
        """A dialog opened on top: the toasts leave it free (see the module). The dialog's
        background is this screen as last laid out: its toasts go from there too (Textual
        refreshes only the top screen's toasts)."""
        self.query("#textual-toastrack > *").remove()
        now = time.monotonic()
        shown, self.__dict__["_shown"] = self._shown_toasts, []
        live = [t for at, t in shown if now - at < self.app.NOTIFICATION_TIMEOUT]
        self.held_toasts[:0] = [t for t in live if t.severity != "information"]
        self._hold([])  # at most HELD_AT_MOST, without repeats
        self.app.clear_notifications()

    def on_screen_resume(self) -> None:
        held = self.held_toasts
        toasts, held[:] = held[:], []
        for toast in toasts:
            self._show_toast(toast)
