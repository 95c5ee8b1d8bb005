"""Paste a ticket or a list of upload IDs; a live preview says what adding it would do.

The words shaped like IDs are taken (``core.ticket``: the ``id_pattern`` setting), the rest is
ignored; the preview names what will be added, what is already known, and what was ignored or
refused, and why. After a paste the Add button takes the focus, so enter adds and escape cancels.
"""

from __future__ import annotations

import asyncio
import re
from typing import Callable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static, TextArea

from scenario_tui.core.config import DEFAULT_ID_PATTERN
from scenario_tui.core.ids import parse_ids
from scenario_tui.core.inert import inert_text
from scenario_tui.core.ticket import harvest_ids, ignored_summary
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

SHOWN_INVALID = 3
"""How many refused tokens the report names (with their reason); the rest are counted."""
SHOWN_IDS = 3
"""How many IDs each line of the preview names; the rest are counted."""

_NEWLINES = re.compile(r"\r\n?")


def _visible(text: str) -> str:
    """Pasted text with carriage returns as newlines and other control characters (escape
    sequences included) replaced by U+FFFD, so nothing reaches the terminal and the token they
    were in is reported invalid rather than silently changed."""
    text = _NEWLINES.sub("\n", text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)


def _named(ids: list[str]) -> str:
    """'up_1, up_2, up_3 and 22 more'."""
    shown = ", ".join(inert_text(upload_id, one_line=True, limit=40)
                      for upload_id in ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


class IdsTextArea(TextArea):
    """A TextArea whose pastes cannot carry terminal escape sequences onto the screen."""

    class Pasted(Message):
        """Text was pasted (after the ``Changed`` it causes)."""

    def on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # instead of TextArea's own paste handler, not after it
        event.stop()
        if self.read_only:
            return
        result = self.replace(_visible(event.text), *self.selection)
        self.move_cursor(result.end_location)
        self.focus()
        self.post_message(self.Pasted())


class AddIdsScreen(Dialog[str | None]):
    """Paste a ticket or IDs; answers the raw text (the caller harvests it again with the same
    ``pattern``) or None.

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
        max-height: 9;
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

    def __init__(self, known: Callable[[list[str]], set[str]] | None = None,
                 pattern: str = DEFAULT_ID_PATTERN) -> None:
        super().__init__()
        #: which of some IDs the store already has (one read, in a thread: a team store may be
        #: a round trip away, and the preview follows every key typed)
        self.known = known
        #: the ``id_pattern`` setting: which words of a paste are IDs
        self.pattern = pattern
        self._known_cache: dict[str, bool] = {}
        self._checking: set[str] = set()  # IDs whose read is under way
        self._known_failed = False
        self._valid_count = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="add-dialog", classes="dialog") as dialog:
            dialog.border_title = "Add upload IDs"
            yield Static(
                "Paste a ticket or a list: the words shaped like upload IDs are taken, "
                "the rest is ignored.",
                id="add-help",
                markup=False,
            )
            yield IdsTextArea(id="add-text", soft_wrap=True, tab_behavior="focus")
            yield Static(Text("Nothing pasted yet."), id="add-report", markup=False)
            with Horizontal(id="add-bottom"):
                yield Static(
                    "After a paste, Enter adds. F2 adds. Esc cancels.",
                    id="add-hint",
                    markup=False,
                )
                yield Button("Add", variant="primary", id="add-submit", disabled=True)
                yield Button("Cancel", id="add-cancel")
        yield KeyBar()

    @on(TextArea.Changed, "#add-text")
    def _text_changed(self, event: TextArea.Changed) -> None:
        self._show_report()

    def _show_report(self) -> None:
        self.query_one("#add-report", Static).update(
            self.report(self.query_one("#add-text", TextArea).text))
        self.query_one("#add-submit", Button).disabled = self._valid_count == 0

    @on(IdsTextArea.Pasted)
    def _pasted(self) -> None:
        """The preview is up to date (``Changed`` came first): enter now adds."""
        button = self.query_one("#add-submit", Button)
        if not button.disabled:
            button.focus()

    def _check_known(self, upload_ids: list[str]) -> None:
        """Read which of ``upload_ids`` the store has, in a thread, then show the preview
        again; text typed meanwhile asks only about the IDs it adds."""
        known = self.known
        assert known is not None
        self._checking.update(upload_ids)

        async def check() -> None:
            try:
                found = await asyncio.to_thread(known, upload_ids)
            except Exception:  # the list could not be read: report without the known count
                self._known_failed = True
            else:
                self._known_cache.update({i: i in found for i in upload_ids})
            finally:
                self._checking.difference_update(upload_ids)
            self._show_report()

        self.run_worker(check(), group="add-known", exit_on_error=False)

    def report(self, text: str) -> Text:
        """The preview: what adding ``text`` would do, as plain text."""
        ticket = harvest_ids(text, self.pattern)
        parsed = parse_ids(ticket.tokens)
        self._valid_count = len(parsed.valid)
        if not text.strip():
            return Text("Nothing pasted yet.")
        unchecked = ([] if self.known is None or self._known_failed else
                     [i for i in parsed.valid if i not in self._known_cache])
        ask = [i for i in unchecked if i not in self._checking]
        if ask:
            self._check_known(ask)
        new = [upload_id for upload_id in parsed.valid
               if not self._known_cache.get(upload_id, False)]
        fresh = set(new)
        known = [upload_id for upload_id in parsed.valid if upload_id not in fresh]
        if self._known_failed:
            lines = [f"Will add {len(new)} (could not check which are already known): "
                     f"{_named(new)}"]
        elif unchecked:
            lines = [f"Will add up to {len(new)} (checking which are already known…): "
                     f"{_named(new)}"]
        elif new:
            lines = [f"Will add {len(new)}: {_named(new)}"]
        else:
            lines = ["Nothing new to add."]
        if known:
            lines.append(f"Already known {len(known)}: {_named(known)}")
        if parsed.duplicates:
            lines.append(f"Repeated {len(parsed.duplicates)} (taken once): "
                         f"{_named(parsed.duplicates)}")
        if ticket.ignored:
            lines.append(ignored_summary(ticket.ignored))
        lines += ["✗ Refused " + inert_text(reason or token, one_line=True, limit=150)
                  for token, reason in parsed.invalid[:SHOWN_INVALID]]
        if len(parsed.invalid) > SHOWN_INVALID:
            lines.append(f"… and {len(parsed.invalid) - SHOWN_INVALID} more refused")
        return Text("\n".join(lines))

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

