"""The base of every modal dialog: a centred, bordered box, and an answer given only once.

Textual calls a screen's result callback on every ``dismiss``; a key pressed twice before the
dialog has gone would otherwise answer twice (and, for the complete dialog, send twice).
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """Put the dialog's box in a container with ``classes="dialog"``; answer with ``answer``."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog .dialog {
        width: 100%;
        max-width: 76;
        height: auto;
        max-height: 90%;
        padding: 0 1;
        border: heavy $primary;
        border-title-style: bold;
        background: $surface;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._answered = False

    @property
    def answered(self) -> bool:
        return self._answered

    def answer(self, value: ResultType) -> None:
        """Dismiss with ``value``, unless the dialog has answered already."""
        if self._answered:
            return
        self._answered = True
        self.dismiss(value)
