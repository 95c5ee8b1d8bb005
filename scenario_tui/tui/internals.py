"""Every use of a private Textual name, in one place: each is a debt, kept while it earns it.

Each hook below says why it exists and which benchmark justifies it (the figures are in
bench/RESULTS.md, under the session named). Textual is pinned in pyproject.toml, and
tests/tui/test_internals.py checks that every private name used here still exists with the
signature used, so an upgrade fails there, with a list, rather than as a slow key.

Switches, for re-measuring each hook against plain Textual (a benchmark sets one to False
before it starts the app; the app reads them when it mounts, the widgets at each use):

- ``KEY_HANDOVER``: background work steps aside as the driver hands a key over. Off: it steps
  aside when the key reaches the App's ``on_key`` (after the key's bindings ran).
  ``bench/bench_refresh.py``.
- ``FRAME_RESUME``: the work resumes at the frame that shows the key. Off: it resumes from
  ``call_after_refresh`` in the App's ``on_key``. ``bench/bench_refresh.py``.
- ``QUIET_INPUT_SIZE``: ``NoLayoutInput``'s virtual size is a repaint. Off: a layout, as in
  Textual's ``Input``. ``bench/bench_keys.py``.
"""

from __future__ import annotations

from typing import Callable

from rich.console import RenderableType
from textual import events
from textual.app import App
from textual.geometry import Size
from textual.message import Message
from textual.notifications import Notification
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import Input

KEY_HANDOVER = True
FRAME_RESUME = True
QUIET_INPUT_SIZE = True


def hand_over_keys(app: App, on_key: Callable[[], None]) -> bool:
    """Call ``on_key()`` as the driver hands each key over, before the key waits in any queue;
    False (nothing installed) when ``KEY_HANDOVER`` is off or the app has no driver yet.

    In a terminal ``on_key`` runs in the driver's input thread: it must only set flags and
    signal other threads. On its way to a handler a key passes the event loop several times,
    and each time a busy thread (the bulk refresh) may keep the GIL for a switch interval;
    work that steps aside here does so before the first of them. Textual has no public hook
    at that point: this wraps the driver's ``send_message``, reached through ``App._driver``.
    Justified by ``bench/bench_refresh.py`` (key press while the TUI refreshes), RESULTS.md
    "Hooks re-measured (session 6)", re-measured with ``bench/ab_hooks.py``; ``bench_startup.py``
    covers its cost before the first frame.
    """
    driver = app._driver
    if not KEY_HANDOVER or driver is None:
        return False
    send = driver.send_message

    def send_message(message: Message) -> None:
        if isinstance(message, events.Key):
            on_key()
        send(message)

    driver.send_message = send_message  # type: ignore[method-assign]
    return True


def frames_held(app: App) -> int:
    """How many ``App.batch_update`` holds are open (0: frames are written). Textual keeps the
    count in ``App._batch_count`` and says nothing publicly; a frame rendered while it is not 0
    is dropped, so it is no frame the user sees."""
    return app._batch_count


def notifications(app: App) -> list[Notification]:
    """The app's notifications not yet expired, oldest first (each ``title`` and ``message``).

    For tests, not a performance hook (so no switch): under ``App.run_test`` no toast is
    mounted (its ``notifications`` is False), and Textual keeps them only in
    ``App._notifications``.
    """
    return list(app._notifications)


def send_as_terminal(app: App, message: Message) -> None:
    """Hand ``message`` (a key) to the app the way its driver does for a terminal's input: at
    once, through the driver, without waiting for the app to go idle as ``Pilot.press`` does
    (which never happens while a bulk refresh streams in). For tests, not a hook; the driver
    is reachable only through ``App._driver``."""
    driver = app._driver
    assert driver is not None, "the app is not running"
    driver.send_message(message)


def watch_frames(app: App, on_frame: Callable[[], None], *, before: bool = False
                 ) -> Callable[[], None]:
    """Call ``on_frame()`` after each frame the app writes (``before``: as it starts writing
    it, ahead of what earlier watchers do at that frame); returns a function that stops.

    Textual calls ``App._display`` once per frame, right after the compositor rendered it;
    there is no public event for a written frame. Used by the app to resume background work
    at the frame that shows a key (see ``resume_at_frames``) and by tests that check what a
    frame showed; ``bench/pilotlib.py`` times its keys the same way.
    """
    display = app._display
    wrapped = vars(app).get("_display")  # None: Textual's method, not an instance's wrapper
    active = True

    def displayed(screen: Screen, renderable: RenderableType | None) -> None:
        shown = active and renderable is not None and not frames_held(app)
        if shown and before:
            on_frame()
        display(screen, renderable)
        if shown and not before:
            on_frame()

    def stop() -> None:
        nonlocal active
        active = False
        if vars(app).get("_display") is displayed:  # not wrapped again since: unwrap
            if wrapped is None:
                del app._display
            else:
                app._display = wrapped  # type: ignore[method-assign]

    app._display = displayed  # type: ignore[method-assign]
    return stop


def resume_at_frames(app: App, on_frame: Callable[[], None]) -> bool:
    """``watch_frames`` for the key hand-over's resume; False (nothing installed) when
    ``FRAME_RESUME`` is off. Resuming from ``call_after_refresh`` in the key's handler came
    before the key had made anything dirty, so the refresh ran on through the key's frame.
    Justified by ``bench/bench_refresh.py``, RESULTS.md "Hooks re-measured (session 6)"; the
    way it works is in session 5, "Step aside as the key
    arrives; resume at its frame"."""
    if not FRAME_RESUME:
        return False
    watch_frames(app, on_frame)
    return True


class NoLayoutInput(Input):
    """An ``Input`` whose changes of virtual size repaint it instead of laying out the screen.

    ``Input`` sets its virtual size (the text's width) at every change of its value, and a
    virtual size is declared ``layout=True``, so each typed character laid out the whole
    screen. An input has no scrollbars, and its own horizontal scrolling reads the virtual
    size directly (this relies on how Textual's ``Input`` is built, not on its public API), so
    a repaint is enough. Justified by ``bench/bench_keys.py`` (filter keystroke), RESULTS.md
    "Hooks re-measured (session 6)" (``bench/ab_hooks.py --keys``).
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self) -> None:
        if not QUIET_INPUT_SIZE:
            self.refresh(layout=True)  # what Textual's declaration does
