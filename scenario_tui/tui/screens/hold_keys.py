"""While a key's store read runs before its dialog: the keys typed meanwhile, kept for it.

``c`` reads the rows and the claims (on a team store, round trips away) before it asks, and
``d`` the list's order. Someone who types ``c`` then ``y`` in one go, or whose two keys arrive
in one read over a slow link, means that ``y`` for the dialog, as when the dialog opened at
once. ``HoldKeys`` is pushed when the read starts and takes every key until the read is done,
then gives them, in order, to whatever is on top next: the dialog, or the list when the key
ended in a toast. It shows nothing at first (a local store has answered before the next
frame), then says what it waits for; Escape gives up waiting, and what the read brings is
dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

#: a read this slow says so on screen
SHOW_AFTER_S = 0.25


class HoldKeys(ModalScreen[None]):
    """Keeps the keys typed while ``what`` is read (``hand_over``, ``give_up``)."""

    DEFAULT_CSS = """
    HoldKeys {
        background: transparent;
        align: center middle;
    }
    HoldKeys #hold-line {
        display: none;
        width: auto;
        max-width: 76;
        padding: 0 1;
        border: round $primary;
        background: $surface;
    }
    HoldKeys.-shown #hold-line {
        display: block;
    }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what
        #: the keys typed meanwhile (key, character), in order
        self.held: list[tuple[str, str | None]] = []
        #: Escape was pressed: the read's result is not wanted
        self.given_up = False

    def compose(self) -> ComposeResult:
        yield Static(f"Reading {self.what}…  (esc: never mind)", id="hold-line")

    def on_mount(self) -> None:
        self.set_timer(SHOW_AFTER_S, lambda: self.add_class("-shown"))

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.hold(event)

    def hold(self, event: events.Key) -> None:
        """Keep ``event`` for the dialog (Escape: give up instead)."""
        if event.key == "escape":
            self.give_up()
        else:
            self.held.append((event.key, event.character))

    def give_up(self) -> None:
        """Stop waiting (Escape, or the read failed): close, and drop the keys held."""
        if not self.given_up and self.is_attached:
            self.given_up = True
            self.dismiss()

    def hand_over(self, then: Callable[[], object]) -> None:
        """The read is done: unless given up, close, run ``then`` (which may push the
        dialog), and pass the keys held to what is on top then."""
        if self.given_up:
            return
        self.given_up = True  # answered once
        keys, self.held = self.held, []
        app = self.app
        self.dismiss()
        then()
        for key, character in keys:
            app.post_message(events.Key(key, character))
