"""The list of known uploads: a line-API widget that renders only the rows on screen.

It reads rows from a ``Listing`` (pages from the store), so its cost does not grow with the
number of known uploads. It owns the cursor; the screen owns marks and in-flight state and sets
them as attributes. Moving the cursor posts ``UploadTable.Highlighted``. With ``read_aside`` (a
team store) it reads nothing on the UI thread after its first frame: ``AsideReads`` reads in
threads, and a row not read yet is drawn as a dim placeholder meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from scenario_tui.core.diagnosis import diagnose_row
from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import relative, row_status, status_label
from scenario_tui.core.units import human_size
from scenario_tui.store.listing import Listing
from scenario_tui.store.rows import KnownUpload
from scenario_tui.tui.kept_listing import KEPT_LABEL
from scenario_tui.tui.widgets.aside_reads import AsideReads

#: real upload IDs are 25 characters; a longer one widens the column
ID_WIDTH = 25
BUSY_SYMBOLS = {"completing": "»", "refreshing": "↻", "polling": "…", "queued": "·"}
#: a row not read yet (``read_aside``), in the status column
PLACEHOLDER = "…"


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)


class UploadTable(ScrollView, can_focus=True):
    """Rows of known uploads with a cursor, marks and in-flight markers."""

    COMPONENT_CLASSES = {
        "upload-table--header",
        "upload-table--cursor",
        "upload-table--marked",
        "upload-table--failed",
        "upload-table--pending",
        "upload-table--done",
        "upload-table--stale",
    }
    DEFAULT_CSS = """
    UploadTable { background: $surface; overflow-x: hidden; overflow-y: scroll; }
    UploadTable > .upload-table--header { text-style: bold; background: $panel; }
    UploadTable > .upload-table--cursor { background: $accent 40%; text-style: bold; }
    UploadTable:focus > .upload-table--cursor { background: $accent; color: $text; }
    UploadTable > .upload-table--marked { text-style: bold; color: $warning; }
    UploadTable > .upload-table--failed { color: $error; }
    UploadTable > .upload-table--pending { color: $warning; }
    UploadTable > .upload-table--done { color: $success; }
    UploadTable > .upload-table--stale { text-style: dim; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "edge(0)", "First", show=False, id="table.first"),
        Binding("end,G", "edge(1)", "Last", show=False, id="table.last"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Reloaded(Message):
        """The rows were re-read: what the store holds may have changed (counts, statuses).
        ``aside``: they were read in a thread (``read_aside``), after the caller of ``reload``
        had moved on: the highlighted row may read differently now."""

        def __init__(self, aside: bool = False) -> None:
            super().__init__()
            self.aside = aside

    class Highlighted(Message):
        """The cursor moved onto another upload (``upload_id`` None when the list is empty)."""

        def __init__(self, upload_id: str | None, row: KnownUpload | None) -> None:
            super().__init__()
            self.upload_id = upload_id
            self.row = row

    def __init__(self, listing: Listing, *, read_aside: bool = False, name: str | None = None,
                 id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(name=name, id=id)
        self.listing = listing
        #: ``reload``, the pages scrolled to and ``G``'s count read in threads, the rows read
        #: before shown meanwhile (a team store: each read is a round trip to a server, which
        #: the UI thread must not wait for)
        self.read_aside = read_aside
        self._aside = AsideReads(self)
        self.marked: set[str] = set()
        self.busy: Mapping[str, str] = {}  # the screen's read-only view of work in flight
        self.fresh: set[str] = set()
        #: who holds a claim on an upload, by ID ("@ann", "@me"; set by the screen)
        self.claim_marks: Mapping[str, str] = {}
        self.now: datetime = datetime.now(timezone.utc)
        self._last_highlight: str | None = None
        #: rich styles by component (and row styles by kind), until the CSS changes: Textual
        #: computes each one from the CSS and every ancestor's background, a large part of the
        #: cost of drawing a row, and the table is redrawn several times a second while a bulk
        #: refresh answers (bench/RESULTS.md, session 3, "Cheaper repaints")
        self._styles: dict[object, Style] = {}
        self._widths: tuple[int, list[tuple[str, int]]] | None = None
        self._id_width = ID_WIDTH

    # --- data ------------------------------------------------------------------------------

    def set_listing(self, listing: Listing, keep: str | None = None, *,
                    stay: bool = False) -> None:
        """Show another listing (new filter or sort), keeping ``keep`` highlighted if present,
        else the cursor at the top (``stay``: where it is). Whoever heard the failed reads of
        the listing shown hears those of this one."""
        listing.on_failure = listing.on_failure or self.listing.on_failure
        self.listing = listing
        index = listing.cached_index_of(keep) if keep else None
        self._resize_virtual()
        self.cursor = index if index is not None else self.cursor if stay else 0
        self.refresh()

    def reload(self) -> None:
        """Re-read the rows (after a snapshot, add, remove ...), keeping the highlighted ID.
        With ``read_aside``, in a thread: the rows shown stay until the new ones are read (once
        more at most, however many calls come meanwhile)."""
        if self.read_aside:
            self._aside.reread()
            return
        keep = self.highlighted_id
        self.listing.invalidate()
        self._resize_virtual()
        cursor = self.cursor
        if keep is not None:
            self.listing.row(cursor)
            index = self.listing.cached_index_of(keep)
            if index is not None:
                cursor = index
        self.cursor = min(cursor, max(self.listing.count() - 1, 0))  # one watch_cursor
        self.post_message(self.Reloaded())

    def show_reread(self, fresh: Listing) -> None:
        """``fresh``, the list read again aside, shown instead (the cursor kept on its upload)."""
        self.set_listing(fresh, self.highlighted_id, stay=True)
        self.post_message(self.Reloaded(aside=True))

    def rows_arrived(self) -> None:
        """A page read aside came: its rows drawn, the cursor's upload highlighted if it was
        waiting for it."""
        self._resize_virtual()  # a search's count may be exact now
        self.refresh()
        self._highlight(again=False)

    def show_claims(self, marks: Mapping[str, str]) -> None:
        """Who holds each claim (``claim_marks``); the Who column shows only while any does."""
        if marks != self.claim_marks:
            self.claim_marks, self._widths = dict(marks), None
            self.refresh()

    def listing_counted(self) -> None:
        """The listing's count became exact (a search's every match was read)."""
        self._resize_virtual()
        self.refresh()

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self.size.width, self.listing.count() + 1)

    def _row(self, index: int) -> KnownUpload | None:
        """The row at ``index``; with ``read_aside``, None until its page is read (aside)."""
        return self.listing.row(index, read=not self.read_aside)

    @property
    def highlighted(self) -> KnownUpload | None:
        return self._row(self.cursor)

    @property
    def reading_highlighted(self) -> bool:
        """Whether the cursor's row is a placeholder whose page is being read (aside)."""
        return (self.read_aside and self.highlighted is None
                and not self.listing.page_read(self.cursor))

    @property
    def highlighted_id(self) -> str | None:
        row = self.highlighted
        return row.id if row else None

    def tick(self, now: datetime) -> None:
        """The clock moved on to ``now``: repaint only if an age (or a diagnosis) on screen reads
        differently (ages are in minutes; a repaint each second was a frame for nothing, and a
        key pressed just after a frame waits for Textual's next frame slot)."""
        before, self.now = self.now, now
        first = round(self.scroll_y)
        shown = range(first, min(first + max(self.size.height - 1, 0), self.listing.count()))
        for index in shown:
            row = self._row(index)
            if row is not None and row.updated_at and (
                    relative(row.updated_at, before) != relative(row.updated_at, now)
                    or diagnose_row(row, before).short != diagnose_row(row, now).short):
                self.refresh()
                return

    # --- cursor ----------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        count = self.listing.count()
        return 0 if count == 0 else min(max(value, 0), count - 1)

    def watch_cursor(self, value: int) -> None:
        self._keep_cursor_in_view()
        if self.read_aside:
            self._aside.want()  # the pages near the cursor, before they are scrolled to
        self.refresh()
        self._highlight(again=True)

    def _highlight(self, *, again: bool) -> None:
        """Post ``Highlighted`` if the cursor's upload changed (``again``: also when it has
        none, a placeholder's included)."""
        row = self._row(self.cursor)
        upload_id = row.id if row else None
        if upload_id != self._last_highlight or (again and upload_id is None):
            self._last_highlight = upload_id
            self.post_message(self.Highlighted(upload_id, row))

    def _keep_cursor_in_view(self) -> None:
        body = max(self.scrollable_content_region.height - 1, 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(self.scrollable_content_region.height - 2, 1)

    def action_edge(self, end: int) -> None:
        if end and not self.listing.count_known:  # the last row, not the last read so far
            if self.read_aside:
                self._aside.count_then_end()  # the cursor waits where it is meanwhile
                return
            self.listing.finish_count()
            self.listing_counted()
        self.cursor = self.listing.count() - 1 if end else 0

    def on_mount(self) -> None:
        if self.read_aside:
            self._aside.read_first()

    def on_resize(self) -> None:
        self._resize_virtual()

    def on_click(self, event) -> None:
        row = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and row < self.listing.count():
            self.cursor = row

    # --- rendering -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, component: str) -> Style:
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = (
                self.rich_style if not component else self.get_component_rich_style(component))
        return style

    def _columns(self, width: int) -> list[tuple[str, int]]:
        if self._widths is None or self._widths[0] != width:
            self._widths = (width, self._lay_out_columns(width))
        return self._widths[1]

    def _lay_out_columns(self, width: int) -> list[tuple[str, int]]:
        """(name, width) for the current width: the ID column fits the longest ID seen (never
        cut); narrow terminals drop the less useful columns whole rather than print "2 …"."""
        cols = {"mark": 1, "status": 12, "id": self._id_width, "why": 18, "file": 24, "kind": 6,
                "size": 9, "age": 10}
        if self.claim_marks:  # who holds a claim, after the ID: the diagnosis gives way
            who = ("who", max(3, min(max(map(len, self.claim_marks.values())), 9)))
            cols = dict([*list(cols.items())[:3], who, *list(cols.items())[3:]])
        extra = self._id_width - ID_WIDTH
        for name, below in (("kind", 120), ("size", 100), ("age", 88), ("file", 74),
                            ("why", 56)):
            if width < below + extra:
                del cols[name]
        used = sum(w + 1 for w in cols.values())
        if "file" in cols and width - used < 12:  # give the note some room before the file name
            cols["file"] = max(cols["file"] - (12 - (width - used)), 16)
            used = sum(w + 1 for w in cols.values())
        if "why" in cols and used > width:  # the diagnosis gives way before the ID
            cols["why"] = max(cols["why"] - (used - width), 10)
            used = sum(w + 1 for w in cols.values())
        note = width - used
        result = list(cols.items())
        if note >= 4:
            result.append(("note", note))
        return result

    def _cells(self, row: KnownUpload) -> dict[str, str]:
        busy = self.busy.get(row.id)
        if len(row.id) > self._id_width:  # a longer ID than any so far: widen, never cut
            self._id_width, self._widths = len(row.id), None
            self.refresh()
        mark = "*" if row.id in self.marked else ""
        status = status_label(row_status(row))  # "⊘ not found" when it last answered 404
        if busy:
            status = f"{BUSY_SYMBOLS.get(busy, '…')}{status[1:]}"
        why = diagnose_row(row, self.now).short
        if row.id in getattr(self.listing, "kept_ids", ()):  # a bulk action's row, past the filter
            why = KEPT_LABEL
        return {
            "mark": mark,
            "who": self.claim_marks.get(row.id, ""),
            "status": status,
            "id": row.id,
            "why": why,
            "file": inert_text(row.file_name or "", one_line=True),
            "kind": inert_text(row.kind or "", one_line=True),
            "size": human_size(row.file_size),
            "age": relative(row.updated_at, self.now) if row.updated_at else "",
            "note": inert_text(row.note or "", one_line=True),
        }

    _HEADINGS = {"mark": "", "status": "Status", "id": "Upload ID", "who": "Who",
                 "why": "Why",
                 "file": "File", "kind": "Kind", "size": "Size", "age": "Updated", "note": "Note"}

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        cols = self._columns(width)
        if y == 0:
            text = " ".join(_fit(self._HEADINGS[name], w) for name, w in cols)
            style = self._style("upload-table--header")
            return Strip([Segment(_fit(text, width), style)]).simplify()
        index = round(self.scroll_y) + y - 1
        count = self.listing.count()
        row = self._row(index) if index < count else None
        if row is None:
            if index < count and self.read_aside:  # its page is read aside (or failed to be)
                self._aside.want_soon()
                text = " ".join(_fit(PLACEHOLDER if name == "status" else "", w)
                                for name, w in cols)
                return Strip([Segment(_fit(text, width), self._placeholder_style(
                    index == self.cursor))])
            if index == 0 and count == 0:
                empty = "No uploads match." if self.listing.query.search else (
                    "No known uploads yet: press a to add IDs."
                )
                return Strip([Segment(_fit(empty, width), self._style(""))])
            return Strip.blank(width, self._style(""))
        cells = self._cells(row)
        base = self._row_style(row, index == self.cursor)
        text = " ".join(_fit(cells[name], w) for name, w in cols)
        return Strip([Segment(_fit(text, width), base)])

    def _placeholder_style(self, cursor: bool) -> Style:
        style = self._styles.get(("placeholder", cursor))
        if style is None:
            style = self._style("") + self._style("upload-table--stale")
            if cursor:
                style += self._style("upload-table--cursor")
            self._styles[("placeholder", cursor)] = style
        return style

    def _row_style(self, row: KnownUpload, cursor: bool) -> Style:
        kind = {"failed": "upload-table--failed", "pending": "upload-table--pending",
                "imported": "upload-table--done", "not found": "upload-table--failed",
                }.get(row_status(row) or "")
        key = (kind, row.id in self.marked, row.id not in self.fresh, cursor)
        style = self._styles.get(key)
        if style is None:
            style = self._style("")
            for component, wanted in ((kind or "", kind is not None),
                                      ("upload-table--marked", key[1]),
                                      ("upload-table--stale", key[2]),
                                      ("upload-table--cursor", cursor)):
                if wanted:
                    style += self._style(component)
            self._styles[key] = style
        return style
