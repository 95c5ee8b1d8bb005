"""``a`` with a pasted ticket: the dialog previews what will be added, what is already known and
what was ignored and why; enter adds, escape cancels. Which IDs are known is read in one read,
in a thread (a team store may be a round trip away): keys are answered meanwhile. Driven with
Pilot on the in-process fake."""

from __future__ import annotations

from textual import events
from textual.widgets import Button, Static, TextArea

from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens.add_screen import AddIdsScreen
from tests.conftest import make_app, settle
from tests.kit import settle_until

PENDING = seeded_pending_ids(include_bad_file=False)

TICKET = f"""Hi team,

Customer 12345 says these never finished since Friday:
- {PENDING[0]}.
- ({PENDING[1]}), see https://app.scenario.com/uploads/{PENDING[2]}?tab=details&x=1
- {PENDING[1]}: same as above
Thanks!
"""


def preview(app) -> str:
    """The preview as drawn, its wrapped lines joined with spaces."""
    widget = app.screen.query_one("#add-report", Static)
    return " ".join(line.text.strip() for line in widget.render_lines(widget.region.reset_offset)
                    if line.text.strip())


async def paste_ticket(app, pilot) -> None:
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(app.screen, AddIdsScreen)
    app.screen.query_one("#add-text", TextArea).post_message(events.Paste(TICKET))
    await settle_until(app, pilot, lambda: "checking" not in preview(app))


async def test_a_pasted_ticket_is_previewed_then_enter_adds_only_its_ids(fake, tmp_path):
    """``a``, paste, enter: the two new IDs are added (the known one is said to be known), no
    prose word becomes an upload, and the preview said so before anything was added."""
    app = make_app(fake, tmp_path, ids=[PENDING[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        store = app.main_screen.service.store
        await paste_ticket(app, pilot)
        shown = preview(app)
        assert f"Will add 2: {PENDING[1]}, {PENDING[2]}" in shown
        assert f"Already known 1: {PENDING[0]}" in shown
        assert f"Repeated 1 (taken once): {PENDING[1]}" in shown
        assert "Ignored " in shown and "not shaped like an upload ID" in shown
        assert "Hi, team, Customer" in shown
        assert "Refused" not in shown
        assert store.ids() == [PENDING[0]]  # nothing added before enter
        assert app.screen.focused is app.screen.query_one("#add-submit", Button)
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, AddIdsScreen)
        assert sorted(store.ids()) == sorted(PENDING[:3])
        assert store.get(PENDING[1]).status == "pending"  # fetched after adding
        toast = [n.message for n in notifications(app) if n.title == "Added"][-1]
        assert "2 added, 1 already known" in toast and "words ignored" in toast


async def test_escape_after_the_preview_adds_nothing(fake, tmp_path):
    app = make_app(fake, tmp_path, ids=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await paste_ticket(app, pilot)
        assert "Will add 3" in preview(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, AddIdsScreen)
        assert app.main_screen.service.store.ids() == []


async def test_a_paste_without_ids_keeps_the_text_focused_and_says_why(fake, tmp_path):
    """Prose alone: nothing to add, the words are named as ignored, enter types a newline."""
    app = make_app(fake, tmp_path, ids=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        area = app.screen.query_one("#add-text", TextArea)
        area.post_message(events.Paste("Hi team, order 12345 failed on Friday: - see below"))
        await pilot.pause()
        shown = preview(app)
        assert "Nothing new to add." in shown and "Hi, team, order, 12345, failed, on" in shown
        assert app.screen.query_one("#add-submit", Button).disabled
        assert app.screen.focused is area
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, AddIdsScreen)
        assert app.main_screen.service.store.ids() == []


async def test_which_ids_are_known_is_read_in_one_read_in_a_thread(fake, tmp_path, monkeypatch):
    """While the store is slow to say which pasted IDs it has, the preview says it is
    checking (counting every ID as new, at most), the text can still be edited, and the
    store is asked once, off the UI thread; then the preview says which are known."""
    import threading

    app = make_app(fake, tmp_path, ids=[PENDING[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        store = app.main_screen.service.store
        real, opened, calls = store.known_of, threading.Event(), []

        def slow(upload_ids):
            calls.append((threading.get_ident(), list(upload_ids)))
            opened.wait(5)
            return real(upload_ids)

        monkeypatch.setattr(store, "known_of", slow)
        await pilot.press("a")
        await pilot.pause()
        area = app.screen.query_one("#add-text", TextArea)
        area.post_message(events.Paste(TICKET))
        await pilot.pause()
        assert "Will add up to 3 (checking which are already known…)" in preview(app)
        area.focus()
        await pilot.press("x")  # typed while the store is read
        assert area.text.endswith("x")
        opened.set()
        await settle_until(app, pilot, lambda: "checking" not in preview(app))
        assert f"Already known 1: {PENDING[0]}" in preview(app)
        assert [ids for _, ids in calls] == [[PENDING[0], PENDING[1], PENDING[2]]]
        assert threading.get_ident() not in {thread for thread, _ in calls}
