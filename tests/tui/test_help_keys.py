"""Issue 17: every key is in help, the list's own ``j``/``k``/``g``/``G`` and the mark helpers
included, as the help screen shows them at 80x24."""

from __future__ import annotations

from textual.geometry import Region

from tests.conftest import make_app, settle


async def test_the_help_screen_lists_the_vi_keys_and_the_mark_helpers(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        keys = app.screen.query_one("#help-keys")
        strips = keys.render_lines(Region(0, 0, keys.size.width, keys.size.height))
        text = "\n".join(strip.text.strip() for strip in strips)
        for key, words in (("↑ / k", "the upload above"), ("↓ / j", "the upload below"),
                           ("home / g", "the first upload"), ("end / G", "the last upload"),
                           ("*", "clear every mark"), ("p", "pending"), ("!", "stuck"),
                           ("~", "invert the marks")):
            line = next((row for row in text.splitlines() if row.startswith(key + " ")), None)
            assert line is not None and words in line, (key, text)


async def test_end_on_the_help_jumps_to_its_last_line_at_once(fake, tmp_path, monkeypatch):
    """Scrolls are not animated (over SSH each frame of a glide is redrawn): ``end`` on the
    help shows its last line, the store's location, in the next frame. ``TEXTUAL_ANIMATIONS``
    set by the user still decides."""
    monkeypatch.delenv("TEXTUAL_ANIMATIONS", raising=False)
    app = make_app(fake, tmp_path)
    assert app.animation_level == "none"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        body = app.screen.query_one("#help-body")
        # end's action, called here: Pilot's press would wait for a glide to finish; one
        # pause later a glide is still under way (64.8 of 65 lines), a jump is done
        body.action_scroll_end()
        await pilot.pause()
        assert body.max_scroll_y > 20 and body.scroll_y == body.max_scroll_y
        data = app.screen.query_one("#help-data")
        assert body.region.contains_region(data.region)
        lines = [data.render_line(y).text.strip() for y in range(data.size.height)]
        assert lines[-1].endswith("store.db") and "This list:" in " ".join(lines[-2:])
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "full")
    assert make_app(fake, tmp_path).animation_level == "full"
