"""The text ``y``/``Y`` copied, shown to copy by hand when no clipboard is known to have it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from scenario_tui.core.inert import inert_text
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

HINT = ("It was sent to the terminal with OSC 52, which this terminal may ignore. Below it is "
        "selected: copy it with the terminal (select with the mouse, shift+drag in most "
        "terminals). Esc or enter closes.")


class CopyScreen(Dialog[None]):
    """A read-only text area holding ``text``, all of it selected; escape or enter closes."""

    DEFAULT_CSS = """
    CopyScreen #copy-hint { height: auto; color: $text-muted; }
    CopyScreen #copy-text { height: auto; max-height: 12; }
    """

    AUTO_FOCUS = "#copy-text"

    BINDINGS = [
        Binding("escape,enter", "close", "Close", key_display="esc/enter", id="copy.close"),
    ]

    def __init__(self, what: str, text: str, reason: str = "") -> None:
        super().__init__()
        self.what = inert_text(what, one_line=True, limit=60)
        self.text = inert_text(text)
        self.reason = inert_text(reason, one_line=True, limit=300)

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-dialog", classes="dialog") as dialog:
            dialog.border_title = f"Copy by hand: {self.what}"
            hint = f"{self.reason}. {HINT}" if self.reason else HINT
            yield Static(Text(hint), id="copy-hint", markup=False)
            # wrapped, from its start: every word of it on screen, to select by hand
            yield TextArea(self.text, read_only=True, soft_wrap=True, show_line_numbers=False,
                           id="copy-text")
        yield KeyBar()

    def on_mount(self) -> None:
        area = self.query_one("#copy-text", TextArea)
        area.select_all()  # the cursor goes to the end: the view comes back to the start
        self.call_after_refresh(area.scroll_home, animate=False)

    def action_close(self) -> None:
        self.answer(None)
