"""Show an unexpected error: what happened, and the details for a bug report."""

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

MAX_DETAILS = 20_000
"""Details (a traceback, a response body) are cut to this many characters."""


class ErrorScreen(Dialog[None]):
    """An error dialog; escape or enter closes it. All text is shown inert (no markup, no
    escape sequences)."""

    DEFAULT_CSS = """
    ErrorScreen #error-dialog {
        border: heavy $error;
    }
    ErrorScreen #error-body {
        height: auto;
        max-height: 100%;
    }
    ErrorScreen #error-details-label {
        margin-top: 1;
        text-style: bold;
    }
    ErrorScreen #error-buttons {
        dock: bottom;
        height: auto;
        align-horizontal: right;
    }
    """

    AUTO_FOCUS = "#error-body"
    """The text is focused so the arrow keys scroll it; enter and escape still close."""

    BINDINGS = [
        Binding("escape,enter", "close", "Close", key_display="esc/enter", id="error.close"),
    ]

    def __init__(self, title: str, message: str, details: str | None = None) -> None:
        super().__init__()
        self.error_title = inert_text(title or "Error", one_line=True, limit=70)
        self.message = inert_text(message or "")
        self.details = inert_text(details, limit=MAX_DETAILS) if details else None

    def compose(self) -> ComposeResult:
        with Vertical(id="error-dialog", classes="dialog") as dialog:
            dialog.border_title = Text("✗ " + self.error_title)
            with VerticalScroll(id="error-body"):
                yield Static(Text(self.message), id="error-message", markup=False)
                if self.details:
                    yield Static("Details", id="error-details-label", markup=False)
                    yield Static(Text(self.details), id="error-details", markup=False)
            with Horizontal(id="error-buttons"):
                yield Button("Close", variant="error", id="error-close")
        yield KeyBar()

    def action_close(self) -> None:
        self.answer(None)

    @on(Button.Pressed, "#error-close")
    def _close_pressed(self) -> None:
        self.action_close()
