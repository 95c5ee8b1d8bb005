"""Confirm sending the ``complete`` action: which uploads will get it, which are skipped and why."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import plural, status_label
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

ID_WIDTH = 30
"""IDs longer than this are still shown whole; they just push their line's other columns right."""


@dataclass(frozen=True)
class CompleteItem:
    """One upload the user asked to complete. ``reason`` None: it will be sent; else why not."""

    upload_id: str
    status: str | None
    file_name: str | None = None
    reason: str | None = None



class CompleteConfirmScreen(Dialog[list[str] | None]):
    """Ask before sending ``complete``; answers the IDs to send, in order, or None.

    Skipped uploads are listed with their reason and are never part of the answer. When nothing
    can be sent the send button is disabled and ``y``/enter just close the dialog (None).
    """

    DEFAULT_CSS = """
    CompleteConfirmScreen #complete-dialog {
        border: heavy $warning;
    }
    CompleteConfirmScreen #complete-head {
        dock: top;
        height: auto;
        margin-bottom: 1;
    }
    CompleteConfirmScreen #complete-summary {
        text-style: bold;
    }
    CompleteConfirmScreen #complete-items {
        height: auto;
        max-height: 100%;
    }
    CompleteConfirmScreen #complete-buttons {
        dock: bottom;
        height: auto;
        align-horizontal: right;
    }
    CompleteConfirmScreen #complete-buttons Button {
        margin-left: 1;
    }
    """

    AUTO_FOCUS = "#complete-items"

    BINDINGS = [
        Binding("y,enter", "send", "Send complete", key_display="y/enter", id="complete.send"),
        Binding("n,escape", "cancel", "Cancel", key_display="n/esc", id="complete.cancel"),
    ]

    def __init__(self, items: list[CompleteItem]) -> None:
        super().__init__()
        self.items = list(items)
        self.to_send = [item.upload_id for item in self.items if item.reason is None]

    @property
    def summary(self) -> str:
        sent = len(self.to_send)
        skipped = len(self.items) - sent
        if not self.items:
            return "No uploads were chosen: nothing to send."
        if not sent:
            return f"Nothing can be sent the complete action: {skipped} skipped."
        text = f"{plural(sent, 'upload')} will be sent the complete action"
        return f"{text}, {skipped} skipped." if skipped else f"{text}."

    def item_lines(self) -> Text:
        """One line per upload: ID, status (symbol and word), and send or skip: reason."""
        ids = [inert_text(item.upload_id, one_line=True) for item in self.items]
        statuses = [status_label(item.status) for item in self.items]
        id_width = min(max((len(i) for i in ids), default=0), ID_WIDTH)
        status_width = max((len(s) for s in statuses), default=0)
        text = Text(no_wrap=False, overflow="fold")
        rows = zip(self.items, ids, statuses, strict=True)
        for index, (item, upload_id, status) in enumerate(rows):
            if index:
                text.append("\n")
            text.append(upload_id.ljust(id_width))
            text.append("  ")
            text.append(status.ljust(status_width))
            text.append("  ")
            if item.reason is None:
                text.append("send", style="bold")
            else:
                text.append("skip: " + inert_text(item.reason, one_line=True, limit=120))
            if item.file_name:
                text.append("  " + inert_text(item.file_name, one_line=True, limit=80), style="dim")
        return text

    def compose(self) -> ComposeResult:
        with Vertical(id="complete-dialog", classes="dialog") as dialog:
            dialog.border_title = "Send complete?"
            with Vertical(id="complete-head"):
                yield Static(Text(self.summary), id="complete-summary", markup=False)
                yield Static(
                    Text("complete is sent once per upload and is not retried.")
                    if self.to_send
                    else Text("Refresh the skipped uploads, or pick pending ones, and try again."),
                    id="complete-hint",
                    markup=False,
                )
            with VerticalScroll(id="complete-items"):
                yield Static(self.item_lines(), id="complete-lines", markup=False)
            with Horizontal(id="complete-buttons"):
                yield Button(
                    Text(f"Send {len(self.to_send)} (y)"),
                    variant="warning",
                    id="complete-send",
                    disabled=not self.to_send,
                )
                yield Button(Text("Cancel (n)"), id="complete-cancel")
        yield KeyBar()

    def action_send(self) -> None:
        self.answer(list(self.to_send) if self.to_send else None)

    def action_cancel(self) -> None:
        self.answer(None)

    @on(Button.Pressed, "#complete-send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#complete-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

