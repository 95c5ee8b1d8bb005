"""Issue 18: on a team store, the TUI's own words say the list is the team's. The note dialog,
the help screen's "where the data lives" and the remove confirmation said "kept only on this
machine", "a small SQLite file" and "the local list" whatever the store; a member removing
uploads from the team's list must know that everyone loses them. On a local store the words are
as before. The help screen also says where the list lives (a team store's address without its
password)."""

from __future__ import annotations

import pytest

from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.tui.screens.confirm_screen import ConfirmScreen
from scenario_tui.tui.screens.help_screen import HelpScreen
from scenario_tui.tui.screens.note_screen import NoteScreen
from tests.conftest import make_app, settle
from tests.tui.test_screens import one_line

PENDING = seeded_pending_ids(include_bad_file=False)
PASSWORD = "hunter2-not-shown"


def with_password(url: str) -> str:
    """``url`` with a password (the test cluster trusts its socket: it is not checked)."""
    scheme, rest = url.split("://", 1)
    user, at_rest = rest.split("@", 1)
    return f"{scheme}://{user}:{PASSWORD}@{at_rest}"


@pytest.fixture(params=["local", "team"])
def store_url(request) -> str | None:
    """None (a local store), or a team store on a fresh database, its URL with a password."""
    return None if request.param == "local" else with_password(request.getfixturevalue("pg_url"))


async def test_the_note_help_and_remove_say_whose_list_it_is(fake, tmp_path, store_url):
    team = store_url is not None
    app = make_app(fake, tmp_path, ids=PENDING[:2], store_url=store_url, watch=False)
    settings, service = app.settings, app.service
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)

            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, NoteScreen)
            placeholder = app.screen.query_one("#note-input").placeholder
            assert ("everyone sees it, with your name" in placeholder) == team
            assert ("kept only on this machine" in placeholder) == (not team)
            await pilot.press("escape")
            await pilot.pause()

            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            data = one_line(app.screen.query_one("#help-data"))
            assert ("kept in the team store" in data) == team
            assert ("SQLite file" in data) == (not team)
            shown = data.split("This list: ", 1)[1]
            if team:
                assert shown.startswith("postgresql://") and PASSWORD not in data
            else:
                assert shown.replace(" ", "") == str(settings.store_path)
            await pilot.press("escape")
            await pilot.pause()

            await pilot.press("d")
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmScreen)
            question = one_line(app.screen.query_one("#confirm-title"))
            assert ("for everyone on the team store" in question) == team
            assert ("the local list" in question) == (not team)
            await pilot.press("n")
            await settle(app, pilot)
            assert set(service.store.ids()) == set(PENDING[:2])  # nothing removed
    finally:
        service.store.close()
