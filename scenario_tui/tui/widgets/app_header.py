"""One line at the top: app, DEMO / READ-ONLY / TEAM markers, profile, API host, team store,
project, and on the right how old the data is and whether watch mode runs ("data 2 min old ·
watching every 30 s").

The screen sets ``freshness`` (a long and a short form); the widget fits the line to its width:
the project, the team store's name and the host give way first, then the watch text takes its
short form, then the profile goes, then the watch text; the markers and the watch text are
never cut.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.store_url import describe


class AppHeader(Static):
    DEFAULT_CSS = """
    AppHeader { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    #: (long, short) forms of the data's age and the watch state ("" when not known yet)
    freshness: reactive[tuple[str, str]] = reactive(("", ""))

    #: the team store's connection, when it is lost ("" while it is up, or for a local store)
    team_state: reactive[str] = reactive("")

    def __init__(self, settings, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.settings = settings

    def on_mount(self) -> None:
        self._show()

    def on_resize(self) -> None:
        self._show()

    def watch_freshness(self) -> None:
        self._show()

    def watch_team_state(self) -> None:
        self._show()

    def _pieces(self) -> list[tuple[str, str]]:
        """(text, style) of the left part, most important first."""
        s = self.settings
        pieces = [("scenario-tui", "bold")]
        if s.demo:
            pieces.append(("[DEMO: fake API]", "bold reverse"))
        if s.read_only:
            pieces.append(("[READ-ONLY]", "bold reverse"))
        if s.store_url:  # the team's shared store, not this machine's
            pieces.append(("[TEAM]", "bold reverse"))
        if self.team_state:
            pieces.append((f"[{inert_text(self.team_state, one_line=True)}]", "bold reverse"))
        pieces.append((f"profile {inert_text(s.profile, one_line=True)}", ""))
        pieces.append((inert_text(s.api_host, one_line=True), ""))
        if s.store_url:
            pieces.append((f"store {inert_text(describe(s.store_url), one_line=True, limit=40)}",
                           ""))
        if s.project_id:
            pieces.append((f"project {inert_text(s.project_id, one_line=True, limit=30)}", ""))
        return pieces

    def _show(self) -> None:
        width = self.content_region.width
        long, short = self.freshness
        pieces = self._pieces()
        right = long

        def used() -> int:
            return sum(len(t) + 2 for t, _ in pieces) - 2 + (len(right) + 2 if right else 0)

        if width > 1:  # laid out: fit (before that, everything; on_resize fits it)
            # the project and the host give way, then the long watch text, then the profile
            # (which says prod or staging: the last to go)
            droppable = [t for t, _ in pieces[1:] if not t.startswith("[")]
            while used() > width and (droppable or right != short):
                if droppable and (len(droppable) > 1 or right == short):
                    drop = droppable.pop()
                    pieces = [p for p in pieces if p[0] != drop]
                else:
                    right = short
            if used() > width:  # the markers alone fill it: no watch text rather than a cut one
                right = ""
        text = Text()
        for index, (piece, style) in enumerate(pieces):
            text.append(("  " if index else "") + piece, style=style)
        if right:
            gap = max(width - used() + 2, 2) if width > 1 else 2
            text.append(" " * gap + inert_text(right, one_line=True))
        self.update(text, layout=False)
