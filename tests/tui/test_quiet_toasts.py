"""Quiet, then one summary: background reads never toast, a bulk complete toasts once, no
toast covers a dialog, and the rows a bulk complete acted on stay in view under a filter."""

from __future__ import annotations

from scenario_tui.tui.internals import notifications
from scenario_tui.tui.kept_listing import KEPT_LABEL, KeptListing
from scenario_tui.tui.widgets.status_panel import StatusPanel
from scenario_tui.tui.widgets.upload_table import UploadTable
from tests.conftest import make_app, settle
from tests.kit import clone_pending, settle_until

MISSING = ["up_gone_00001", "up_gone_00002", "up_gone_00003"]


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in notifications(app)]


def table(app) -> UploadTable:
    return app.main_screen.query_one(UploadTable)


def status_text(app) -> str:
    return str(app.main_screen.query_one(StatusPanel).render())


def drawn(app) -> str:
    return app.export_screenshot().replace("&#160;", " ")


def listed(app) -> list[str]:
    t = table(app)
    return [t.listing.row(i).id for i in range(t.listing.count())]


async def test_background_404s_make_no_toast_at_start_or_under_the_cursor(fake, tmp_path):
    """Never-fetched IDs the API does not know: the start-up refresh and the cursor moving over
    them say "Not found" in the status widget, one row at a time, never in a toast."""
    app = make_app(fake, tmp_path, ids=MISSING, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for _ in MISSING:
            await pilot.press("j")
            await settle(app, pilot)
        assert toasts(app) == []
        assert "Not found" in status_text(app)


async def test_background_500s_of_the_watch_make_no_toast(fake, tmp_path):
    app = make_app(fake, tmp_path, watch_interval=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.clear_notifications()
        fake.faults.add(status=500, method="GET", count=None)
        main = app.main_screen
        await settle_until(app, pilot, lambda: "failed (see the rows)" in main.states.app_line)
        assert toasts(app) == []
        assert any(f.title == "Server error" for f in main.states.failures().values())


async def test_a_bulk_complete_of_five_makes_exactly_one_toast_with_the_summary(fake, tmp_path):
    ids = clone_pending(fake, 5, prefix="up_bulk")
    for upload_id in ids[:2]:
        fake.mark_bad_file(upload_id, "content type does not match")
    app = make_app(fake, tmp_path, ids=ids, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table(app).marked.update(ids)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await settle_until(app, pilot, lambda: bool(toasts(app)))
        await settle(app, pilot)
        assert toasts(app) == ["Complete: 5 uploads: 5 sent: 3 imported, 2 failed; see L"]
        assert app.main_screen.states.app_line == (  # stays when the toast has gone
            "Complete of 5 uploads: 5 sent: 3 imported, 2 failed; see L.")
        assert all(fake.complete_count(i) == 1 for i in ids)


async def test_skipped_uploads_are_in_the_one_summary(fake, tmp_path):
    imported = next(i for i in fake.seeded_ids if fake.status_of(i) == "imported")
    ids = clone_pending(fake, 2, prefix="up_some")
    app = make_app(fake, tmp_path, ids=[*ids, imported], watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table(app).marked.update([*ids, imported])
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await settle_until(app, pilot, lambda: bool(toasts(app)))
        await settle(app, pilot)
        assert toasts(app) == ["Complete: 3 uploads: 2 sent: 2 imported; 1 not sent; see L"]


async def test_no_toast_while_a_confirmation_is_up(fake, tmp_path):
    """A toast raised while the confirmation is on top waits for it to close; the toasts on
    screen when it opens leave it free (drawn ones too: the dialog's background is the main
    screen as it was)."""
    ids = clone_pending(fake, 1, prefix="up_modal")
    app = make_app(fake, tmp_path, ids=ids, watch=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("s")  # "Sorted by ..."
        await pilot.pause()
        assert toasts(app) and "Sorted by" in drawn(app)
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CompleteConfirmScreen"
        assert toasts(app) == [] and "Sorted by" not in drawn(app)
        fake.faults.add(status=500, method="GET")
        app.main_screen.refresh_one(ids[0])  # a read the user asked for: its error toasts
        await settle(app, pilot)
        assert "Server error" in str(app.main_screen.states.failure(ids[0]))
        assert toasts(app) == []
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is app.main_screen
        assert any("Server error" in t for t in toasts(app))
        assert "Server error" in drawn(app)


async def test_rows_completed_under_a_filter_stay_listed_marked_kept(fake, tmp_path):
    """/pending, mark all, c, y: the completed uploads no longer match, and stay, first and
    marked kept, with a line that says why; escape drops them."""
    ids = clone_pending(fake, 3, prefix="up_kept")
    imported = next(i for i in fake.seeded_ids if fake.status_of(i) == "imported")
    app = make_app(fake, tmp_path, ids=[*ids, imported], watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"pending", "enter")
        await settle_until(app, pilot, lambda: sorted(listed(app)) == sorted(ids))
        await pilot.press("asterisk")  # mark every listed upload
        assert table(app).marked == set(ids)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        store = app.main_screen.service.store
        await settle_until(app, pilot, lambda: all(
            store.get(i).status == "imported" for i in ids))
        await settle(app, pilot)
        listing = table(app).listing
        assert isinstance(listing, KeptListing)
        assert sorted(listed(app)) == sorted(ids)
        assert listing.kept_ids == set(ids)
        shown = "\n".join(table(app).render_line(y).text for y in range(1, 4))
        assert shown.count(KEPT_LABEL) == 3 and "No uploads match" not in shown
        assert app.main_screen.states.app_line == (
            "Complete of 3 uploads: 3 sent: 3 imported; see L. 3 rows kept past the filter: "
            "escape drops them.")
        await pilot.press("escape")
        await settle(app, pilot)
        assert listed(app) == []
        assert "No uploads match." in table(app).render_line(1).text
        assert app.main_screen.states.app_line == (
            "Complete of 3 uploads: 3 sent: 3 imported; see L.")


async def test_toasts_held_behind_a_dialog_are_few_and_never_repeated(fake, tmp_path):
    ids = clone_pending(fake, 1, prefix="up_held")
    app = make_app(fake, tmp_path, ids=ids, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        main = app.main_screen
        for n in range(8):
            main._toast("Server error", f"up_{n}: 500", "error")
            main._toast("Server error", f"up_{n}: 500", "error")
        assert toasts(app) == []
        await pilot.press("escape")
        await settle(app, pilot)
        assert toasts(app) == [f"Server error: up_{n}: 500" for n in range(3, 8)]
