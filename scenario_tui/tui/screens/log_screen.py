"""The activity log: what was done, newest first (on a team store, by whom: a Who column). A
bulk entry (one that touched many uploads: an add of a pasted ticket, a bulk complete's summary)
says how many in its Upload column ("15 uploads"); enter opens any entry in full, with every ID
it touched."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import event_uploads
from scenario_tui.core.timestamps import parse_time
from scenario_tui.tui.widgets.key_bar import KeyBar

MESSAGE_WIDTH = 60
"""Messages are cut to this in the table; the highlighted row's whole message is shown below it."""
PREVIEW_IDS = 3
"""A bulk entry's first IDs, shown under the table; enter shows them all."""

_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def _cell(value: Any, limit: int = 80) -> Text:
    return Text("" if value is None else inert_text(value, one_line=True, limit=limit))


def _time(value: Any) -> str:
    moment = parse_time(value) if isinstance(value, str) else value
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else inert_text(value, one_line=True, limit=25)


def _ids(event: Any) -> tuple[str, ...]:
    """The uploads a bulk entry touched (none for an entry about one upload)."""
    ids = getattr(event, "upload_ids", None)
    return tuple(ids) if ids and getattr(event, "upload_id", None) is None else ()


def _heading(event: Any) -> str:
    """``2026-01-01 10:02:03 · default · complete partial · 15 uploads``: what, when, by whom."""
    parts = [_time(getattr(event, "at", None)), getattr(event, "profile", None),
             getattr(event, "actor", None),
             " ".join(str(getattr(event, name, None) or "") for name in ("action", "outcome")),
             event_uploads(event)]
    return " · ".join(inert_text(part, one_line=True, limit=128) for part in parts if part)


