"""Issue 17, "nothing destroyed": the note dialog opens with the cursor at the end and nothing
selected (a key burst over SSH once replaced the whole note), ``ctrl+z`` gives back the note it
opened with, and the activity log keeps the old and the new text of every note change (the TUI
and the ``note`` command share the service's verb)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from scenario_tui.cli import main as cli
from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.service.uploads import note_change
from scenario_tui.tui import internals
from scenario_tui.tui.screens.note_screen import NoteScreen
from tests.conftest import make_app, select, settle

PENDING = seeded_pending_ids(include_bad_file=False)
OLD = "ticket #4711: stuck since Friday"


async def on_noted_upload(app, pilot):
    """The app settled, ``PENDING[0]`` noted ``OLD`` and highlighted; its store."""
    await settle(app, pilot)
    store = app.main_screen.service.store
    store.set_note(PENDING[0], OLD)
    app.main_screen.table.reload()
    await select(app, pilot, PENDING[0])
    return store


def burst(app, *keys: str) -> None:
    """``keys`` as a terminal delivers one read of them: all at once, no pause between."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        internals.send_as_terminal(app, event)


async def test_a_burst_of_end_and_text_appends_to_the_note(fake, tmp_path):
    """``end`` and the text arrive in one burst (as over SSH) just as the dialog opens: the
    old note survives and the text is appended, because nothing is selected when the dialog
    opens (the whole note was selected and the burst replaced it)."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        store = await on_noted_upload(app, pilot)
        await pilot.press("n")
        burst(app, "end", *"+ok")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert store.get(PENDING[0]).note == OLD + "+ok"


async def test_the_same_burst_through_pilot(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        store = await on_noted_upload(app, pilot)
        await pilot.press("n", "end", *" + called back", "enter")
        await settle(app, pilot)
        assert store.get(PENDING[0]).note == OLD + " + called back"


async def test_the_dialog_opens_with_the_cursor_at_the_end_and_nothing_selected(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_noted_upload(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        field = app.screen.query_one("#note-input", Input)
        assert field.has_focus
        assert field.cursor_position == len(OLD)
        assert field.selection.is_empty
        await pilot.press(*"!")  # typed after a pause too: appended, not a replacement
        assert field.value == OLD + "!"


async def test_ctrl_z_restores_the_note_the_dialog_opened_with(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        store = await on_noted_upload(app, pilot)
        await pilot.press("n", "ctrl+u", *"oops")
        await pilot.pause()
        field = app.screen.query_one("#note-input", Input)
        assert field.value == "oops"
        await pilot.press("ctrl+z")
        assert field.value == OLD and field.cursor_position == len(OLD)
        await pilot.press("enter")
        await settle(app, pilot)
        assert store.get(PENDING[0]).note == OLD


async def test_a_saved_note_logs_the_old_and_the_new_text(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        store = await on_noted_upload(app, pilot)
        await pilot.press("n", "ctrl+u", *'asked "Bob"', "enter")
        await settle(app, pilot)
        entry = next(e for e in store.events() if e.action == "note")
        assert (entry.upload_id, entry.outcome) == (PENDING[0], "ok")
        assert entry.message == '"ticket #4711: stuck since Friday" -> "asked \\"Bob\\""'


def test_note_change_quotes_shortens_and_names_empty_notes():
    assert note_change("", "new") == '"" -> "new"'
    assert note_change('say "hi"', "") == '"say \\"hi\\"" -> ""'
    assert note_change("a\\b", "c") == '"a\\\\b" -> "c"'
    long = note_change("x" * 500, "y")
    assert long.startswith('"' + "x" * 10) and '…" -> "y"' in long and len(long) < 260


def test_a_secret_across_the_cut_is_scrubbed_before_the_note_is_shortened():
    """A registered secret that the 120-character cut would split (so no longer recognised
    whole) is masked first: no piece of it reaches the log."""
    from scenario_tui.core.redact import register_secret

    secret = "Zq" + "9" * 30 + "kW"
    register_secret(secret)
    said = note_change("", "x" * 110 + " " + secret)
    assert "[redact" in said and "Zq" not in said  # the mask may be cut, never the secret


def test_the_note_command_logs_old_and_new_text_scrubbed(tmp_path, capsys):
    store = str(tmp_path / "store.db")
    assert cli.main(["--store", store, "add", "up_note_1", "--note", "first"]) == 0
    secret = "sk-" + "A" * 40
    assert cli.main(["--store", store, "note", "up_note_1",
                     f"token Authorization: Bearer {secret}"]) == 0
    capsys.readouterr()
    assert cli.main(["--store", store, "log", "--json"]) == 0
    out = capsys.readouterr().out
    assert '\\"first\\" -> \\"token Authorization: Bearer' in out
    assert secret not in out


def test_a_note_whose_log_entry_fails_is_not_saved(service):
    """The note and its log entry stand or fall together (one transaction): when the log
    refuses the entry, the note is as it was and the error is raised."""
    import sqlite3

    import pytest

    from scenario_tui.core import errors

    service.store.add(["up_keep"], note="before")
    with sqlite3.connect(service.store.path) as other:  # another connection: the log refuses
        other.execute("CREATE TRIGGER no_log BEFORE INSERT ON activity "
                      "BEGIN SELECT RAISE(ABORT, 'the log refuses'); END")
    with pytest.raises(errors.StoreError):
        service.set_note("up_keep", "after")
    assert service.store.get("up_keep").note == "before"
