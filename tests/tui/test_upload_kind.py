"""Issue 17, ``U`` with a file whose kind cannot be guessed: F2 with "auto" keeps the dialog
open with the path, says so, and opens the kind selector; the file then goes up with the kind
picked. Nothing is sent before a kind is known."""

from __future__ import annotations

from textual.widgets import Input, Select

from scenario_tui.tui.screens.upload_screen import UploadScreen
from tests.conftest import make_app, settle


async def test_f2_with_an_unguessable_kind_asks_for_it_in_the_dialog(fake, tmp_path):
    data = tmp_path / "x.bin"
    data.write_bytes(b"\x00\x01" * 4096)
    app = make_app(fake, tmp_path, ids=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("U")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, UploadScreen)
        dialog.query_one("#upload-path", Input).value = str(data)
        await pilot.pause()
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.screen is dialog  # still open
        assert dialog.query_one("#upload-path", Input).value == str(data)
        guess = str(dialog.query_one("#upload-guess").render())
        assert "Cannot guess the kind of x.bin: pick one" in guess
        kind = dialog.query_one("#upload-kind", Select)
        assert kind.expanded and kind in app.focused.ancestors_with_self
        assert app.main_screen.service.store.count() == 0  # nothing created
        # the selector is open on "auto": down to "3d", "asset", "audio"; enter picks
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert kind.value == "audio"
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.screen is app.main_screen
        rows = app.main_screen.service.store.list()
        assert len(rows) == 1 and rows[0].kind == "audio" and rows[0].file_name == "x.bin"


async def test_a_guessable_file_goes_straight_up(fake, tmp_path):
    data = tmp_path / "clip.wav"
    data.write_bytes(b"RIFF" + b"\x00" * 2048)
    app = make_app(fake, tmp_path, ids=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("U")
        await pilot.pause()
        app.screen.query_one("#upload-path", Input).value = str(data)
        await pilot.pause()
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.screen is app.main_screen
        [row] = app.main_screen.service.store.list()
        assert row.kind == "audio"


async def test_the_uploader_refusing_the_kind_reopens_the_dialog_on_the_path(fake, tmp_path):
    """Should the uploader still find no kind (the dialog guessed otherwise), the dialog comes
    back on the same path asking for it, instead of a "pass --kind" toast."""
    data = tmp_path / "weird.bin"
    data.write_bytes(b"\x00" * 100)
    app = make_app(fake, tmp_path, ids=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        from scenario_tui.tui.screens.upload_screen import UploadRequest

        app.main_screen.upload_file(UploadRequest(str(data), None, True))
        await settle(app, pilot)
        assert isinstance(app.screen, UploadScreen)
        assert app.screen.query_one("#upload-path", Input).value == str(data)
        assert "Cannot guess the kind of weird.bin" in str(
            app.screen.query_one("#upload-guess").render())
        assert app.main_screen.service.store.count() == 0
