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
