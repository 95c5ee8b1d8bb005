"""Every field of the highlighted upload, grouped, plus its job and asset when known.

The screen sets ``row``, ``upload`` and ``follow`` (attributes down); this widget only renders.
All text is rendered as plain ``rich.text.Text`` (never parsed as markup).
"""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from scenario_tui.present import Section, upload_sections


class DetailPane(VerticalScroll, can_focus=True):
    """Scrollable, grouped detail of one upload."""

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; }
    DetailPane > #detail-body { width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.row = None
        self.upload = None
        self.follow = None
        self.loading_follow = False
        self.loading_upload = False
        self.now: datetime | None = None

    def compose(self):
        yield Static(id="detail-body")

    def show(self, row, upload, follow=None, *, loading_follow: bool = False,
             loading_upload: bool = False) -> None:
        self.row, self.upload, self.follow = row, upload, follow
        self.loading_follow, self.loading_upload = loading_follow, loading_upload
        self.update_view()

    def update_view(self) -> None:
        now = self.now or datetime.now(timezone.utc)
        if self.row is None and self.upload is None:
            body = Text("No upload selected.", style="dim")
        else:
            sections = upload_sections(self.row, self.upload, now, self.follow)
            if self.follow is None and self.loading_follow:
                sections.append(Section("Job", [("", "loading…")]))
            if self.upload is None and self.loading_upload:
                sections.insert(0, Section("Status", [("", "loading…")]))
            elif self.upload is None:
                sections.insert(0, Section("Status", [("", "never fetched: press r to fetch")]))
            body = Group(*(self._render_section(s) for s in sections))
        self.query_one("#detail-body", Static).update(body)

    @staticmethod
    def _render_section(section: Section) -> Table:
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(style="bold", no_wrap=True, ratio=None)
        table.add_column(ratio=1, overflow="fold")
        table.add_row(Text(section.title, style="bold underline"), Text(""))
        for label, value in section.rows:
            style = "bold red" if label == "Error" else ""
            table.add_row(Text(label), Text(value, style=style))
        return table
