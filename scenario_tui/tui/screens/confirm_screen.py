"""A yes/no dialog with a scrollable list of plain-text lines (remove, quit while busy)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from scenario_tui.core.inert import inert_text
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar


class ConfirmScreen(Dialog[bool]):
    """Ask before doing something; ``y``/enter answers True, ``n``/escape False.

    ``title`` and ``lines`` are shown as plain text (never markup), with escape sequences removed.
    ``danger`` draws the dialog in the error colour and marks the title with a warning sign, so
    it reads as dangerous without colour too.
    """

    DEFAULT_CSS = """
    ConfirmScreen #confirm-dialog.-danger {
        border: heavy $error;
    }
    ConfirmScreen #confirm-title {
        dock: top;
        height: auto;
        text-style: bold;
        margin-bottom: 1;
    }
    ConfirmScreen #confirm-lines {
        height: auto;
        max-height: 100%;
    }
    ConfirmScreen #confirm-buttons {
        dock: bottom;
        height: auto;
        align-horizontal: right;
    }
    ConfirmScreen #confirm-buttons Button {
        margin-left: 1;
        max-width: 48%;
    }
    """

    AUTO_FOCUS = None

    BINDINGS = [
        Binding("y,enter", "confirm", "Confirm", key_display="y/enter", id="confirm.yes"),
        Binding("n,escape", "cancel", "Cancel", key_display="n/esc", id="confirm.no"),
    ]

    def __init__(
        self, title: str, lines: list[str], confirm_label: str = "Yes", *, danger: bool = False
    ) -> None:
        super().__init__()
        self.title_text = inert_text(title, one_line=True)
        self.lines = [inert_text(line, one_line=True) for line in lines]
        self.confirm_label = inert_text(confirm_label, one_line=True, limit=30) or "Yes"
        self.danger = danger

    def compose(self) -> ComposeResult:
        classes = "dialog -danger" if self.danger else "dialog"
        with Vertical(id="confirm-dialog", classes=classes) as dialog:
            dialog.border_title = Text("⚠ Confirm" if self.danger else "Confirm")
            yield Static(Text(self.title_text), id="confirm-title", markup=False)
            with VerticalScroll(id="confirm-lines"):
                yield Static(Text("\n".join(self.lines)), id="confirm-text", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    Text(f"{self.confirm_label} (y)"),
                    variant="error" if self.danger else "primary",
                    id="confirm-yes",
                )
                yield Button(Text("Cancel (n)"), id="confirm-no")
        yield KeyBar()

    def on_mount(self) -> None:
        lines = self.query_one("#confirm-lines", VerticalScroll)
        if self.lines:
            lines.focus()  # up/down/page keys scroll the list; enter still confirms
        else:
            lines.display = False
            self.query_one("#confirm-yes", Button).focus()

    def action_confirm(self) -> None:
        self.answer(True)

    def action_cancel(self) -> None:
        self.answer(False)

    @on(Button.Pressed, "#confirm-yes")
    def _yes_pressed(self) -> None:
        self.answer(True)

    @on(Button.Pressed, "#confirm-no")
    def _no_pressed(self) -> None:
        self.answer(False)

