"""The key bar and the status panel: what they show, and what a change costs (repaint or layout).

Driven with Textual's Pilot against the in-process fake API, like ``test_app``.
"""

from __future__ import annotations

from scenario_tui.widgets.filter_input import HOLD_MAX, FilterInput
from scenario_tui.widgets.key_bar import KeyBar
from scenario_tui.widgets.status_panel import StatusInfo, StatusPanel
from tests.conftest import make_app, settle


def count_layouts(screen):
    """Count the screen's layout passes from now on: (the list of them, a function to stop)."""
    layouts: list[int] = []
    original = screen._refresh_layout

    def counting(*args, **kwargs):
        layouts.append(1)
        return original(*args, **kwargs)

    screen._refresh_layout = counting
    return layouts, lambda: setattr(screen, "_refresh_layout", original)


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
            panel.info = StatusInfo(upload_id="up_x", status="pending", activity=f"Refreshing: {n}/5")
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
            return table.render_line(row)._segments[0].style

        focused = cursor_style()
        detail = app.main_screen.detail
        detail_background = detail.render_line(0)._segments[-1].style.bgcolor
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
        assert detail.render_line(0)._segments[-1].style.bgcolor != detail_background


async def test_typing_a_filter_never_lays_out_the_screen_and_never_leaves_it_held(fake, tmp_path):
    """Each typed character changes the input's text and the list (its length too): both are
    repaints, not layouts of the whole screen. The input holds the frame until the list is
    shown; nothing stays held after typing, escape, or a hold nobody releases."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        await pilot.press("slash")
        await settle(app, pilot)
        layouts, stop_counting = count_layouts(screen)
        for key in "pending":
            await pilot.press(key)
            await settle(app, pilot)
            assert app._batch_count == 0
        assert layouts == []
        listing = screen.table.listing
        assert listing.query.search == "pending" and 0 < listing.count() < len(fake.seeded_ids)
        await pilot.press("backspace", "backspace")
        await settle(app, pilot)
        assert screen.table.listing.query.search == "pendi" and layouts == []
        stop_counting()  # hiding the input lays the screen out, as it should
        await pilot.press("escape")
        await settle(app, pilot)
        assert app._batch_count == 0
        assert screen.table.listing.query.search == "" and screen.table.listing.count() == len(
            fake.seeded_ids)
        filt = screen.query_one("#filter-input", FilterInput)
        filt.hold_frame()
        assert app._batch_count == 1
        await pilot.pause(HOLD_MAX * 3)
        assert app._batch_count == 0  # released by its timer
