"""Every field of the highlighted upload, grouped, plus its job and asset when known.

The screen sets ``row``, ``upload`` and ``follow`` through ``show`` (attributes down); this
widget only renders. It draws with the line API: ``show`` lays the sections out once into
lines for the current width, and scrolling or repainting only copies them, so moving the
cursor through the list never re-lays out the screen. All text is plain ``rich.text.Text``
(never parsed as markup).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from scenario_tui.core.present import Section, upload_sections

_GAP = 1  # cells between a label and its value


class DetailPane(ScrollView, can_focus=True):
    """Scrollable, grouped detail of one upload."""

    COMPONENT_CLASSES = {"detail-pane--title", "detail-pane--label", "detail-pane--error"}
    DEFAULT_CSS = """
    DetailPane { padding: 0 1; overflow-x: hidden; overflow-y: scroll; }
    DetailPane > .detail-pane--title { text-style: bold underline; }
    DetailPane > .detail-pane--label { text-style: bold; }
    DetailPane > .detail-pane--error { text-style: bold; color: $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.row = None
        self.upload = None
        self.follow = None
        self.loading_follow = False
        self.loading_upload = False
        self.reading_row = False  # no row: the cursor's row is being read from the team store
        self.now: datetime | None = None
        #: "claimed by ann (24 min left)", by upload ID (set by the screen; shown at the top)
        self.claims: dict[str, str] = {}
        self._sections: list[Section] = []
        self._lines: list[Strip] = []
        self._laid_out_for: tuple[int, int] | None = None  # (width, sections id) of _lines
        self._shown_id: str | None = None
        self._base: Style | None = None  # the pane's rich style, until Textual restyles it

    def show(self, row, upload, follow=None, *, loading_follow: bool = False,
             loading_upload: bool = False, reading_row: bool = False) -> None:
        self.row, self.upload, self.follow = row, upload, follow
        self.loading_follow, self.loading_upload = loading_follow, loading_upload
        self.reading_row = reading_row
        self.update_view()

    def update_view(self) -> None:
        now = self.now or datetime.now(timezone.utc)
        if self.row is None and self.upload is None:
            sections = [Section("", [("", "Reading this row from the team store…"
                                          if self.reading_row else "No upload selected.")])]
        else:
            sections = upload_sections(self.row, self.upload, now, self.follow)
            if self.follow is None and self.loading_follow:
                sections.append(Section("Job", [("", "loading…")]))
            if self.upload is None and self.loading_upload:
                sections.insert(0, Section("Status", [("", "loading…")]))
            elif self.upload is None and not getattr(self.row, "not_found_at", None):
                # (one that answered 404 leads with "not found (checked 10:02)" instead)
                sections.insert(0, Section("Status", [("", "never fetched: press r to fetch")]))
            claim = self.claims.get(getattr(self.row, "id", None) or "")
            if claim:
                sections.insert(0, Section("", [("", claim)]))
        if sections == self._sections:
            return  # the same picture: nothing to lay out or repaint
        self._sections = sections
        self._laid_out_for = None
        shown = getattr(self.row, "id", None) or getattr(self.upload, "id", None)
        if shown != self._shown_id:  # another upload: start at its top
            self._shown_id = shown
            self.scroll_to(y=0, animate=False)
        self._lay_out()

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (every line, not only the visible ones)."""
        self._lay_out()
        return "\n".join(strip.text.rstrip() for strip in self._lines)

    def on_resize(self) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        width = self.scrollable_content_region.width
        key = (width, id(self._sections))
        if width <= 0 or key == self._laid_out_for:
            return
        self._laid_out_for = key
        console = self.app.console
        title = self.get_component_rich_style("detail-pane--title", partial=True)
        label_style = self.get_component_rich_style("detail-pane--label", partial=True)
        error = self.get_component_rich_style("detail-pane--error", partial=True)
        lines: list[Strip] = []
        for section in self._sections:
            if section.title:
                lines.append(_strip(Text(section.title, style=title), console, width))
            label_width = max((len(label) for label, _ in section.rows), default=0)
            value_width = max(width - label_width - _GAP, 8) if label_width else width
            for label, value in section.rows:
                value_style = error if label == "Error" else Style()
                for index, piece in enumerate(wrap(value, value_width)):
                    head = label if index == 0 else ""
                    line = Text(head.ljust(label_width + (_GAP if label_width else 0)),
                                style=label_style)
                    line.append(piece, style=value_style)
                    lines.append(_strip(line, console, width))
        self._lines = lines
        self.virtual_size = Size(width, len(lines))
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        base = self._base
        if base is None:  # computed from the CSS and every ancestor: once, not once a line
            base = self._base = self.rich_style
        if 0 <= index < len(self._lines):
            return self._lines[index].crop_extend(0, width, base).apply_style(base)
        return Strip.blank(width, base)


def wrap(value: str, width: int) -> list[str]:
    """``value`` in lines of at most ``width`` cells: at spaces, and inside a long word (a URL)
    after a '/', '?' or '&' where one falls in the last third of the line, else anywhere."""
    lines: list[str] = []
    for paragraph in value.split("\n"):
        line = ""
        for word in re.split(r"(?<= )", paragraph):  # each word keeps its trailing space
            if cell_len(line + word.rstrip()) <= width:
                line += word
                continue
            if line.strip():
                lines.append(line.rstrip())
                line = ""
            while cell_len(word.rstrip()) > width:
                cut = _cut(word, width)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line.rstrip())
    return lines


def _cut(word: str, width: int) -> int:
    """Where to break ``word``, longer than ``width`` cells."""
    fits = width
    while fits > 1 and cell_len(word[:fits]) > width:
        fits -= 1
    breaks = [i + 1 for i, char in enumerate(word[:fits]) if char in "/?&"]
    if breaks and breaks[-1] >= fits * 2 // 3:
        return breaks[-1]
    return max(fits, 1)


def _strip(text: Text, console, width: int) -> Strip:
    text.no_wrap = True
    text.overflow = "crop"
    segments = [s for s in text.render(console) if s.text != "\n"]
    return Strip(Segment.adjust_line_length(segments, width))