def _sort_key(event: Any) -> datetime:
    at = getattr(event, "at", None)
    moment = parse_time(at) if isinstance(at, str) else at
    if not isinstance(moment, datetime):
        return _OLDEST
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ActivityLogScreen(Screen[None]):
    """A full screen table of activity events; escape, ``L`` or ``q`` go back.

    ``events`` are objects with ``at``, ``profile``, ``upload_id``, ``action``, ``outcome``,
    ``http_status`` and ``message`` attributes (the store's ``ActivityEvent``).
    """

    DEFAULT_CSS = """
    ActivityLogScreen {
        layout: vertical;
    }
    ActivityLogScreen #log-title {
        height: auto;
        padding: 0 1;
        text-style: bold;
    }
    ActivityLogScreen #log-table {
        height: 1fr;
    }
    ActivityLogScreen #log-detail {
        height: auto;
        max-height: 5;
        padding: 0 1;
        border-top: solid $primary;
    }
    """

    AUTO_FOCUS = "#log-table"

    BINDINGS = [
        Binding("escape,L,q", "close", "Back", key_display="esc/L/q", id="log.close"),
        # as in the list (the table's own home and end would scroll its columns sideways)
        Binding("home,g", "to_row('first')", "Newest", show=False, priority=True,
                id="log.newest"),
        Binding("end,G", "to_row('last')", "Oldest", show=False, priority=True, id="log.oldest"),
        Binding("j", "to_row('next')", "Older", show=False, id="log.older"),
        Binding("k", "to_row('previous')", "Newer", show=False, id="log.newer"),
    ]

    def __init__(self, events: list) -> None:
        super().__init__()
        # Stable sort: events with equal times keep the order they came in (the store's newest
        # first).
        self.events = sorted(events, key=_sort_key, reverse=True)
        self._done = False

    def compose(self) -> ComposeResult:
        count = len(self.events)
        yield Static(
            f"Activity log: {count} {'entry' if count == 1 else 'entries'}, newest first "
            "(times in UTC)",
            id="log-title",
            markup=False,
        )
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text("No activity recorded yet."), id="log-detail", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#log-table", DataTable)
        # a team store's entries say who acted (the database user); a local one's do not
        team = any(getattr(event, "actor", None) for event in self.events)
        table.add_columns("Time", *(["Who"] if team else []), "Upload", "Action", "Outcome",
                          "HTTP", "Message")
        table.add_rows(
            [
                Text(_time(getattr(event, "at", None))),
                *([_cell(getattr(event, "actor", None), 16)] if team else []),
                _cell(event_uploads(event), 60),
                _cell(getattr(event, "action", None), 30),
                _cell(getattr(event, "outcome", None), 30),
                _cell(getattr(event, "http_status", None), 5),
                _cell(getattr(event, "message", None), MESSAGE_WIDTH),
            ]
            for event in self.events
        )
        if self.events:
            self._show_detail(0)

    def action_to_row(self, where: str) -> None:
        """home/g the newest entry, end/G the oldest, j and k one older or newer."""
        table = self.query_one("#log-table", DataTable)
        if not table.row_count:
            return
        row = {"first": 0, "last": table.row_count - 1, "next": table.cursor_row + 1,
               "previous": table.cursor_row - 1}[where]
        table.move_cursor(row=max(0, min(row, table.row_count - 1)))

    @on(DataTable.RowHighlighted, "#log-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, index: int) -> None:
        if not 0 <= index < len(self.events):
            return
        event = self.events[index]
        parts = [
            _time(getattr(event, "at", None)),
            inert_text(getattr(event, "profile", None) or "", one_line=True, limit=40),
            inert_text(getattr(event, "actor", None) or "", one_line=True, limit=40),
            inert_text(event_uploads(event) or "", one_line=True, limit=128),
        ]
        ids = _ids(event)
        if len(ids) > 1:
            shown = ", ".join(inert_text(i, one_line=True, limit=128) for i in ids[:PREVIEW_IDS])
            more = " …" if len(ids) > PREVIEW_IDS else ""
            parts[-1] += f": {shown}{more} (enter: every ID)"
        detail = Text(" · ".join(part for part in parts if part))
        message = getattr(event, "message", None)
        if message:
            detail.append("\n" + inert_text(message, one_line=True, limit=2000))
        self.query_one("#log-detail", Static).update(detail)

    @on(DataTable.RowSelected, "#log-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """enter: the entry in full, with every ID a bulk entry touched."""
        if 0 <= event.cursor_row < len(self.events):
            self.app.push_screen(LogEntryScreen(self.events[event.cursor_row]))

    def action_close(self) -> None:
        if self._done:
            return
        self._done = True
        self.dismiss(None)


class LogEntryScreen(Screen[None]):
    """One activity log entry in full: when, who, what, its whole message, and every upload
    it touched, one ID a line (scrolled with the arrows); escape, enter or q go back."""

    DEFAULT_CSS = """
    LogEntryScreen #entry-title { height: auto; padding: 0 1; text-style: bold; }
    LogEntryScreen #entry-body { height: 1fr; padding: 0 1; }
    LogEntryScreen #entry-ids-title { margin-top: 1; text-style: bold; }
    """

    AUTO_FOCUS = "#entry-body"

    BINDINGS = [
        Binding("escape,enter,q", "close", "Back", key_display="esc/enter/q", id="entry.close"),
    ]

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event
        self.ids = _ids(event) or tuple(
            i for i in (getattr(event, "upload_id", None),) if i is not None)
        self._done = False

    def compose(self) -> ComposeResult:
        yield Static(Text(_heading(self.event)), id="entry-title", markup=False)
        with VerticalScroll(id="entry-body"):
            message = getattr(self.event, "message", None)
            yield Static(Text(inert_text(message or "(no message)", limit=4000)),
                         id="entry-message", markup=False)
            count = len(self.ids)
            yield Static(Text(f"{count} {'upload' if count == 1 else 'uploads'}:"),
                         id="entry-ids-title", markup=False)
            yield Static(Text("\n".join(inert_text(i, one_line=True, limit=128)
                                        for i in self.ids)), id="entry-ids", markup=False)
        yield KeyBar()

    def action_close(self) -> None:
        if self._done:
            return
        self._done = True
        self.dismiss(None)
