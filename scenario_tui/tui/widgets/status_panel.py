"""The highlighted upload's status, what the app is doing for it, and the last outcome.

The screen sets ``info`` (a ``StatusInfo``); the widget renders it. Errors show as a title and a
message; nothing here is parsed as markup.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import status_label


class StatusInfo(NamedTuple):  # immutable and compared by value, like a frozen dataclass
    upload_id: str | None = None
    status: str | None = None
    activity: str = ""
    outcome: str = ""
    error_title: str = ""
    error_message: str = ""
    stale: bool = False
    app_line: str = ""


class StatusPanel(Static):
    """Four lines: status, activity, then the outcome or the error (two lines, cut with …).

    The height is fixed: the list above keeps its size as the cursor moves between uploads with
    and without errors, and a new status is a repaint, never a layout of the whole screen.
    """

    HEIGHT = 4
    DEFAULT_CSS = """
    StatusPanel { height: 4; padding: 0 1; background: $panel; }
    StatusPanel.-error { background: $error 25%; }
    StatusPanel.-working { background: $accent 20%; }
    """

    info: reactive[StatusInfo] = reactive(StatusInfo)  # an equal value repaints nothing

    def on_mount(self) -> None:
        self.watch_info(self.info)  # the first value is drawn even if it equals the default

    def on_resize(self) -> None:
        self.watch_info(self.info)  # cut again for the new width

    def watch_info(self, info: StatusInfo) -> None:
        self.set_class(bool(info.error_title), "-error")
        self.set_class(bool(info.activity) and not info.error_title, "-working")
        text = Text()
        if info.upload_id:
            text.append(status_label(info.status), style="bold")
            text.append("  ")
            text.append(inert_text(info.upload_id, one_line=True))
            if info.stale:
                text.append("  (cached, not yet refreshed)", style="dim")
        else:
            text.append("No upload selected", style="dim")
        text.append("\n")
        text.append(inert_text(info.activity or info.app_line or "Idle.", one_line=True))
        text.append("\n")
        if info.error_title:
            text.append(inert_text(info.error_title, one_line=True) + ": ", style="bold")
            text.append(inert_text(info.error_message, one_line=True, limit=230))
        elif info.outcome:
            text.append(inert_text(info.outcome, one_line=True))
        self.update(self._fit(text), layout=False)

    def _fit(self, text: Text) -> Text:
        """At most HEIGHT lines at the current width, the last one ending in … when cut."""
        width = self.content_region.width
        if width <= 1:
            return text  # not laid out yet: on_resize cuts it
        lines = text.wrap(self.app.console, width)
        if len(lines) <= self.HEIGHT:
            return text
        kept = lines[: self.HEIGHT]
        last = kept[-1]
        last.truncate(width - 1)
        last.append("…")
        return Text("\n").join(kept)
