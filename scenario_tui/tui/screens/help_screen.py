"""Keys, status symbols and where the data lives."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import STATUS_SYMBOLS
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

KEY_WIDTH = 14
"""The key column is at most this wide; longer keys fold onto a second line."""

DATA_TEXT = (
    "Your list of upload IDs, your notes and the activity log are kept on this machine in a "
    "small SQLite file (one per profile; SCENARIO_TUI_DATA_DIR moves it). The uploads "
    "themselves live on Scenario: this tool reads them and, when you ask, sends complete. "
    "Removing an upload here only removes it from your list."
)
TEAM_DATA_TEXT = (
    "The list of upload IDs, the notes, the claims and the activity log are kept in the team "
    "store, a PostgreSQL database the whole team shares: each note and log entry names who "
    "wrote it. The uploads themselves live on Scenario: this tool reads them and, when you "
    "ask, sends complete. Removing an upload here removes it from the team's list, for "
    "everyone."
)


class HelpScreen(Dialog[None]):
    """The given keys (key, what it does: ``keymap.help_rows``) as a two-column table, then the
    status symbols and where the data lives."""

    DEFAULT_CSS = """
    HelpScreen #help-body {
        height: auto;
        max-height: 100%;
    }
    HelpScreen .help-heading {
        text-style: bold;
        margin-top: 1;
    }
    """

    AUTO_FOCUS = "#help-body"

    BINDINGS = [
        Binding(
            "escape,question_mark,q", "close", "Close", key_display="esc/?/q", id="help.close"
        ),
    ]

    def __init__(self, keys: list[tuple[str, str]], *, data_location: str | None = None,
                 team: bool = False) -> None:
        super().__init__()
        self.keys = [
            (inert_text(key, one_line=True, limit=40), inert_text(text, one_line=True, limit=300))
            for key, text in keys
        ]
        self.data_location = data_location
        self.team = team  # the list is a team store's (shared), not this machine's

    def key_table(self) -> Table:
        """Two columns: the key, then what it does (wrapped in its own column)."""
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column("key", style="bold", max_width=KEY_WIDTH, overflow="fold")
        table.add_column("description", ratio=1, overflow="fold")
        for key, text in self.keys:
            table.add_row(Text(key), Text(text))
        return table

    @staticmethod
    def status_text() -> Text:
        words = [(symbol, status or "unknown") for status, symbol in STATUS_SYMBOLS.items()]
        words.append(("◇", "any other status, shown as the server sent it"))
        text = Text("Each status is a symbol and a word, so colour is never needed:\n")
        text.append("\n".join(f"  {symbol} {word}" for symbol, word in words))
        return text

    def data_text(self) -> Text:
        text = Text(TEAM_DATA_TEXT if self.team else DATA_TEXT)
        if self.data_location:
            text.append("\nThis list: " + inert_text(self.data_location, one_line=True))
        return text

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "Help"
            with VerticalScroll(id="help-body"):
                yield Static("Keys", classes="help-heading", markup=False)
                yield Static(self.key_table(), id="help-keys", markup=False)
                yield Static("Status symbols", classes="help-heading", markup=False)
                yield Static(self.status_text(), id="help-statuses", markup=False)
                yield Static("Where the data lives", classes="help-heading", markup=False)
                yield Static(self.data_text(), id="help-data", markup=False)
        yield KeyBar()

    def action_close(self) -> None:
        self.answer(None)
