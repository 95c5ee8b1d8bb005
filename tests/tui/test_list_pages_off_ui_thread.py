"""The list on a team store reads no page on the UI thread (``tui.widgets.aside_reads``): a row
whose page is not read yet is drawn as a dim placeholder while the page is read in a thread
(once, one read at a time), then the real rows; ``G`` under a search counts in a thread, then
lands on the last row; a page that cannot be read leaves its placeholders and is said as any
failed read of the list is.

The list is made team-like (``read_aside``, as ``test_store_work_off_ui_thread`` does) on a
local store with more rows than a page; the store's page read (``list``) or a search's list of
matches (``search_seqs``) is held on a ``Gate`` (``test_keys_off_ui_thread``)."""

from __future__ import annotations

import contextlib

from scenario_tui.core import errors
from scenario_tui.store.listing import Listing, ListQuery
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.widgets.status_panel import StatusPanel
from scenario_tui.tui.widgets.upload_table import PLACEHOLDER
from tests.conftest import make_app, settle
from tests.kit import settle_until
from tests.tui.test_keys_off_ui_thread import Gate, help_meanwhile, until

PAGE = Listing.PAGE_SIZE


@contextlib.asynccontextmanager
async def team_like(fake, tmp_path, monkeypatch, rows: int):
    """The TUI on ``rows`` known uploads (no start-up refresh), settled, its list read aside:
    (app, pilot, table). The highlighted upload is not fetched from the API (it is not the
    fake's: its 404 would re-read the list, reads these tests do not count)."""
    ids = [f"up_paged_{i:05d}" for i in range(rows)]
    app = make_app(fake, tmp_path, ids=ids, watch=False, startup_refresh_cap=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(app.main_screen, "load_detail", lambda upload_id: None)
        table = app.main_screen.table
        table.read_aside = True  # as on a team store
        yield app, pilot, table


def shown(table, index: int) -> str:
    """The text the list draws for row ``index`` (on screen)."""
    return table.render_line(index - round(table.scroll_y) + 1).text


def placeholder(table, index: int) -> bool:
    return shown(table, index).strip() == PLACEHOLDER


def on_screen(table) -> range:
    first = round(table.scroll_y)
    return range(first, first + table.scrollable_content_region.height - 1)


def page_reads(app) -> list:
    """The page reads under way (``AsideReads``' workers)."""
    return [w for w in app.workers if w.group == "table-pages" and not w.is_finished]


async def test_past_the_first_page_placeholders_then_the_rows(fake, tmp_path, monkeypatch):
    """The cursor near the end of the first page: the next one is read ahead, in a thread,
    held here. ``j`` past the page's end moves at once onto placeholder rows (nothing
    highlighted, help opens meanwhile); released, the rows are drawn and the details follow the
    cursor's upload."""
    async with team_like(fake, tmp_path, monkeypatch, PAGE + 50) as (app, pilot, table):
        store = app.main_screen.service.store
        [expected] = store.list(sort="added", descending=True, limit=1, offset=PAGE + 2)
        gate = Gate(monkeypatch, store, "list")
        table.cursor = PAGE - 10
        await until(pilot, gate.entered.is_set)  # read ahead, before the cursor gets there
        await pilot.press(*"j" * 12)
        assert table.cursor == PAGE + 2  # every key answered, the read still held
        assert table.highlighted is None
        assert PAGE - 1 in on_screen(table)
        assert [placeholder(table, i) for i in on_screen(table)] == [
            i >= PAGE for i in on_screen(table)]  # the first page's rows are drawn
        await help_meanwhile(app, pilot)
        detail = app.main_screen.detail
        assert detail.reading_row and detail.row is None  # the pane says the row is coming
        assert "Reading this row from the team store" in detail.text
        gate.open()
        await settle_until(app, pilot, lambda: table.highlighted is not None)
        await settle(app, pilot)
        assert table.highlighted_id == expected.id
        assert expected.id in shown(table, PAGE + 2)
        assert not any(placeholder(table, i) for i in on_screen(table))
        assert app.main_screen.detail.row is not None
        assert app.main_screen.detail.row.id == expected.id
        assert gate.ran_off_ui and len(gate.threads) == 1


async def test_G_under_a_search_counts_in_a_thread_then_lands_on_the_last_row(
        fake, tmp_path, monkeypatch):
    """A search with more matches than its first read (``SEQ_PREFIX``), not counted to the end
    yet: ``G`` is answered (help opens meanwhile; the cursor waits where it is) while every
    match is listed in a thread; released, the cursor is on the last match, its row drawn."""
    monkeypatch.setattr(Listing, "SEQ_PREFIX", 120)
    async with team_like(fake, tmp_path, monkeypatch, 300) as (app, pilot, table):
        store = app.main_screen.service.store
        listing = Listing(store, ListQuery(search="paged"), defer_count=True).prime()
        table.set_listing(listing)
        await settle(app, pilot)
        assert not listing.count_known and listing.count() == 120
        gate = Gate(monkeypatch, store, "search_seqs")
        await pilot.press("G")
        await until(pilot, gate.entered.is_set)
        assert table.cursor == 0
        await help_meanwhile(app, pilot)
        assert table.cursor == 0 and not listing.count_known
        gate.open()
        await settle_until(app, pilot, lambda: table.highlighted is not None)
        await settle(app, pilot)
        assert listing.count_known and table.cursor == 299
        assert table.virtual_size.height == 301  # heading + every match
        assert table.highlighted_id == "up_paged_00000"  # the oldest: newest first
        assert "up_paged_00000" in shown(table, 299)
        assert gate.ran_off_ui


async def test_a_page_that_cannot_be_read_keeps_its_placeholders(fake, tmp_path, monkeypatch):
    """The team store gone: the page's read fails in its thread. No traceback, no error screen:
    the list says so as for any failed read of it (the status line, a toast), its rows read
    before stay, the unread ones stay placeholders, and the page is not read again meanwhile."""
    async with team_like(fake, tmp_path, monkeypatch, PAGE + 50) as (app, pilot, table):
        screen = app.main_screen
        lost = errors.TeamStoreConnectionLostError("The team store connection was lost.")
        gate = Gate(monkeypatch, screen.service.store, "list", error=lost)
        await pilot.press("G")
        await until(pilot, gate.entered.is_set)
        assert table.cursor == PAGE + 49 and placeholder(table, PAGE + 49)
        gate.open()
        await settle(app, pilot)
        await pilot.press("k", "k", "g", "G")
        await settle(app, pilot)
        assert len(gate.threads) == 1 and gate.ran_off_ui  # not read again
        assert app.screen is screen and app.return_code is None
        assert table.cursor == PAGE + 49 and table.highlighted is None
        assert not screen.detail.reading_row  # its read is over: the pane does not wait
        assert all(placeholder(table, i) for i in on_screen(table))
        assert table.listing.row(0, read=False) is not None  # the first page is still there
        assert screen.states.app_line == (f"{lost.title}: {lost.message} The list shows "
                                          "what was read before.")  # as store_failed says it
        assert "connection was lost" in str(screen.query_one(StatusPanel).render())
        assert any(n.title == lost.title for n in notifications(app))


async def test_no_page_is_read_twice(fake, tmp_path, monkeypatch):
    """Keys bouncing between the pages while a read is held (``G``, ``k``, ``g``, ``G``,
    page up): one read at a time, no other waiting behind it; released, each page missing is
    read once, never the same twice."""
    async with team_like(fake, tmp_path, monkeypatch, 2 * PAGE + 50) as (app, pilot, table):
        store = app.main_screen.service.store
        offsets: list[int] = []
        real_list = store.list

        def recorded(*args, **kwargs):
            offsets.append(kwargs.get("offset", 0))
            return real_list(*args, **kwargs)

        monkeypatch.setattr(store, "list", recorded)
        gate = Gate(monkeypatch, store, "list")
        await pilot.press("G")
        await until(pilot, gate.entered.is_set)
        await pilot.press("k", "g", "G", "pageup", "G", "k")
        await pilot.pause(0.1)
        assert len(gate.threads) == 1  # the one in flight; nothing else started meanwhile
        assert len(page_reads(app)) == 1  # nor waits to read it once this one is done
        gate.open()
        await settle_until(app, pilot, lambda: table.highlighted is not None)
        await settle(app, pilot)
        assert sorted(offsets) == sorted(set(offsets)) and 2 * PAGE in offsets
        assert gate.ran_off_ui
