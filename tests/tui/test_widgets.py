"""The key bar and the status panel: what they show, and what a change costs (repaint or layout).

Driven with Textual's Pilot against the in-process fake API, like ``test_app``.
"""

from __future__ import annotations

from scenario_tui.tui.internals import frames_held, watch_frames
from scenario_tui.tui.widgets.filter_input import HOLD_MAX, FilterInput
from scenario_tui.tui.widgets.key_bar import KeyBar
from scenario_tui.tui.widgets.status_panel import StatusInfo, StatusPanel
from tests.conftest import make_app, settle


def count_layouts(screen):
    """Count the screen's layout passes from now on: (the list of them, a function to stop).
    Textual publishes ``screen_layout_refresh_signal`` after each one."""
    layouts: list[int] = []
    signal, counter = screen.screen_layout_refresh_signal, screen.app
    signal.subscribe(counter, lambda _screen: layouts.append(1), immediate=True)
    return layouts, lambda: signal.unsubscribe(counter)


def bar_text(screen) -> str:
    return str(screen.query_one(KeyBar).render())


async def test_key_bar_shows_the_focused_screens_keys_and_follows_focus(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        text = bar_text(app.screen)
        assert text.startswith(" c Complete  r Refresh  R Refresh all  a Add IDs  / Filter")
        assert " ? Help " in text  # visible at 80 columns, before the palette
        assert text.rstrip().endswith("│ ^p palette")
        assert len(text) == 80
        assert " U " not in text  # bindings with show=False stay out
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Close" in bar_text(app.screen) and "Complete" not in bar_text(app.screen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen
        assert bar_text(app.screen).startswith(" c Complete")


async def test_key_bar_hides_refused_actions_in_read_only_mode(fake, tmp_path):
    app = make_app(fake, tmp_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        text = bar_text(app.screen)
        assert "Complete" not in text and "Add IDs" not in text
        assert text.startswith(" r Refresh  R Refresh all  / Filter")


async def test_key_bar_crops_before_the_palette_and_a_click_presses_the_key(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(40, 24)) as pilot:
        await settle(app, pilot)
        text = bar_text(app.screen)
        assert len(text) == 40 and text.rstrip().endswith("│ ^p palette")
        bar = app.screen.query_one(KeyBar)
        # " c Complete  r Refresh " : the "r" hint spans cells 12 to 22
        before = fake.count("GET", f"uploads/{app.main_screen.table.highlighted_id}")
        await pilot.click(KeyBar, offset=(14, 0))
        await settle(app, pilot)
        assert bar.region.y == 23
        highlighted = app.main_screen.table.highlighted_id
        assert fake.count("GET", f"uploads/{highlighted}") > before


async def test_status_panel_keeps_its_height_and_cuts_a_long_error_with_an_ellipsis(fake,
                                                                                  tmp_path):
    """Progress and errors of any length repaint the panel, never lay out the screen (the list
    keeps its size); an error longer than two lines ends in …."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        panel = screen.query_one(StatusPanel)
        table_height = screen.table.size.height
        assert panel.size.height == StatusPanel.HEIGHT
        layouts, stop_counting = count_layouts(screen)
        for n in range(5):
            panel.info = StatusInfo(upload_id="up_x", status="pending",
                                    activity=f"Refreshing: {n}/5")
            await pilot.pause()
        assert "Refreshing: 4/5" in str(panel.render())
        long = "The API answered 422: " + "the part list does not match the file; " * 5
        panel.info = StatusInfo(upload_id="up_x", status="failed", error_title="Rejected",
                                error_message=long)
        await pilot.pause()
        shown = str(panel.render()).split("\n")
        assert len(shown) == StatusPanel.HEIGHT
        assert shown[2].startswith("Rejected: The API answered 422: the part list")
        assert shown[3].endswith("…") and len(shown[3]) <= panel.content_region.width
        short = StatusInfo(upload_id="up_x", status="failed", error_title="Not found",
                           error_message="Upload not found (HTTP 404).")
        panel.info = short
        await pilot.pause()
        assert str(panel.render()).split("\n")[2] == "Not found: Upload not found (HTTP 404)."
        assert layouts == []
        assert panel.size.height == StatusPanel.HEIGHT and screen.table.size.height == table_height


async def test_the_cursor_row_follows_focus_and_theme_changes(fake, tmp_path):
    """The table and the detail pane keep the styles they computed; a change of focus or theme
    must still restyle them (the styles are dropped when Textual restyles the widget)."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        row = 1 + table.cursor - round(table.scroll_y)

        def cursor_style():
            return list(table.render_line(row))[0].style

        focused = cursor_style()
        detail = app.main_screen.detail
        detail_background = list(detail.render_line(0))[-1].style.bgcolor
        await pilot.press("tab")  # the detail pane takes the focus
        await pilot.pause()
        assert not table.has_focus
        unfocused = cursor_style()
        assert unfocused != focused and unfocused.bgcolor != focused.bgcolor
        await pilot.press("tab")
        await pilot.pause()
        assert cursor_style() == focused
        assert app.theme != "nord"
        app.theme = "nord"  # another accent colour
        await pilot.pause()
        await pilot.pause()
        assert cursor_style() != focused
        assert list(detail.render_line(0))[-1].style.bgcolor != detail_background


async def test_typing_a_filter_lays_out_only_when_the_list_length_changes(fake, tmp_path):
    """Each typed character changes the input's text: a repaint, never a layout of the whole
    screen (``internals.NoLayoutInput``). The list's length is its virtual size, which Textual
    lays out when it changes (measured as fast as the in-place update it replaced: RESULTS.md,
    "Hooks re-measured"). The input holds the frame until the list is shown; nothing stays held
    after typing, escape, or a hold nobody releases."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        await pilot.press("slash")
        await settle(app, pilot)
        layouts, stop_counting = count_layouts(screen)
        count, laid_out, resized = screen.table.listing.count(), [], []
        for key in "pending":
            before = len(layouts)
            await pilot.press(key)
            await settle(app, pilot)
            assert frames_held(app) == 0
            resized.append(screen.table.listing.count() != count)
            laid_out.append(len(layouts) > before)
            count = screen.table.listing.count()
        assert any(resized) and not all(resized)  # the test sees both kinds of key
        assert [key for key, lay, size in zip("pending", laid_out, resized, strict=True)
                if lay and not size] == []
        listing = screen.table.listing
        assert listing.query.search == "pending" and 0 < listing.count() < len(fake.seeded_ids)
        before = len(layouts)
        await pilot.press("backspace", "backspace")
        await settle(app, pilot)
        assert screen.table.listing.query.search == "pendi"
        assert screen.table.listing.count() != count or len(layouts) == before
        stop_counting()  # hiding the input lays the screen out, as it should
        await pilot.press("escape")
        await settle(app, pilot)
        assert frames_held(app) == 0
        assert screen.table.listing.query.search == "" and screen.table.listing.count() == len(
            fake.seeded_ids)
        filt = screen.query_one("#filter-input", FilterInput)
        filt.hold_frame()
        assert frames_held(app) == 1
        await pilot.pause(HOLD_MAX * 3)
        assert frames_held(app) == 0  # released by its timer


async def test_the_clock_repaints_the_list_only_when_an_age_on_screen_changes(fake, tmp_path):
    """Ages are in minutes: the one-second tick repaints the list only when one reads
    differently (each repaint is a frame, and a key pressed just after one waits)."""
    from datetime import datetime, timedelta, timezone

    from scenario_tui.tui.widgets.upload_table import UploadTable

    updated = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
    ids = [f"up_clock_{i}" for i in range(3)]
    app = make_app(fake, tmp_path, ids=ids)
    for upload_id in ids:  # final: the start-up refresh leaves them alone
        app.service.store.record_snapshot(upload_id, {
            "id": upload_id, "status": "imported", "updatedAt": updated.isoformat()})
    # 100 columns: since issue 17 the age column gives way to the diagnosis below 88
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(UploadTable)
        repaints: list[int] = []
        original = table.refresh
        table.refresh = lambda *a, **k: (repaints.append(1), original(*a, **k))[1]
        table.now = updated + timedelta(seconds=5)
        table.tick(updated + timedelta(seconds=30))  # "just now" either way
        assert repaints == [] and table.now == updated + timedelta(seconds=30)
        table.tick(updated + timedelta(seconds=50))  # now "1 min ago"
        assert repaints == [1]
        await pilot.pause()
        assert "1 min ago" in table.render_line(1).text
        table.tick(updated + timedelta(seconds=55))
        assert repaints == [1]


def test_a_bulk_refresh_re_reads_the_rows_twice_a_second_but_not_just_after_a_key():
    from scenario_tui.tui.screens.refresh_actions import (
        KEY_QUIET,
        ROWS_AT_MOST,
        ROWS_EVERY,
        rows_due,
    )

    assert ROWS_EVERY < ROWS_AT_MOST and KEY_QUIET < ROWS_EVERY
    shown, no_key = 100.0, 0.0
    assert not rows_due(shown + ROWS_EVERY - 0.01, shown, no_key)
    assert rows_due(shown + ROWS_EVERY, shown, no_key)
    key = shown + ROWS_EVERY - 0.05  # a key just before the re-read was due
    assert not rows_due(shown + ROWS_EVERY, shown, key)
    assert rows_due(key + KEY_QUIET + 1e-9, shown, key)
    typing = shown + ROWS_AT_MOST - 0.01  # keys keep coming: the rows still move on
    assert not rows_due(typing, shown, typing)
    assert rows_due(shown + ROWS_AT_MOST, shown, shown + ROWS_AT_MOST)


async def test_the_main_screen_notes_when_a_key_was_pressed(fake, tmp_path):
    import time

    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main_screen
        assert main.key_at == 0.0
        before = time.monotonic()
        await pilot.press("down")
        assert before <= main.key_at <= time.monotonic()


async def test_a_moved_cursor_is_drawn_before_the_details_follow(fake, tmp_path):
    """The key's own frame shows the cursor at once; the detail pane (two to four times the
    cost) follows in the frame after, once however many moves came in between."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main_screen
        frames: list[tuple[int, str | None]] = []

        def frame() -> None:
            frames.append((main.table.cursor, main.detail.row.id if main.detail.row else None))

        watch_frames(app, frame)
        first = main.table.highlighted_id
        await pilot.press("down")
        await pilot.pause()
        moved = main.table.highlighted_id
        assert main.table.cursor == 1 and main.detail.row.id == moved != first
        first_moved = next(f for f in frames if f[0] != 0)
        assert first_moved[1] == first  # the cursor's frame: still the previous details
        assert frames[-1] == (1, moved)
        shows: list[int] = []
        show = main._show_highlighted
        main._show_highlighted = lambda: (shows.append(1), show())[1]
        for row in (2, 3, 4):  # three moves before the next frame
            main.table.cursor = row
        await pilot.pause()
        await pilot.pause()
        assert shows == [1] and main.detail.row.id == main.table.highlighted_id


async def test_the_detail_pane_repaints_only_when_what_it_shows_changes(fake, tmp_path):
    from scenario_tui.core.present import Section

    assert Section("A", [("x", "1")]) == Section("A", [("x", "1")]) != Section("A", [("x", "2")])
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        detail = app.main_screen.detail
        repaints: list[int] = []
        original = detail.refresh
        detail.refresh = lambda *a, **k: (repaints.append(1), original(*a, **k))[1]
        detail.show(detail.row, detail.upload, detail.follow)
        assert repaints == []
        detail.show(None, None)
        assert repaints
