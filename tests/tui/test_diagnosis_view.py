"""Issue 17, "see at a glance what is wrong, and why": the diagnosis column of the list, the
diagnosis at the top of the details and in the ``Y`` summary, the count line under the list, and
IDs never cut. Driven with Pilot against the in-process fake; workers awaited, never slept on."""

from __future__ import annotations

from scenario_tui.tui.widgets.count_line import CountLine
from scenario_tui.tui.widgets.detail_pane import DetailPane
from scenario_tui.tui.widgets.upload_table import UploadTable
from tests.conftest import make_app, select, settle

FAILED = "up_demo_failed_1"
LONG_ID = "asset_0123456789abcdefghi"  # 25 characters, as real IDs are
LONGER_ID = "asset_0123456789abcdefghijklmn"  # 30: the column widens, the ID is never cut


def table(app) -> UploadTable:
    return app.screen.query_one(UploadTable)


def table_lines(app) -> list[str]:
    t = table(app)
    return [t.render_line(y).text for y in range(t.size.height)]


async def test_failed_row_shows_why_in_list_details_and_summary(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        lines = table_lines(app)
        assert "Why" in lines[0]
        failed = next(line for line in lines if FAILED in line)
        assert "Part 3 of" in failed  # the reason, in the list's column
        await select(app, pilot, FAILED)
        detail = app.screen.query_one(DetailPane).text.splitlines()
        assert detail[0].startswith("Diagnosis")  # at the top, before the status
        assert "failed: Part 3 of 4 was never received" in "\n".join(detail[:3])
        assert "Next" in "\n".join(detail[:3])
        await pilot.press("Y")
        assert "failed: Part 3 of 4 was never received -> " in app.clipboard


async def test_count_line_counts_statuses_and_follows_changes(fake, tmp_path):
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        line = app.screen.query_one(CountLine)
        assert line.text.endswith("4 pending · 1 validating · 1 complete · 1 validated · "
                                  "3 imported · 2 failed"), line.text
        assert "4 pending" in str(line.render())
        await select(app, pilot, FAILED)
        table(app).focus()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert "· 1 failed" in line.text, line.text


async def test_ids_are_never_cut_and_narrow_columns_drop_whole(fake, tmp_path):
    app = make_app(fake, tmp_path, ids=[LONG_ID, "up_demo_pending_1"])
    for size in ((60, 20), (80, 24), (120, 30)):
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            assert any(LONG_ID in line for line in table_lines(app)), size
            heading = table_lines(app)[0]
            assert "…" not in heading, (size, heading)
        app = make_app(fake, tmp_path / str(size[0]), ids=[LONG_ID, LONGER_ID])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        lines = table_lines(app)
        assert any(LONGER_ID in line for line in lines) and any(LONG_ID in line for line in lines)


def test_count_line_tightens_before_it_cuts():
    from scenario_tui.tui.widgets.count_line import fit_count_line

    text = "6 stuck · 4 pending · 1 validating · 1 complete · 1 validated · 3 imported · 2 failed"
    assert fit_count_line(text, 100) == text
    assert fit_count_line(text, 78) == text.replace(" · ", "·")
    assert fit_count_line(text, 20) == "6 stuck·4 pending·1…"


async def test_an_upload_that_answered_404_reads_not_found_not_never_fetched(fake, tmp_path):
    import re

    app = make_app(fake, tmp_path, ids=["up_gone_1", "up_demo_pending_1"])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await select(app, pilot, "up_gone_1")
        row = next(line for line in table_lines(app) if "up_gone_1" in line)
        assert re.search(r"not found \d\d:\d\d", row), row
        detail = app.screen.query_one(DetailPane).text
        assert re.search(r"not found \(checked \d\d:\d\d\)", detail), detail
        assert "never fetched" not in detail
