"""Issue 17 in the TUI: a bulk entry of the activity log (``L``) says how many uploads it
touched and enter lists every ID; an upload that answered 404 is recorded in the store, so its
row reads "⊘ not found" (status, why, details, count line) in this session and the next one.
Pilot against the in-process fake; workers awaited, never slept on."""

from __future__ import annotations

import re

from textual.widgets import DataTable

from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens.log_screen import ActivityLogScreen, LogEntryScreen
from scenario_tui.tui.widgets.count_line import CountLine
from scenario_tui.tui.widgets.detail_pane import DetailPane
from scenario_tui.tui.widgets.upload_table import UploadTable
from tests.conftest import make_app, settle
from tests.kit import clone_pending, settle_until

GONE = "up_gone_for_good_1"
PENDING = "up_demo_pending_1"
TICKET = [f"up_ticket_{n:02d}" for n in range(1, 26)]  # a 25-ID ticket


def table_lines(app) -> list[str]:
    table = app.screen.query_one(UploadTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def text_of(widget) -> str:
    return str(widget.render())


async def open_log(app, pilot) -> DataTable:
    """``L`` from the main screen: the activity log's table."""
    await pilot.press("L")
    await pilot.pause()
    assert isinstance(app.screen, ActivityLogScreen)
    return app.screen.query_one("#log-table", DataTable)


async def test_a_bulk_entry_shows_its_count_and_enter_lists_every_id(fake, tmp_path):
    app = make_app(fake, tmp_path, ids=[PENDING])
    app.service.add(TICKET)  # one "25 added" entry, with its IDs
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = await open_log(app, pilot)
        screen = app.screen
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[1:4] == ["25 uploads", "add", "ok"] and row[5] == "25 added"
        detail = text_of(screen.query_one("#log-detail"))
        assert f"25 uploads: {TICKET[0]}, {TICKET[1]}, {TICKET[2]} … (enter: every ID)" in detail
        await pilot.press("enter")
        await pilot.pause()
        entry = app.screen
        assert isinstance(entry, LogEntryScreen)
        assert text_of(entry.query_one("#entry-ids")).splitlines() == TICKET
        assert "25 uploads:" in text_of(entry.query_one("#entry-ids-title"))
        assert "add ok · 25 uploads" in text_of(entry.query_one("#entry-title"))
        await pilot.press("end")  # the list scrolls to its last ID at 80x24
        await pilot.pause()
        assert entry.query_one("#entry-body").scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ActivityLogScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (ActivityLogScreen, LogEntryScreen))


