"""The main screen's keys, written once: each binding beside the longer text that explains it.

``MainScreen.BINDINGS``, the help screen and the command palette are built from ``MAIN_KEYS``,
and a test holds the README's key table to the same rows. The order is the footer's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.keys import format_key
from textual.screen import Screen


@dataclass(frozen=True)
class Key:
    """A binding of the main screen and what it does, in a sentence."""

    binding: Binding
    help: str


MAIN_KEYS: tuple[Key, ...] = (
    Key(Binding("c", "complete", "Complete", id="main.complete"),
        "complete the highlighted upload, or every marked one (asks first; only pending ones "
        "are sent, the rest are listed as skipped with the reason)"),
    Key(Binding("r", "refresh", "Refresh", id="main.refresh"),
        "refresh the highlighted upload"),
    Key(Binding("R", "refresh_all", "Refresh all", id="main.refresh_all"),
        "refresh every listed upload (a few at a time; escape cancels)"),
    Key(Binding("a", "add", "Add IDs", id="main.add"),
        "add upload IDs: paste a ticket or a list; its ID-shaped words are taken (in URLs too) "
        "and previewed: new, known, ignored and why; enter adds"),
    Key(Binding("U", "upload", "Upload file", show=False, id="main.upload"),
        "upload a local file (path with completion, kind guessed); progress while the parts "
        "go up; then complete and follow"),
    Key(Binding("I", "import", "Import by URL", show=False, id="main.import"),
        "import by reference: a URL (with a kind), a Hugging Face model or a Civitai model"),
    Key(Binding("slash", "filter", "Filter", id="main.filter"),
        "filter by ID, file name, note or status; escape clears it"),
    Key(Binding("question_mark", "help", "Help", id="main.help"),
        "help: every key, the status symbols and where the data lives"),
    Key(Binding("s", "sort", "Sort", id="main.sort"),
        "cycle the sort: recently added, status, last update, ID, file name, size"),
    Key(Binding("space", "mark", "Mark", id="main.mark"),
        "mark or unmark the highlighted upload (the count line says how many are marked)"),
    Key(Binding("asterisk", "mark_all", "Mark all / clear", show=False, id="main.mark_all"),
        "with any upload marked, clear every mark; else mark every listed upload"),
    Key(Binding("p", "mark_pending", "Mark pending", show=False, id="main.mark_pending"),
        "mark the listed uploads that are pending (added to the marks)"),
    Key(Binding("exclamation_mark", "mark_stuck", "Mark stuck", show=False,
                id="main.mark_stuck"),
        "mark the listed uploads that are stuck, as the count line counts them (added to the "
        "marks)"),
    Key(Binding("tilde", "mark_invert", "Invert marks", show=False, id="main.mark_invert"),
        "invert the marks of the listed uploads"),
    Key(Binding("n", "note", "Note", show=False, id="main.note"),
        "edit the note of the highlighted upload"),
    Key(Binding("d", "remove", "Remove", show=False, id="main.remove"),
        "remove the highlighted or marked uploads from the list (asks first)"),
    Key(Binding("u", "undo", "Undo remove", show=False, id="main.undo"),
        "put the last removed uploads back in the list"),
    Key(Binding("y", "copy_id", "Copy ID", show=False, id="main.copy_id"),
        "copy the ID of the highlighted upload: through the terminal (OSC 52, over SSH too), "
        "into tmux's buffer inside tmux; else it is shown to copy by hand"),
    Key(Binding("Y", "copy_summary", "Copy summary", show=False, id="main.copy_summary"),
        "copy a plain-text summary of the highlighted or marked uploads, for a ticket (as y "
        "copies)"),
    Key(Binding("t", "take", "Take", show=False, id="main.take"),
        "take the highlighted or marked uploads for yourself (a claim of claim_minutes, 30 "
        "unless set, renewed while you act on them, ended by a complete that goes through): "
        "the list shows who holds each one; those another holds are left to them"),
    Key(Binding("T", "release", "Release", show=False, id="main.release"),
        "release your claims on the highlighted or marked uploads"),
    Key(Binding("i", "toggle_detail", "Details", show=False, id="main.toggle_detail"),
        "show or hide the detail pane"),
    Key(Binding("tab", "focus_next_pane", "Switch pane", show=False, id="main.switch_pane"),
        "move between the list and the details"),
    Key(Binding("w", "toggle_watch", "Watch", show=False, id="main.watch"),
        "watch mode on or off: unfinished uploads re-read in the background (every "
        "watch_interval seconds, less often while nothing changes); the header says how old "
        "the data is"),
    Key(Binding("L", "log", "Activity log", show=False, id="main.log"),
        "the activity log: every add, remove, note and complete, with outcome; enter shows an "
        "entry in full, with every ID a bulk entry touched"),
    Key(Binding("e", "error_details", "Error details", show=False, id="main.error_details"),
        "the last unexpected error in full (with its traceback, for a bug report)"),
    Key(Binding("escape", "cancel", "Cancel", show=False, id="main.cancel"),
        "stop a refresh under way; else clear the filter; else unmark every upload"),
    Key(Binding("q", "quit_app", "Quit", id="main.quit"),
        "quit (asks first if a complete or an upload is in flight)"),
)

LIST_HELP = {
    "table.up": "the upload above",
    "table.down": "the upload below",
    "table.page_up": "a page up",
    "table.page_down": "a page down",
    "table.first": "the first upload of the list",
    "table.last": "the last upload of the list",
}
"""What the list's own keys do (its ``BINDINGS`` say it in a word), by binding id."""

PALETTE_HELP = "the command palette: every command of this list, by name"


def key_display(binding: Binding) -> str:
    """The binding's keys as the footer shows them: ``r``, ``/``, ``↑ / k``."""
    if binding.key_display:
        return binding.key_display
    return " / ".join(format_key(key.strip()) for key in binding.key.split(","))


def help_rows(list_bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(key, what it does) of every key of the main screen, then of the list's own keys
    (``list_bindings``, its ``Binding`` objects), then of the command palette's."""
    rows = [(key_display(key.binding), key.help) for key in MAIN_KEYS]
    rows += [(key_display(binding), LIST_HELP.get(binding.id or "", binding.description))
             for binding in list_bindings if isinstance(binding, Binding)]
    rows.append((format_key(App.COMMAND_PALETTE_BINDING), PALETTE_HELP))
    return rows


def palette_commands(screen: Screen) -> Iterator[SystemCommand]:
    """A command for each key of ``MAIN_KEYS`` that ``screen`` allows now (read-only mode
    hides the mutating ones)."""
    for key in MAIN_KEYS:
        binding = key.binding
        if screen.check_action(binding.action, ()):
            yield SystemCommand(
                f"{binding.description} ({key_display(binding)})",
                key.help[:1].upper() + key.help[1:],
                getattr(screen, f"action_{binding.action}"),
            )
