"""Edit the note of one upload: this machine's, or on a team store the team's."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from scenario_tui.core.inert import inert_text
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

MAX_NOTE_LENGTH = 1000


class NoteScreen(Dialog[str | None]):
    """A one-line note editor; enter answers the new note (stripped; empty clears it), escape None.

    It opens with the cursor after the note and nothing selected: keys that arrive in one burst
    with the ``n`` (over SSH: ``end`` and the text) add to the note, never replace it; ``ctrl+z``
    gives back the note it opened with. The note is shown on one line with control characters
    removed, so saving an old note that held newlines or escape sequences stores the cleaned text.
    """

    DEFAULT_CSS = """
    NoteScreen #note-dialog {
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
        Binding("ctrl+z", "restore", "Old note", id="note.restore"),
    ]

    def __init__(self, upload_id: str, note: str, *, team: bool = False) -> None:
        super().__init__()
        self.upload_id = upload_id
        self.team = team  # a team store's note: everyone on it sees it, with who wrote it
        self.note = inert_text(note or "", one_line=True)[:MAX_NOTE_LENGTH]

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog", classes="dialog") as dialog:
            dialog.border_title = "Note"
            yield Static(
                Text("Upload: ") + Text(inert_text(self.upload_id, one_line=True, limit=200)),
                id="note-upload",
                markup=False,
            )
            yield Input(
                value=self.note,
                placeholder=("a note for the team (everyone sees it, with your name)"
                             if self.team else "a note for yourself (kept only on this machine)"),
                max_length=MAX_NOTE_LENGTH,
                select_on_focus=False,
                id="note-input",
            )
            yield Static(
                "Enter saves (an empty note clears it). Esc cancels. Ctrl+z puts the old note "
                f"back. At most {MAX_NOTE_LENGTH} characters.",
                id="note-hint",
                markup=False,
            )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#note-input", Input).cursor_position = len(self.note)

    @on(Input.Submitted, "#note-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.answer(event.value.strip())

    def action_save(self) -> None:
        self.answer(self.query_one("#note-input", Input).value.strip())

    def action_restore(self) -> None:
        """The note as it was when the dialog opened, the cursor after it."""
        field = self.query_one("#note-input", Input)
        field.value = self.note
        field.cursor_position = len(self.note)
        field.focus()

    def action_cancel(self) -> None:
        self.answer(None)