async def test_a_bulk_complete_in_the_tui_leaves_one_summary_entry_with_its_ids(fake, tmp_path):
    """Marked, c, y: when every upload has ended, one log entry (the service's, as the CLI
    writes it) says what came of them with every ID; the toast says the same words."""
    ids = clone_pending(fake, 3, prefix="up_logged")
    fake.mark_bad_file(ids[0], "content type does not match")
    imported = next(i for i in fake.seeded_ids if fake.status_of(i) == "imported")
    app = make_app(fake, tmp_path, ids=[*ids, imported], watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.query_one(UploadTable).marked.update([*ids, imported])
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await settle_until(app, pilot, lambda: bool(notifications(app)))
        await settle(app, pilot)
        text = "3 sent: 2 imported, 1 failed; 1 not sent"
        assert [n.message for n in notifications(app)] == [f"{text}; see L"]
        summary = [e for e in app.service.store.events()
                   if e.action == "complete" and e.upload_id is None]
        assert len(summary) == 1
        assert summary[0].message == text and summary[0].outcome == "partial"
        assert sorted(summary[0].upload_ids) == sorted([*ids, imported])
        table = await open_log(app, pilot)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[1:4] == ["4 uploads", "complete", "partial"] and row[5] == text
        await pilot.press("enter")
        await pilot.pause()
        assert sorted(text_of(app.screen.query_one("#entry-ids")).splitlines()) == sorted(
            [*ids, imported])


async def test_enter_opens_an_entry_about_one_upload_too(fake, tmp_path):
    app = make_app(fake, tmp_path, ids=[PENDING])
    app.service.set_note(PENDING, "ticket 4711")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert str((await open_log(app, pilot)).get_row_at(0)[1]) == PENDING
        await pilot.press("enter")
        await pilot.pause()
        assert text_of(app.screen.query_one("#entry-ids")) == PENDING


async def test_the_logs_keys_move_between_entries_as_the_lists_do(fake, tmp_path):
    """end/G the oldest entry, home/g the newest, j/k one step, each shown in the detail below
    (the table's own end scrolled its columns sideways and left the entry where it was)."""
    app = make_app(fake, tmp_path, ids=[PENDING])
    for n in range(5):
        app.service.store.log_event(action="note", outcome="ok", upload_id=PENDING,
                                    message=f"entry number {n}")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = await open_log(app, pilot)
        screen = app.screen
        last = table.row_count - 1
        assert last == 4  # the five entries, newest first
        for keys, row in ((["end"], last), (["home"], 0), (["G"], last), (["k"], last - 1),
                          (["g"], 0), (["j", "j"], 2)):
            await pilot.press(*keys)
            await pilot.pause()
            assert (table.cursor_row, table.scroll_x) == (row, 0), keys
            message = str(table.get_row_at(row)[-1])
            assert message and message in text_of(screen.query_one("#log-detail")), keys


async def test_a_404_is_recorded_and_read_as_not_found_in_the_next_session(fake, tmp_path):
    """The row's status, why, the details and the count line say "not found", also after the
    app is started again (the store holds it, not the TUI)."""
    app = make_app(fake, tmp_path, ids=[GONE, PENDING])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the start-up refresh read both: GONE answered 404
        row = next(line for line in table_lines(app) if GONE in line)
        assert row.lstrip().startswith("⊘ not found"), row
        assert "1 not found" in app.screen.query_one(CountLine).text
        assert app.service.store.get(GONE).not_found_at is not None
    again = make_app(fake, tmp_path, ids=[])
    fake.faults.add(status=503, method="GET", count=None)  # no fresh answer this time
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(again, pilot)
        table = again.screen.query_one(UploadTable)
        table.cursor = next(i for i in range(table.listing.count())
                            if table.listing.row(i).id == GONE)
        await settle(again, pilot)
        row = next(line for line in table_lines(again) if GONE in line)
        assert row.lstrip().startswith("⊘ not found") and "? unknown" not in row
        assert re.search(r"not found \d\d:\d\d", row), row
        detail = again.screen.query_one(DetailPane).text
        assert re.search(r"not found \(checked \d\d:\d\d\)", detail), detail
        assert "never fetched" not in detail
        assert "1 not found" in again.screen.query_one(CountLine).text


# --- how it looks -------------------------------------------------------------------------------


def test_snapshot_a_404_row_reads_not_found(snap_compare, tmp_path):
    """80x24: the row of an ID the API does not know reads "⊘ not found" with the time it was
    checked (not "? unknown"), the details lead with it, the count line counts it."""
    from tests.tui.test_snapshots import build_app, go_to

    app, _ = build_app(tmp_path)
    app.service.store.add([GONE])
    assert snap_compare(app, terminal_size=(80, 24), run_before=go_to(GONE))


def test_snapshot_a_bulk_entry_in_full(snap_compare, tmp_path):
    """80x24: enter on the log's bulk entry of a 25-ID ticket: what, when, and its IDs, one a
    line."""
    from tests.tui.test_snapshots import build_app
    from tests.tui.test_snapshots import settle as settle_all

    app, _ = build_app(tmp_path)
    app.service.add(TICKET)

    async def run_before(pilot) -> None:
        await settle_all(pilot)
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_on_a_team_store_the_log_says_who_acted(fake, tmp_path, pg_url):
    """A team store's entries carry the database user who wrote them: ``L`` shows a Who
    column (a local store's log has none: see the first test) and the detail line names them."""
    from scenario_tui.cli.wiring import build_service
    from scenario_tui.tui.app import ScenarioApp
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, store_url=pg_url, watch=False)
    service = build_service(settings, transport=fake.transport())
    service.add(TICKET[:3])
    app = ScenarioApp(service, settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            table = await open_log(app, pilot)
            screen = app.screen
            assert [str(c.label) for c in table.columns.values()][:3] == ["Time", "Who", "Upload"]
            actor = service.store.actor
            assert actor and [str(cell) for cell in table.get_row_at(0)][1:4] == [
                actor, "3 uploads", "add"]
            assert f" · {actor} · 3 uploads" in text_of(screen.query_one("#log-detail"))
    finally:
        service.store.close()
