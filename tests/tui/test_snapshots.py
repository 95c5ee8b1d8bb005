"""How the app looks, as SVG snapshots (pytest-textual-snapshot).

Deterministic: the fake API's seeded uploads have fixed timestamps, the app's and the store's
clocks are fixed, workers are awaited before every picture. Update with ``--snapshot-update``
after checking the report.
"""

from __future__ import annotations

from datetime import datetime, timezone

from scenario_tui.cli.wiring import build_service
from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.seeds import BAD_FILE_ID, seeded_pending_ids
from scenario_tui.store.sqlite import Store
from scenario_tui.tui.app import ScenarioApp
from tests.conftest import make_settings

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=timezone.utc)
PENDING = seeded_pending_ids(include_bad_file=False)


def build_app(tmp_path, fake=None, **overrides) -> tuple[ScenarioApp, FakeScenario]:
    fake = fake or FakeScenario(rng_seed=7, clock=lambda: NOW.timestamp())
    settings = make_settings(tmp_path, **overrides)
    store = Store.open(settings.store_path, clock=lambda: NOW)
    service = build_service(settings, transport=fake.transport(), store=store)
    store.add(fake.seeded_ids)
    store.set_note(PENDING[0], "ticket #4711: stuck since Friday")
    app = ScenarioApp(service, settings, clock=lambda: NOW)
    app.NOTIFICATION_TIMEOUT = 600  # toasts must not expire on a slow machine before the picture
    return app, fake


async def settle(pilot) -> None:
    """Until no worker runs, including those started while waiting (a refresh that moves the
    highlighted row starts a detail load): the picture must not depend on timing."""
    await pilot.pause()
    for _ in range(20):
        if not any(w.is_running or w.state.name == "PENDING" for w in pilot.app.workers):
            break
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()


def go_to(upload_id: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one("UploadTable")
        for index in range(table.listing.count()):
            if table.listing.row(index).id == upload_id:
                table.cursor = index
        await settle(pilot)

    return run_before


def test_main_screen_80x24(snap_compare, tmp_path):
    """The list with every status (symbol + word), the first row's details, the status widget."""
    app, _ = build_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=go_to(PENDING[0]))


def test_main_screen_wide(snap_compare, tmp_path):
    """Wide terminal: list and details side by side, kind and size columns shown."""
    app, _ = build_app(tmp_path)
    assert snap_compare(app, terminal_size=(140, 40), run_before=go_to(PENDING[0]))


def test_main_screen_60x20(snap_compare, tmp_path):
    """Narrow (issue 17): the IDs whole, the diagnosis column kept, the file column dropped
    whole (never "2 …"); the count line tightened to fit."""
    app, _ = build_app(tmp_path)
    assert snap_compare(app, terminal_size=(60, 20), run_before=go_to(PENDING[0]))


def test_failed_upload_shows_its_error(snap_compare, tmp_path):
    """A failed upload: errorMessage prominent in the details."""
    app, _ = build_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=go_to("up_demo_failed_1"))


def test_complete_confirmation_with_mixed_marks(snap_compare, tmp_path):
    """Two pending and one imported marked: the dialog sends two and skips one, with the reason."""
    app, _ = build_app(tmp_path)

    async def run_before(pilot) -> None:
        for upload_id in (PENDING[0], PENDING[1], "up_demo_imported_1"):
            await go_to(upload_id)(pilot)
            await pilot.press("space")
            await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_after_complete_reaches_imported(snap_compare, tmp_path):
    """After c, y: the upload is imported, the toast says so, the job and asset are shown."""
    app, _ = build_app(tmp_path)

    async def run_before(pilot) -> None:
        await go_to(PENDING[0])(pilot)
        await pilot.press("c", "y")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_error_in_status_widget(snap_compare, tmp_path):
    """A 401 while refreshing: title and message in the status widget and a toast."""
    app, fake = build_app(tmp_path)

    async def run_before(pilot) -> None:
        await go_to(BAD_FILE_ID)(pilot)
        fake.faults.add(status=401, count=1)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_help_screen(snap_compare, tmp_path):
    """The help screen lists every key."""
    app, _ = build_app(tmp_path)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_read_only_demo_header(snap_compare, tmp_path):
    """READ-ONLY and DEMO markers in the header; mutating keys gone from the footer."""
    app, _ = build_app(tmp_path, read_only=True, demo=True, profile="demo")
    assert snap_compare(app, terminal_size=(80, 24), run_before=go_to(PENDING[0]))


def test_follow_through_job_and_asset(snap_compare, tmp_path):
    """An imported upload, wide: its job (progress, status timeline) and the asset it became."""
    app, _ = build_app(tmp_path)
    assert snap_compare(app, terminal_size=(140, 44), run_before=go_to("up_demo_imported_1"))


def test_upload_dialog(snap_compare, tmp_path):
    """The upload dialog: path with completion, guessed kind, complete checkbox."""
    app, _ = build_app(tmp_path)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("U")
        await pilot.pause()
        pilot.app.screen.query_one("#upload-path").value = "renders/hero-banner-final.png"
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
