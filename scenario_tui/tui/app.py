"""The Textual application: owns the service and settings, routes unexpected worker failures."""

from __future__ import annotations

import os
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from scenario_tui.core import errors
from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import scrub
from scenario_tui.tui import internals
from scenario_tui.tui.keymap import palette_commands
from scenario_tui.tui.screens.main_screen import MainScreen

if TYPE_CHECKING:
    from scenario_tui.store.front_page import FrontPage

KEY_ASIDE = 0.05  # seconds background work holds itself for a key, at most (no frame came)
#: Textual's palette commands that the main screen's own replace: its help lists every key
#: (Textual's "Keys" panel lists only the shown ones), its quit asks first while work is in flight
REPLACED_COMMANDS = {"Keys", "Quit"}


class ScenarioApp(App):
    """scenario-tui. Built by ``cli.wiring.build_service``; tests pass a service on the fake API."""

    CSS_PATH = "app.tcss"
    TITLE = "scenario-tui"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, service, settings, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # scrolls jump: Textual's glide to the end of a long help or log takes over a second
            # and redraws the screen each frame of it, over SSH too; the variable still decides
            self.animation_level = "none"
        self.service = service
        # the service's async verbs run on this loop, the UI's: their store calls (a team
        # store is a round trip away) go to a thread, and a key is answered meanwhile
        service.keep_loop_free = True
        self.settings = settings
        #: what "now" is for ages and expiries (fixed in snapshot tests)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        #: background work that holds itself while a key is answered (``yield_to_keys``)
        self._yielding: tuple = ()
        self._resume_at_frame = False
        self._keys_handed_over = False  # internals.hand_over_keys is installed
        self._frames_watched = False  # internals.resume_at_frames is installed
        #: why the app ended before its store could be opened (raised again by the launcher,
        #: which reports it as a start without the TUI would)
        self.startup_error: errors.ScenarioTuiError | None = None
        #: what the list showed first when the app ended (a team store's: kept for the next
        #: start by the launcher, ``store.front_page``)
        self.front_page: FrontPage | None = None

    def get_default_screen(self) -> Screen:
        # the main screen is the app's first screen (not pushed on mount), so the first frame
        # written to the terminal is the whole list
        return MainScreen(self.service, self.settings)

    def on_mount(self) -> None:
        for warning in self.settings.warnings:
            self.notify(inert_text(warning), title="Configuration", severity="warning",
                        markup=False)
        self._keys_handed_over = internals.hand_over_keys(self, self._key_arrived)
        self._frames_watched = internals.resume_at_frames(self, self._frame_drawn)

    def end_at_start(self, error: errors.ScenarioTuiError) -> None:
        """The store could not be opened at start-up: end, handing ``error`` to the launcher."""
        self.startup_error = error
        self.exit(return_code=1)

    # --- keys come first ----------------------------------------------------------------------

    def yield_to_keys(self, work) -> None:
        """Have ``work`` (``step_aside(seconds)`` and ``resume()``, as
        ``refresh_thread.RefreshThread``) hold itself from the moment a key arrives until the
        frame that shows the key is drawn, or ``KEY_ASIDE`` seconds at most."""
        self._yielding = (*self._yielding, work)

    def stop_yielding(self, work) -> None:
        self._yielding = tuple(w for w in self._yielding if w is not work)

    def _key_arrived(self) -> None:
        """Step aside for a key: as the driver hands it over (``internals.hand_over_keys``, in
        the driver's input thread in a terminal), else when it reaches ``on_key``."""
        for work in self._yielding:
            work.step_aside(KEY_ASIDE)

    def on_key(self, event: events.Key) -> None:
        if self._held_for_dialog(event):
            return
        # the key bubbled up to the App after its bindings ran: the next frame shows it
        if not self._keys_handed_over:
            self._key_arrived()
        if not self._yielding:
            return
        if self._frames_watched:
            self._resume_at_frame = True
        else:
            self.call_after_refresh(self._resume_work)

    def _held_for_dialog(self, event: events.Key) -> bool:
        """A key typed in one go with one that opens a dialog after a read (``c`` then
        ``y``) was on its way up through the list's screen when that key put ``HoldKeys`` on
        top: it is kept for the dialog with the keys typed after it (which ``HoldKeys`` takes
        itself)."""
        from scenario_tui.tui.screens.hold_keys import HoldKeys

        screen = self.screen
        if not isinstance(screen, HoldKeys):
            return False
        event.stop()
        event.prevent_default()
        screen.hold(event)
        return True

    def _frame_drawn(self) -> None:
        if self._resume_at_frame:
            self._resume_at_frame = False
            self._resume_work()

    def _resume_work(self) -> None:
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
        main_screen = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if isinstance(error, errors.StoreError) and main_screen is not None and (
                main_screen.states.app_line.startswith(f"{title}: {message}")):
            return  # a broken store is said once, not once per worker that meets it
        self.notify(message, title=title, severity="error", markup=False,
                    timeout=2 * self.NOTIFICATION_TIMEOUT)
        try:
            main = self.main_screen
        except StopIteration:
            return
        if isinstance(error, errors.ScenarioTuiError):
            main.states.app_line = f"{title}: {message}"
        else:  # a bug: kept whole for the error screen (``e``), for a report
            trace = "".join(traceback.format_exception(error))
            main.states.record_unexpected(title, message, scrub(trace))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in REPLACED_COMMANDS:
                yield command
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is not None:
            yield from palette_commands(main)
