"""The status widget's lines after a refresh: a bulk refresh leaves a short past-tense line
with its time (never "12 of 12 done" for the rest of the session), and ``r`` on a failed
upload says the upload's status is failed, never that the refresh failed."""

from __future__ import annotations

import re

from scenario_tui.tui.widgets.status_panel import StatusPanel
from tests.conftest import make_app, settle


def panel(app) -> str:
    return str(app.main_screen.query_one(StatusPanel).render())


async def test_the_start_up_refresh_ends_in_a_past_tense_line_with_its_time(fake, tmp_path):
    app = make_app(fake, tmp_path, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        line = app.main_screen.states.app_line
        assert re.fullmatch(r"Refreshed \d+ unfinished uploads at \d\d:\d\d\.", line), line
        assert line in panel(app)
        assert " done" not in panel(app) and "Refreshing" not in panel(app)


async def test_r_on_a_failed_upload_says_its_status_is_failed(fake, tmp_path):
    failed = next(i for i in fake.seeded_ids if fake.status_of(i) == "failed")
    app = make_app(fake, tmp_path, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        table.cursor = table.listing.ids().index(failed)
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        outcome = app.main_screen.states.outcome(failed)
        assert re.fullmatch(rf"Refreshed {failed} at \d\d:\d\d: status failed\.", outcome)
        assert "Refreshed: failed" not in panel(app)
        assert "status failed" in panel(app)


async def start_up_line(fake, tmp_path, ids: list[str]) -> str:
    """The status widget's app line once the start-up refresh of ``ids`` has ended."""
    app = make_app(fake, tmp_path, ids=ids, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        return app.main_screen.states.app_line


async def test_a_start_up_refresh_that_nothing_answered_says_it_could_not_refresh(
        fake, tmp_path):
    """Every read refused (bad credentials): "Could not refresh N unfinished uploads", not
    "Refreshed N ..., N failed"; one refused of several still reads "Refreshed ..., 1 failed"."""
    pending = [i for i in fake.seeded_ids if fake.status_of(i) == "pending"][:3]
    fake.faults.add(status=401, method="GET", count=None)
    line = await start_up_line(fake, tmp_path, pending)
    assert re.fullmatch(r"Could not refresh 3 unfinished uploads at \d\d:\d\d "
                        r"\(Bad credentials: see the rows\)\.", line), line
    fake.faults.clear()
    fake.faults.add(status=500, method="GET", path=f"/uploads/{pending[0]}", count=None)
    line = await start_up_line(fake, tmp_path, pending)
    assert re.fullmatch(r"Refreshed 3 unfinished uploads at \d\d:\d\d, 1 failed "
                        r"\(see the rows\)\.", line), line
