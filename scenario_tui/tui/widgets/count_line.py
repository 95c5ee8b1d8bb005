"""One line under the list: how many known uploads are in each status, and how many are stuck
(``2 stuck · 3 pending · 1 validating · 2 failed``). The screen counts (in a thread) and sets
``text``; the widget only renders it, with markup off, tighter when the width is short."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scenario_tui.core.inert import inert_text


def fit_count_line(text: str, width: int) -> str:
    """``text`` as it fits ``width``: the separators tighten ("·" without spaces) before the
    end is cut with "…"."""
    if width <= 0 or len(text) <= width:
        return text
    text = text.replace(" · ", "·")
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class CountLine(Static):
    """Uploads by status, for the whole store (not only the rows a filter shows)."""

    DEFAULT_CSS = """
    CountLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    text: reactive[str] = reactive("")
    #: how many uploads are marked (the screen sets it); shown first when any
    marked: reactive[int] = reactive(0)

    def watch_text(self) -> None:
        self._show()

    def watch_marked(self) -> None:
        self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        text = inert_text(self.text, one_line=True)
        if self.marked:
            text = f"{self.marked} marked · {text}"
        shown = fit_count_line(text, self.content_region.width)
        self.update(Text(shown), layout=False)
