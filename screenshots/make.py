"""Make the README's screenshots from the fake API: python screenshots/make.py

Each picture is the real app (real wiring, in-process fake API, temporary store) driven by
Textual's Pilot; clocks are fixed so the pictures only change when the app does.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from scenario_tui.cli.wiring import build_service  # noqa: E402
from scenario_tui.core.config import Settings  # noqa: E402
from scenario_tui.fake.scenario import FakeScenario  # noqa: E402
from scenario_tui.fake.seeds import seeded_pending_ids  # noqa: E402
from scenario_tui.store.sqlite import Store  # noqa: E402
from scenario_tui.tui.app import ScenarioApp  # noqa: E402

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=timezone.utc)
SIZE = (100, 30)


def build(tmp: Path, fake: FakeScenario) -> ScenarioApp:
    settings = Settings(
        base_url="http://127.0.0.1:8765/v1", api_key="demo", api_secret="demo-secret",
        store_path=tmp / "demo.db", demo=True, profile="demo", max_retries=0,
        poll_min_seconds=5.0, poll_max_seconds=10.0,
    )
    store = Store.open(settings.store_path, clock=lambda: NOW)
    store.add(fake.seeded_ids)
    store.set_note(seeded_pending_ids()[0], "ticket #4711: stuck since Friday")
    service = build_service(settings, transport=fake.transport(), store=store)
    return ScenarioApp(service, settings, clock=lambda: NOW)


async def select(pilot, upload_id: str) -> None:
    table = pilot.app.screen.query_one("UploadTable")
    for index in range(table.listing.count()):
        if table.listing.row(index).id == upload_id:
            table.cursor = index
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def shoot(name: str, scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fake = FakeScenario(rng_seed=7, step_seconds=3600.0, clock=lambda: NOW.timestamp())
        app = build(Path(tmp), fake)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await scenario(pilot, fake)
            await pilot.pause()
            svg = app.export_screenshot(title=f"scenario-tui: {name}")
            app.exit()
    (HERE / f"{name}.svg").write_text(svg, encoding="utf-8", newline="\n")
    print(f"wrote screenshots/{name}.svg")


async def main_screen(pilot, fake) -> None:
    await select(pilot, seeded_pending_ids()[0])


async def completing(pilot, fake) -> None:
    upload_id = seeded_pending_ids()[0]
    await select(pilot, upload_id)
    await pilot.press("c", "y")
    for _ in range(200):  # until the POST has been answered; the follow-up poll keeps going
        await pilot.pause(0.02)
        if pilot.app.main_screen.states.busy(upload_id) == "polling":
            break


async def error(pilot, fake) -> None:
    await select(pilot, "up_demo_failed_1")
    fake.faults.add(status=503, count=1, body={"message": "Service temporarily unavailable",
                                                "traceId": "trace-5f2c9a"})
    await pilot.press("r")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()


async def help_screen(pilot, fake) -> None:
    await pilot.press("question_mark")


TICKET = """Hi team,

Customer #48213 (Acme Ltd.) says these never finished since Friday:
- up_demo_pending_1.
- (up_demo_pending_2), see https://app.scenario.com/uploads/up_ticket_0007?tab=details
- up_ticket_0042: "failed"?!
Thanks! -- Bob
"""


async def ticket(pilot, fake) -> None:
    """``a`` and a pasted ticket: the preview before anything is added."""
    from textual import events
    from textual.widgets import TextArea

    await pilot.press("a")
    await pilot.pause()
    pilot.app.screen.query_one(TextArea).post_message(events.Paste(TICKET))
    await pilot.pause()


async def shoot_team() -> None:
    """Two members on one team store (a throwaway PostgreSQL cluster, as ``demo --team``
    makes): ann holds one upload and noted it, I hold another; my screen shows both."""
    from scenario_tui.cli.team_demo import ANN, ME, set_up_team, team_settings
    from scenario_tui.store.postgres.cluster import Cluster, find_bindir
    from scenario_tui.store.postgres.store import PostgresStore

    bindir = find_bindir()
    if bindir is None:
        print("skipped screenshots/team.svg: no PostgreSQL server binaries (initdb, pg_ctl)")
        return
    fake = FakeScenario(rng_seed=7, step_seconds=3600.0, clock=lambda: NOW.timestamp())
    with Cluster.start(bindir, prefix="scenario-tui-shots-") as server:
        urls = set_up_team(server)
        base = Settings(base_url="http://127.0.0.1:8765/v1", profile="support",
                        max_retries=0, poll_min_seconds=5.0, poll_max_seconds=10.0)
        mine = team_settings(base, base.base_url, urls[ME]).with_overrides(
            demo=False, profile="support", store_url="postgresql://me@db.example.com/support")
        pending = seeded_pending_ids()
        with PostgresStore.open(urls[ANN], clock=lambda: NOW) as ann:
            ann.add(fake.seeded_ids)
            ann.claim([pending[0]], 30)
            ann.set_note(pending[0], "ann: customer re-uploading, wait for her", log=True)
        store = PostgresStore.open(urls[ME], clock=lambda: NOW)
        store.claim([pending[1]], 30)
        service = build_service(mine, transport=fake.transport(), store=store)
        app = ScenarioApp(service, mine, clock=lambda: NOW)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await select(pilot, pending[0])
            await pilot.pause()
            svg = app.export_screenshot(title="scenario-tui: team")
            app.exit()
        store.close()
    (HERE / "team.svg").write_text(svg, encoding="utf-8", newline="\n")
    print("wrote screenshots/team.svg")


async def run() -> None:
    await shoot("main", main_screen)
    await shoot("completing", completing)
    await shoot("error", error)
    await shoot("help", help_screen)
    await shoot("ticket", ticket)
    await shoot_team()


if __name__ == "__main__":
    asyncio.run(run())
