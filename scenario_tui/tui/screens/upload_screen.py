"""Choose a local file to upload (path with completion, kind guessed and changeable)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import Suggester
from textual.widgets import Button, Checkbox, Input, Select, Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.vocabulary import UPLOAD_KINDS
from scenario_tui.tui.screens.dialog import Dialog
from scenario_tui.tui.widgets.key_bar import KeyBar

AUTO = "auto"


@dataclass(frozen=True)
class UploadRequest:
    path: str
    kind: str | None  # None: guess from the file
    complete: bool


class PathSuggester(Suggester):
    """Completes the last path segment from the directory's entries (first match)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, prefix = os.path.split(expanded)
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix and not name.startswith("."):
                full = os.path.join(folder, name)
                suffix = "/" if os.path.isdir(full) else ""
                return value + name[len(prefix):] + suffix
        return None


def guessed_kind(path: str) -> str | None:
    from scenario_tui.service.local_files import guess_content_type, guess_kind

    name = Path(path).name
    if not name:
        return None
    try:
        return guess_kind(name, guess_content_type(name))
    except Exception:  # an unknown extension: the user must pick a kind
        return None


def unguessable_line(path: str) -> str:
    """What the dialog says when the kind of ``path`` cannot be guessed."""
    return f"Cannot guess the kind of {Path(path).name}: pick one below, then F2."


class UploadScreen(Dialog[UploadRequest | None]):
    """Path, kind and whether to complete; enter/F2 starts, escape cancels.

    With "auto" and a file whose kind cannot be guessed, F2 keeps the dialog open (the path
    too) and opens the kind selector with a line saying so; ``ask_kind`` opens it that way."""

    DEFAULT_CSS = """
    UploadScreen #upload-dialog {
        width: 100%; max-width: 76; height: auto; max-height: 90%;
        padding: 0 1; border: heavy $primary; background: $surface;
    }
    UploadScreen #upload-guess { height: auto; color: $text-muted; }
    UploadScreen #upload-guess.-ask { color: $warning; text-style: bold; }
    UploadScreen #upload-buttons { height: auto; align-horizontal: right; }
    """
    AUTO_FOCUS = "#upload-path"
    BINDINGS = [
        Binding("tab", "complete_path", "Complete path", show=False, id="upload.complete_path"),
        Binding("f2", "submit", "Upload", id="upload.submit"),
        Binding("escape", "cancel", "Cancel", key_display="esc", id="upload.cancel"),
    ]

    def __init__(self, start_dir: str | None = None, *, path: str | None = None,
                 ask_kind: bool = False) -> None:
        super().__init__()
        self.start_dir = start_dir
        self.path = path
        self.ask_kind = ask_kind

    def compose(self) -> ComposeResult:
        with Vertical(id="upload-dialog", classes="dialog") as dialog:
            dialog.border_title = "Upload a file"
            yield Static(Text("File (tab completes the suggestion):"))
            start = (self.start_dir.rstrip("/") + "/") if self.start_dir else ""
            start = self.path if self.path is not None else start
            yield Input(value=start, suggester=PathSuggester(), id="upload-path")
            yield Static(Text(""), id="upload-guess")
            options = [("auto: guess from the file", AUTO)] + [(k, k) for k in UPLOAD_KINDS]
            yield Select(options, value=AUTO, allow_blank=False, id="upload-kind")
            yield Checkbox("Send complete when the parts are up", value=True, id="upload-complete")
            with Horizontal(id="upload-buttons"):
                yield Button("Upload (F2)", variant="primary", id="upload-go")
                yield Button("Cancel (esc)", id="upload-cancel")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.ask_kind and self.path:
            self.call_after_refresh(self._ask_for_kind, self.path)

    def _ask_for_kind(self, path: str) -> None:
        """Say the kind cannot be guessed and open the kind selector (the path stays)."""
        guess = self.query_one("#upload-guess", Static)
        guess.update(Text(inert_text(unguessable_line(path), one_line=True)))
        guess.add_class("-ask")
        kind = self.query_one("#upload-kind", Select)
        kind.focus()
        kind.action_show_overlay()

    def action_complete_path(self) -> None:
        """Tab takes the path suggestion, like a shell; with none, it moves focus on."""
        path = self.query_one("#upload-path", Input)
        if path.has_focus:
            value, selection = path.value, path.selection
            path.cursor_position = len(value)
            path.action_cursor_right()  # at the end of the value: takes the suggestion, if any
            if path.value != value:
                return
            path.selection = selection
        self.focus_next()

    @on(Input.Changed, "#upload-path")
    def _path_changed(self, event: Input.Changed) -> None:
        kind = guessed_kind(event.value.strip())
        label = f"Guessed kind: {kind}" if kind else "Kind: pick one below (not guessable)"
        guess = self.query_one("#upload-guess", Static)
        guess.update(Text(inert_text(label, one_line=True)))
        guess.remove_class("-ask")

    @on(Input.Submitted, "#upload-path")
    @on(Button.Pressed, "#upload-go")
    def action_submit(self) -> None:
        if self.answered:
            return
        path = os.path.expanduser(self.query_one("#upload-path", Input).value.strip())
        if not path:
            self.notify("Type the path of a file to upload.", severity="warning", markup=False)
            return
        kind = self.query_one("#upload-kind", Select).value
        if kind == AUTO and guessed_kind(path) is None:
            self._ask_for_kind(path)
            return
        complete = self.query_one("#upload-complete", Checkbox).value
        self.answer(UploadRequest(path, None if kind == AUTO else str(kind), bool(complete)))

    @on(Button.Pressed, "#upload-cancel")
    def action_cancel(self) -> None:
        self.answer(None)
