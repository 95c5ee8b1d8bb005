"""Import a file by reference: a URL (with a kind), a Hugging Face model, or a Civitai model."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from scenario_tui.core.vocabulary import UPLOAD_KINDS
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

SOURCES = (
    ("A URL the API downloads", "url"),
    ("A Hugging Face model (owner/model)", "huggingface"),
    ("A Civitai model URL", "civitai"),
)


@dataclass(frozen=True)
class ImportRequest:
    source: str  # url, huggingface, civitai
    target: str
    kind: str | None


class ImportScreen(Dialog[ImportRequest | None]):
    """Source, URL or name, kind (for URLs); enter/F2 imports, escape cancels."""

    DEFAULT_CSS = """
    ImportScreen #import-dialog {
        width: 100%; max-width: 76; height: auto; max-height: 90%;
        padding: 0 1; border: heavy $primary; background: $surface;
    }
    ImportScreen #import-buttons { height: auto; align-horizontal: right; }
    """
    AUTO_FOCUS = "#import-target"
    BINDINGS = [
        Binding("f2", "submit", "Import", id="import.submit"),
        Binding("escape", "cancel", "Cancel", key_display="esc", id="import.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="import-dialog", classes="dialog") as dialog:
            dialog.border_title = "Import by reference"
            yield Select(SOURCES, value="url", allow_blank=False, id="import-source")
            yield Input(placeholder="https://… or owner/model", id="import-target")
            yield Static(Text("Kind (for a URL; models are imported as kind model):"))
            yield Select([(k, k) for k in UPLOAD_KINDS], value="image", allow_blank=False,
                         id="import-kind")
            with Horizontal(id="import-buttons"):
                yield Button("Import (F2)", variant="primary", id="import-go")
                yield Button("Cancel (esc)", id="import-cancel")
        yield KeyBar()

    @on(Select.Changed, "#import-source")
    def _source_changed(self, event: Select.Changed) -> None:
        self.query_one("#import-kind", Select).disabled = event.value != "url"

    @on(Input.Submitted, "#import-target")
    @on(Button.Pressed, "#import-go")
    def action_submit(self) -> None:
        if self.answered:
            return
        target = self.query_one("#import-target", Input).value.strip()
        if not target:
            self.notify("Type a URL or a model name.", severity="warning", markup=False)
            return
        source = str(self.query_one("#import-source", Select).value)
        kind = str(self.query_one("#import-kind", Select).value) if source == "url" else None
        self.answer(ImportRequest(source, target, kind))

    @on(Button.Pressed, "#import-cancel")
    def action_cancel(self) -> None:
        self.answer(None)
