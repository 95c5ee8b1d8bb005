"""Edit the local note of one upload."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from scenario_tui.inert import inert_text

MAX_NOTE_LENGTH = 1000


class NoteScreen(ModalScreen[str | None]):
    """A one-line note editor; enter answers the new note (stripped; empty clears it), escape None.

    The note is shown on one line with control characters removed, so saving an old note that
    held newlines or escape sequences stores the cleaned text.
    """

    DEFAULT_CSS = """
    NoteScreen {
        align: center middle;
    }
    NoteScreen #note-dialog {
        width: 100%;
        max-width: 76;
        height: auto;
        max-height: 90%;
        padding: 0 1;
        border: heavy $primary;
        border-title-style: bold;
        background: $surface;
        overflow-y: auto;
    }
    NoteScreen #note-upload {
        height: auto;
    }
    NoteScreen #note-hint {
        height: auto;
        color: $text-muted;
    }
    """

    AUTO_FOCUS = "#note-input"

    BINDINGS = [
        Binding("enter", "save", "Save", id="note.save"),
        Binding("escape", "cancel", "Cancel", key_display="esc", id="note.cancel"),
    ]

    def __init__(self, upload_id: str, note: str) -> None:
        super().__init__()
        self.upload_id = upload_id
        self.note = inert_text(note or "", one_line=True)[:MAX_NOTE_LENGTH]
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog") as dialog:
            dialog.border_title = "Note"
            yield Static(
                Text("Upload: ") + Text(inert_text(self.upload_id, one_line=True, limit=200)),
                id="note-upload",
                markup=False,
            )
            yield Input(
                value=self.note,
                placeholder="a note for yourself (kept only on this machine)",
                max_length=MAX_NOTE_LENGTH,
                id="note-input",
            )
            yield Static(
                f"Enter saves (an empty note clears it). Esc cancels. At most {MAX_NOTE_LENGTH} "
                "characters.",
                id="note-hint",
                markup=False,
            )
        yield Footer()

    @on(Input.Submitted, "#note-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(event.value.strip())

    def action_save(self) -> None:
        self._answer(self.query_one("#note-input", Input).value.strip())

    def action_cancel(self) -> None:
        self._answer(None)

    def _answer(self, value: str | None) -> None:
        if self._answered:
            return
        self._answered = True
        self.dismiss(value)
