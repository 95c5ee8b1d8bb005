"""Issue 17, mark helpers: ``*`` clears every mark in one press when any is set (else marks
every listed upload), ``p`` marks the pending ones, ``!`` the stuck ones (the diagnosis decides,
as for the count line), ``~`` inverts; the count line says how many are marked."""

from __future__ import annotations

from datetime import timedelta

from scenario_tui.core.diagnosis import diagnose_row
from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.widgets.count_line import CountLine
from tests.conftest import make_app, settle

PENDING = seeded_pending_ids(include_bad_file=False)


def marked(app) -> set[str]:
    return set(app.main_screen.table.marked)


def count_line(app) -> str:
    return str(app.main_screen.query_one(CountLine).render())


async def test_star_clears_every_mark_in_one_press_when_any_is_set(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        listed = set(app.main_screen.table.listing.ids())
        await pilot.press("space")
        assert len(marked(app)) == 1
        assert count_line(app).startswith("1 marked")
        await pilot.press("asterisk")  # some marked: one press clears them
        assert marked(app) == set()
        assert "marked" not in count_line(app)
        await pilot.press("asterisk")  # none marked: every listed upload
        assert marked(app) == listed
        assert count_line(app).startswith(f"{len(listed)} marked")
        await pilot.press("asterisk")
        assert marked(app) == set()


async def test_p_marks_the_listed_pending_uploads(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        store = app.main_screen.service.store
        pending = {row.id for row in store.list(status="pending")}
        assert pending and pending >= set(PENDING)
        await pilot.press("p")
        assert marked(app) == pending
        assert count_line(app).startswith(f"{len(pending)} marked")


async def test_p_keeps_to_the_filter(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *PENDING[0], "enter")
        await settle(app, pilot)
        await pilot.press("p")
        assert marked(app) == {PENDING[0]}


async def test_bang_marks_the_stuck_uploads_as_the_count_line_counts_them(fake, tmp_path):
    """``!`` marks exactly the uploads the diagnosis calls stuck, as many as the count line's
    "N stuck"; imported and failed ones are not; a filter narrows it."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        store = screen.service.store
        stuck = {row.id for row in store.list(snapshots=False)
                 if diagnose_row(row, screen.table.now).stuck}
        assert stuck and stuck >= set(PENDING)
        assert f"{len(stuck)} stuck" in count_line(app)
        await pilot.press("exclamation_mark")
        assert marked(app) == stuck
        assert count_line(app).replace(" · ", "·").startswith(
            f"{len(stuck)} marked·{len(stuck)} stuck")
        await pilot.press("asterisk", "slash", *"pending_1", "enter")
        await settle(app, pilot)
        await pilot.press("exclamation_mark")
        assert marked(app) == {PENDING[0]}


async def test_bang_follows_the_clock_of_the_list(fake, tmp_path):
    """An upload pending for minutes is not stuck; an hour and a half later it is."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        row = screen.service.store.get(PENDING[0])
        created = row.snapshot["createdAt"]
        from scenario_tui.core.timestamps import parse_time

        screen.table.now = parse_time(created) + timedelta(minutes=5)
        await pilot.press("exclamation_mark")
        assert PENDING[0] not in marked(app)
        screen.table.now = parse_time(created) + timedelta(hours=1.5)
        await pilot.press("exclamation_mark")
        assert PENDING[0] in marked(app)


async def test_tilde_inverts_the_listed_marks(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        listed = app.main_screen.table.listing.ids()
        first = app.main_screen.table.highlighted_id
        await pilot.press("space", "tilde")
        assert marked(app) == set(listed) - {first}
        await pilot.press("tilde")
        assert marked(app) == {first}


async def test_escape_and_remove_update_the_marked_count(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "space")
        assert count_line(app).startswith("2 marked")
        await pilot.press("escape")
        assert "marked" not in count_line(app)
        await pilot.press("space")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert marked(app) == set() and "marked" not in count_line(app)


async def test_only_p_and_bang_say_what_they_found(fake, tmp_path):
    """The count line is the feedback of ``*`` and ``~`` (no toast piling up over the list);
    ``p`` and ``!`` say how many they found and how many were new, or that none is."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("asterisk", "tilde", "tilde", "asterisk")
        assert [n for n in notifications(app) if n.title == "Marks"] == []
        pending = len(app.main_screen.service.store.list(status="pending"))
        await pilot.press("p", "p")
        said = [n.message for n in notifications(app) if n.title == "Marks"]
        assert said == [f"{pending} pending marked ({pending} new); {pending} marked in all.",
                        f"{pending} pending marked (0 new); {pending} marked in all."]
        await pilot.press("slash", *"imported_1", "enter")
        await settle(app, pilot)
        await pilot.press("exclamation_mark")
        said = [n.message for n in notifications(app) if n.title == "Marks"]
        assert said[-1] == "No listed upload is stuck."
