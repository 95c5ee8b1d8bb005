"""Paste upload IDs to add to the list, with a live report of what the paste contains."""

from __future__ import annotations

import re
from typing import Callable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static, TextArea

from scenario_tui.core.ids import parse_ids, split_ids
from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import plural
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

SHOWN_INVALID = 3
"""How many refused tokens the report names (with their reason); the rest are counted."""

_NEWLINES = re.compile(r"\r\n?")


def _visible(text: str) -> str:
    """Pasted text with carriage returns as newlines and other control characters (escape
    sequences included) replaced by U+FFFD, so nothing reaches the terminal and the token they
    were in is reported invalid rather than silently changed."""
    text = _NEWLINES.sub("\n", text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)


class IdsTextArea(TextArea):
    """A TextArea whose pastes cannot carry terminal escape sequences onto the screen."""

    def on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # instead of TextArea's own paste handler, not after it
        event.stop()
        if self.read_only:
            return
        result = self.replace(_visible(event.text), *self.selection)
        self.move_cursor(result.end_location)
        self.focus()


class AddIdsScreen(Dialog[str | None]):
    """Paste one or many IDs; answers the raw text (the caller parses it again) or None.

    ``known`` tells whether an ID is already in the list; it is asked at most once per ID while
    the dialog is open.
    """

    DEFAULT_CSS = """
    AddIdsScreen #add-dialog {
        overflow-y: auto;
    }
    AddIdsScreen #add-help {
        dock: top;
        height: auto;
    }
    AddIdsScreen #add-text {
        height: 7;
        min-height: 3;
    }
    AddIdsScreen #add-report {
        height: auto;
        max-height: 6;
        padding-top: 1;
    }
    AddIdsScreen #add-bottom {
        dock: bottom;
        height: auto;
    }
    AddIdsScreen #add-hint {
        width: 1fr;
        height: auto;
        padding-top: 1;
        color: $text-muted;
    }
    AddIdsScreen #add-bottom Button {
        margin-left: 1;
    }
    """

    AUTO_FOCUS = "#add-text"

    BINDINGS = [
        Binding("f2", "submit", "Add", id="add.submit"),
        Binding("escape", "cancel", "Cancel", key_display="esc", id="add.cancel"),
    ]

    def __init__(self, known: Callable[[str], bool] | None = None) -> None:
        super().__init__()
        self.known = known
        self._known_cache: dict[str, bool] = {}
        self._known_failed = False
        self._valid_count = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="add-dialog", classes="dialog") as dialog:
            dialog.border_title = "Add upload IDs"
            yield Static(
                "One ID per line, or separated by spaces, commas or semicolons.",
                id="add-help",
                markup=False,
            )
            yield IdsTextArea(id="add-text", soft_wrap=True, tab_behavior="focus")
            yield Static(Text("Nothing pasted yet."), id="add-report", markup=False)
            with Horizontal(id="add-bottom"):
                yield Static(
                    "F2 adds. Tab reaches the Add button. Esc cancels.",
                    id="add-hint",
                    markup=False,
                )
                yield Button("Add", variant="primary", id="add-submit", disabled=True)
                yield Button("Cancel", id="add-cancel")
        yield KeyBar()

    @on(TextArea.Changed, "#add-text")
    def _text_changed(self, event: TextArea.Changed) -> None:
        self.query_one("#add-report", Static).update(self.report(event.text_area.text))
        self.query_one("#add-submit", Button).disabled = self._valid_count == 0

    def _is_known(self, upload_id: str) -> bool:
        if self.known is None or self._known_failed:
            return False
        if upload_id not in self._known_cache:
            try:
                self._known_cache[upload_id] = bool(self.known(upload_id))
            except Exception:  # the list could not be read: report without the known count
                self._known_failed = True
                return False
        return self._known_cache[upload_id]

    def report(self, text: str) -> Text:
        """What adding ``text`` would do, as plain text."""
        tokens = split_ids(text)
        parsed = parse_ids(tokens)
        self._valid_count = len(parsed.valid)
        if not tokens:
            return Text("Nothing pasted yet.")
        line = f"{len(parsed.valid)} valid"
        if self.known is not None and parsed.valid:
            already = sum(1 for upload_id in parsed.valid if self._is_known(upload_id))
            if self._known_failed:
                line += " (could not check which are already known)"
            else:
                line += f" ({len(parsed.valid) - already} new, {already} already known)"
        line += f", {plural(len(parsed.duplicates), 'duplicate')}, {len(parsed.invalid)} invalid"
        report = Text(line)
        for token, reason in parsed.invalid[:SHOWN_INVALID]:
            report.append("\n✗ " + inert_text(reason or token, one_line=True, limit=150))
        if len(parsed.invalid) > SHOWN_INVALID:
            report.append(f"\n… and {len(parsed.invalid) - SHOWN_INVALID} more invalid")
        return report

    def action_submit(self) -> None:
        text = self.query_one("#add-text", TextArea).text
        self.report(text)
        if self._valid_count == 0:
            self.app.bell()
            self.notify("Nothing valid to add yet.", title="Add upload IDs", severity="warning")
            return
        self.answer(text)

    def action_cancel(self) -> None:
        self.answer(None)

    @on(Button.Pressed, "#add-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#add-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

