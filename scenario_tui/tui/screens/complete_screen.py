"""Confirm sending the ``complete`` action: which uploads will get it, which are skipped and why,
and which someone else has claimed (unticked: sent only if the user ticks them on purpose)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import status_label
from scenario_tui.core.wording import plural
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

ID_WIDTH = 30
"""IDs longer than this are still shown whole, folded within their column."""


@dataclass(frozen=True)
class CompleteItem:
    """One upload the user asked to complete. ``reason`` None: it will be sent; else why not."""

    upload_id: str
    status: str | None
    file_name: str | None = None
    reason: str | None = None
    #: "claimed by ann (24 min left)" when someone else holds it: not sent unless ticked
    claim: str | None = None


class ClaimTicks(Static, can_focus=True):
    """The sendable uploads someone else has claimed, each ``[ ]`` until ticked (space), with a
    cursor (up/down, k/j); readable without colour. Posts ``Changed`` after each tick."""

    DEFAULT_CSS = """
    ClaimTicks { height: auto; }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="claims.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="claims.down"),
        Binding("space", "tick", "Tick / untick", id="claims.tick"),
    ]

    cursor: reactive[int] = reactive(0)

    class Changed(Message):
        """The ticked set changed."""

    def __init__(self, items: list[CompleteItem], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, markup=False)
        self.items = items
        self.ticked: set[str] = set()

    def on_mount(self) -> None:
        self._draw()

    def watch_cursor(self) -> None:
        self._draw()

    def on_focus(self) -> None:
        self.call_after_refresh(self._draw)  # once ``has_focus`` says so

    def on_blur(self) -> None:
        self.call_after_refresh(self._draw)

    def action_move(self, delta: int) -> None:
        self.cursor = min(max(self.cursor + delta, 0), len(self.items) - 1)

    def action_tick(self) -> None:
        if self.items:
            self.ticked.symmetric_difference_update({self.items[self.cursor].upload_id})
            self._draw()
            self.post_message(self.Changed())

    def _draw(self) -> None:
        ids = [inert_text(item.upload_id, one_line=True) for item in self.items]
        id_width = min(max((len(i) for i in ids), default=0), ID_WIDTH)
        text = Text(no_wrap=False, overflow="fold")
        for index, (item, upload_id) in enumerate(zip(self.items, ids, strict=True)):
            if index:
                text.append("\n")
            here = index == self.cursor and self.has_focus
            box = "[x]" if item.upload_id in self.ticked else "[ ]"
            text.append(("> " if here else "  ") + box + " " + upload_id.ljust(id_width),
                        style="reverse" if here else "")
            text.append("  " + inert_text(item.claim or "", one_line=True, limit=80))
        self.update(text)


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
        self.claimed = [item for item in items if item.reason is None and item.claim]
        self.items = [item for item in items if item not in self.claimed]
        self._order = [item.upload_id for item in items]
        self.to_send = [item.upload_id for item in self.items if item.reason is None]

    @property
    def summary(self) -> str:
        sent = len(self.to_send)
        skipped = len(self.items) - sent
        if self.claimed:
            ticked = f", {len(self.ticked)} ticked" if self.ticked else ""
            held = f"; {len(self.claimed)} claimed by someone else{ticked}"
            text = f"{plural(sent, 'upload')} will be sent the complete action"
            return f"{text}{held}" + (f", {skipped} skipped." if skipped else ".")
        if not self.items:
            return "No uploads were chosen: nothing to send."
        if not sent:
            return f"Nothing can be sent the complete action: {skipped} skipped."
        text = f"{plural(sent, 'upload')} will be sent the complete action"
        return f"{text}, {skipped} skipped." if skipped else f"{text}."

    @property
    def ticked(self) -> list[str]:
        """The claimed uploads the user ticked, to be sent anyway."""
        try:
            ticked = self.query_one(ClaimTicks).ticked
        except NoMatches:  # not composed yet
            return []
        return [item.upload_id for item in self.claimed if item.upload_id in ticked]

    @property
    def answer_ids(self) -> list[str]:
        """What ``y`` sends: the sendable uploads and the ticked claimed ones, in list order."""
        chosen = set(self.to_send) | set(self.ticked)
        return [i for i in self._order if i in chosen]

    def item_lines(self) -> Table:
        """One row per upload: ID, status (symbol and word), and send or skip: reason, then the
        file name. Each column wraps within itself, so at 80 columns a long reason or file name
        continues under its own column and the IDs stay a column of their own."""
        ids = [inert_text(item.upload_id, one_line=True) for item in self.items]
        id_width = min(max((len(i) for i in ids), default=0), ID_WIDTH)
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(width=id_width, overflow="fold")
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for item, upload_id in zip(self.items, ids, strict=True):
            if item.reason is None:
                what = Text("send", style="bold")
            else:
                what = Text("skip: " + inert_text(item.reason, one_line=True, limit=120))
            if item.file_name:
                what.append("  " + inert_text(item.file_name, one_line=True, limit=80),
                            style="dim")
            grid.add_row(Text(upload_id), Text(status_label(item.status)), what)
        return grid

    def compose(self) -> ComposeResult:
        with Vertical(id="complete-dialog", classes="dialog") as dialog:
            dialog.border_title = "Send complete?"
            with Vertical(id="complete-head"):
                yield Static(Text(self.summary), id="complete-summary", markup=False)
                yield Static(
                    Text("complete is sent once per upload and is not retried.")
                    if self.to_send or self.claimed
                    else Text("Refresh the skipped uploads, or pick pending ones, and try again."),
                    id="complete-hint",
                    markup=False,
                )
            with VerticalScroll(id="complete-items"):
                if self.items or not self.claimed:
                    yield Static(self.item_lines(), id="complete-lines", markup=False)
                if self.claimed:
                    yield Static(Text("Claimed by someone else: sent only if ticked (space)",
                                      style="bold"), id="complete-claimed-head", markup=False)
                    yield ClaimTicks(self.claimed, id="complete-claims")
            with Horizontal(id="complete-buttons"):
                yield Button(
                    Text(f"Send {len(self.to_send)} (y)"),
                    variant="warning",
                    id="complete-send",
                    disabled=not self.to_send,
                )
                yield Button(Text("Cancel (n)"), id="complete-cancel")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.claimed:
            self.query_one(ClaimTicks).focus()

    @on(ClaimTicks.Changed)
    def _ticks_changed(self) -> None:
        count = len(self.answer_ids)
        button = self.query_one("#complete-send", Button)
        button.label = Text(f"Send {count} (y)")
        button.disabled = not count
        self.query_one("#complete-summary", Static).update(Text(self.summary))

    def action_send(self) -> None:
        ids = self.answer_ids
        self.answer(ids if ids else None)

    def action_cancel(self) -> None:
        self.answer(None)

    @on(Button.Pressed, "#complete-send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#complete-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

