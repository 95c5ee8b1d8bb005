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
