"""The Textual application: owns the service and settings, routes unexpected worker failures."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable, Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from scenario_tui.core import errors
from scenario_tui.core.inert import inert_text
from scenario_tui.tui.screens.main_screen import MainScreen

KEY_ASIDE = 0.05  # seconds background work holds itself for a key, at most (no frame came)


class ScenarioApp(App):
    """scenario-tui. Built by ``cli.build_service``; tests pass a service on the fake API."""

    CSS_PATH = "app.tcss"
    TITLE = "scenario-tui"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, service, settings, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        #: what "now" is for ages and expiries (fixed in snapshot tests)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        #: background work that holds itself while a key is answered (``yield_to_keys``)
        self._yielding: tuple = ()
        self._resume_at_frame = False
        #: time.monotonic() when the latest key arrived from the driver
        self.key_arrived_at = 0.0

    def get_default_screen(self) -> Screen:
        # the main screen is the app's first screen (not pushed on mount), so the first frame
        # written to the terminal is the whole list
        return MainScreen(self.service, self.settings)

    def on_mount(self) -> None:
        for warning in self.settings.warnings:
            self.notify(inert_text(warning), title="Configuration", severity="warning", markup=False)
        self._watch_key_arrivals()

    # --- keys come first ----------------------------------------------------------------------

    def yield_to_keys(self, work) -> None:
        """Have ``work`` (``step_aside(seconds)`` and ``resume()``, as
        ``refresh_thread.RefreshThread``) hold itself from the moment a key arrives until the
        frame that shows the key is drawn, or ``KEY_ASIDE`` seconds at most."""
        self._yielding = (*self._yielding, work)

    def stop_yielding(self, work) -> None:
        self._yielding = tuple(w for w in self._yielding if w is not work)

    def _watch_key_arrivals(self) -> None:
        """Step aside as the driver hands a key over (from its input thread, in a terminal),
        before the key waits in any queue: on its way to a handler, a key passes the event
        loop four times, and each time a busy thread could keep the GIL for up to 5 ms."""
        driver = self._driver
        if driver is None:
            return
        send = driver.send_message

        def send_message(message) -> None:
            if isinstance(message, events.Key):
                self.key_arrived_at = time.monotonic()
                for work in self._yielding:
                    work.step_aside(KEY_ASIDE)
            send(message)

        driver.send_message = send_message

    def on_key(self, event: events.Key) -> None:
        # it bubbled up here after the bindings ran (``App._on_key``): the next frame shows it
        self._resume_at_frame = bool(self._yielding)

    def _display(self, screen: Screen, renderable) -> None:
        super()._display(screen, renderable)
        if self._resume_at_frame and renderable is not None and not self._batch_count:
            self._resume_at_frame = False
            for work in self._yielding:
                work.resume()

    @property
    def main_screen(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_failure(event)

    def report_worker_failure(self, event: Worker.StateChanged) -> None:
        """Any failure a worker did not handle ends in a toast and the status widget, never a crash.

        Worker messages do not bubble, so screens that run workers forward them here.
        """
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, errors.ScenarioTuiError):
            title, message = error.title, error.message
        else:
            title = "Unexpected error"
            message = f"{type(error).__name__}: {inert_text(error, one_line=True, limit=300)}"
        self.notify(message, title=title, severity="error", markup=False, timeout=2 * self.NOTIFICATION_TIMEOUT)
        try:
            main = self.main_screen
        except StopIteration:
            return
        main.app_line = f"{title}: {message}"
        main._update_status()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        for key, action, title, help_ in (
            ("c", "complete", "Complete", "Complete the highlighted or marked uploads"),
            ("r", "refresh", "Refresh", "Refresh the highlighted upload"),
            ("R", "refresh_all", "Refresh all", "Refresh every listed upload"),
            ("a", "add", "Add upload IDs", "Paste one or many upload IDs"),
            ("/", "filter", "Filter", "Filter by ID, file name, note or status"),
            ("s", "sort", "Cycle sort", "Change the sort order"),
            ("n", "note", "Edit note", "Edit the highlighted upload's note"),
            ("d", "remove", "Remove", "Remove highlighted or marked uploads from the list"),
            ("u", "undo", "Undo remove", "Put the last removed uploads back"),
            ("y", "copy_id", "Copy ID", "Copy the highlighted ID via the terminal"),
            ("Y", "copy_summary", "Copy summary", "Copy a plain-text summary for a ticket"),
            ("L", "log", "Activity log", "What you did, newest first"),
            ("?", "help", "Keys", "Every key and what it does"),
        ):
            if main.check_action(action, ()):
                yield SystemCommand(f"{title} ({key})", help_, getattr(main, f"action_{action}"))
