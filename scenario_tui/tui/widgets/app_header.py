"""One line at the top: app, profile, API host, project, and DEMO / READ-ONLY markers."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from scenario_tui.core.inert import inert_text


class AppHeader(Static):
    DEFAULT_CSS = """
    AppHeader { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    def __init__(self, settings, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.settings = settings

    def on_mount(self) -> None:
        s = self.settings
        text = Text("scenario-tui", style="bold")
        if s.demo:
            text.append("  [DEMO: fake API]", style="bold reverse")
        if s.read_only:
            text.append("  [READ-ONLY]", style="bold reverse")
        text.append(f"  profile {inert_text(s.profile, one_line=True)}")
        text.append(f"  {inert_text(s.api_host, one_line=True)}")
        if s.project_id:
            text.append(f"  project {inert_text(s.project_id, one_line=True, limit=30)}")
        self.update(text)
