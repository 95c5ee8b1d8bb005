"""Watch mode: unfinished uploads re-read in the background, with backoff, off with ``w`` or
``watch = false``; the header says how old the data is. Intervals are tiny and injected
(``watch_interval``); the tests wait for states, never for wall-clock times."""

from __future__ import annotations

import base64

from textual.worker import get_current_worker

from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.watch import BACKOFF_CAP, WatchSchedule
from scenario_tui.tui.widgets.app_header import AppHeader
from tests.conftest import make_app, settle
from tests.kit import settle_until

PENDING = seeded_pending_ids(include_bad_file=False)
TICK = 0.05  # the watch interval of these tests, in seconds


def complete_elsewhere(fake, upload_id: str) -> None:
    """Another client (the customer's, a colleague's) completes the upload on the API."""
    auth = base64.b64encode(b"elsewhere-key:elsewhere-secret").decode()
    answer = fake.handle("POST", f"/v1/uploads/{upload_id}/action",
                         headers={"Authorization": f"Basic {auth}"},
                         body=b'{"action": "complete"}')
    assert answer.status == 200, answer


def gets(fake, upload_id: str) -> int:
    return fake.count("GET", f"/v1/uploads/{upload_id}")


def header(app) -> str:
    return str(app.main_screen.query_one(AppHeader).render())


def stored_status(app, upload_id: str) -> str | None:
    return app.main_screen.service.store.get(upload_id).status


async def test_watch_reads_an_upload_completed_elsewhere_without_a_key(fake, tmp_path):
    """No key pressed: the upload completed by someone else stops reading "pending", and no
    toast says so (the row and the status widget do)."""
    app = make_app(fake, tmp_path, watch_interval=TICK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert stored_status(app, PENDING[0]) == "pending"
        assert "data fresh · watching every" in header(app)
        app.clear_notifications()
        complete_elsewhere(fake, PENDING[0])
        await settle_until(app, pilot, lambda: stored_status(app, PENDING[0]) != "pending")
        assert fake.complete_count(PENDING[0]) == 1  # the other client's, none of ours
        assert notifications(app) == []
        assert "Watch read" in app.main_screen.states.app_line


async def test_watch_backs_off_while_nothing_changes_and_comes_back_after_a_change(
        fake, tmp_path):
    """The wait doubles after each quiet round (0.05, 0.1, 0.2 ... up to 8x), a change brings
    it back to the setting, and so does a key."""
    app = make_app(fake, tmp_path, watch_interval=TICK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        schedule = app.main_screen.watch_schedule
        seen: list[float] = []
        quiet = schedule.quiet

        def recording_quiet() -> None:
            quiet()
            seen.append(schedule.interval)

        schedule.quiet = recording_quiet
        schedule.reset()  # from the setting again (rounds ran while the app settled)
        await settle_until(app, pilot, lambda: schedule.interval == TICK * BACKOFF_CAP)
        assert seen[:3] == [TICK * 2, TICK * 4, TICK * 8]
        complete_elsewhere(fake, PENDING[1])
        await settle_until(app, pilot, lambda: stored_status(app, PENDING[1]) != "pending")
        assert schedule.interval < TICK * BACKOFF_CAP  # back to the setting, then growing
        await settle_until(app, pilot, lambda: schedule.interval == TICK * BACKOFF_CAP)
        resets: list[float] = []
        reset = schedule.reset

        def recording_reset() -> bool:
            resets.append(schedule.interval)
            return reset()

        schedule.reset = recording_reset
        await pilot.press("j")  # a key: from the cap back to the setting
        assert resets[0] == TICK * BACKOFF_CAP


async def test_w_turns_watch_off_and_the_header_says_so(fake, tmp_path):
    app = make_app(fake, tmp_path, watch_interval=TICK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("w")
        await settle(app, pilot)
        assert "watch off" in header(app)
        assert "Watch off" in app.main_screen.states.app_line
        before = gets(fake, PENDING[2])
        complete_elsewhere(fake, PENDING[2])
        for _ in range(10):  # ten watch intervals and more: no round comes
            await pilot.pause(TICK)
        assert gets(fake, PENDING[2]) == before
        assert stored_status(app, PENDING[2]) == "pending"
        await pilot.press("w")
        assert "watching every" in header(app)
        await settle_until(app, pilot, lambda: stored_status(app, PENDING[2]) != "pending")


async def test_the_watch_setting_turns_it_off(fake, tmp_path):
    app = make_app(fake, tmp_path, watch_interval=TICK, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "watch off" in header(app)
        before = gets(fake, PENDING[0])
        for _ in range(10):
            await pilot.pause(TICK)
        assert gets(fake, PENDING[0]) == before


async def test_watch_never_runs_without_credentials_and_says_why(fake, tmp_path):
    app = make_app(fake, tmp_path, watch_interval=TICK, api_key=None, api_secret=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "watch off (no credentials)" in header(app)
        assert "Watch off: no credentials." in app.main_screen.states.app_line
        before = len(fake.requests)
        for _ in range(10):
            await pilot.pause(TICK)
        assert len(fake.requests) == before
        await pilot.press("w")  # cannot turn it on: says why again
        assert "watch off (no credentials)" in header(app)


async def test_the_header_fits_at_60_columns_and_keeps_the_watch_text(fake, tmp_path):
    app = make_app(fake, tmp_path, demo=True)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        text = header(app)
        assert "[DEMO" in text and "fresh · watch 30 s" in text
        assert len(text.rstrip()) <= 58


def test_schedule_doubles_to_its_cap_and_resets():
    schedule = WatchSchedule(30.0)
    for expected in (60.0, 120.0, 240.0, 240.0):
        schedule.quiet()
        assert schedule.interval == expected
    assert schedule.reset() and schedule.interval == 30.0
    assert not schedule.reset()
    assert not schedule.toggle() and not schedule.running
    assert WatchSchedule(30.0, blocked="no credentials").running is False


async def test_a_rate_limited_round_backs_off_even_when_it_changed_something(fake, tmp_path):
    """A 429 (Retry-After honoured by the client, the read then answered) slows the watch down
    as a quiet round does, though the round found a change."""
    app = make_app(fake, tmp_path, watch_interval=TICK, max_retries=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main_screen
        schedule = main.watch_schedule
        schedule.interval = TICK * BACKOFF_CAP  # the rounds ran a while: no changes, no key
        while any(w.group == "watch" and not w.is_finished for w in main.workers):
            await pilot.pause(0.01)  # the next round begins after these changes, not before
        complete_elsewhere(fake, PENDING[0])
        fake.faults.add(status=429, retry_after=0.1, method="GET",
                        path=f"/uploads/{PENDING[0]}")
        await settle_until(app, pilot, lambda: stored_status(app, PENDING[0]) != "pending")
        assert fake.count("GET", f"/v1/uploads/{PENDING[0]}") >= 2  # the 429, then the answer
        assert schedule.interval == TICK * BACKOFF_CAP  # not back to the setting
        assert notifications(app) == []


async def test_the_watch_never_overlaps_r_and_never_moves_the_cursor(fake, tmp_path):
    """Slow answers, a round under way, then R: the round stops before R's reads start (no
    two bulk refreshes at once), and the highlighted upload stays highlighted while the rows
    it watches change status under a sort by status."""
    app = make_app(fake, tmp_path, watch_interval=TICK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main_screen
        await pilot.press("s")  # by status: a change of status moves the row
        await settle(app, pilot)
        table = main.table
        table.cursor = table.listing.ids().index(PENDING[0])
        at_first = table.cursor
        running, most = 0, 0
        groups: list[str] = []  # the worker group of each bulk refresh, in order
        refresh_many = main.refresher.refresh_many

        async def counting(*args, **kwargs):
            nonlocal running, most
            groups.append(get_current_worker().group)
            running += 1
            most = max(most, running)
            try:
                return await refresh_many(*args, **kwargs)
            finally:
                running -= 1

        main.refresher.refresh_many = counting
        fake.latency = 0.05
        complete_elsewhere(fake, PENDING[0])
        for _ in range(400):  # until a watch round is under way
            if any(w.group == "watch" and w.is_running for w in main.workers) and running:
                break
            await pilot.pause(0.01)
        else:
            raise AssertionError("no watch round began")
        await pilot.press("R")
        await settle_until(app, pilot, lambda: "refresh-all" in groups and all(
            w.is_finished for w in main.workers if w.group == "refresh-all"))
        assert most == 1
        assert stored_status(app, PENDING[0]) != "pending"
        assert table.highlighted_id == PENDING[0]
        assert table.listing.ids().index(PENDING[0]) != at_first  # its row did move


async def test_a_quiet_round_leaves_the_status_line_to_the_last_action(fake, tmp_path):
    """Rounds that find nothing new keep the line the user's last action left (the header
    says the data is fresh); one that finds a change says so."""
    app = make_app(fake, tmp_path, watch_interval=TICK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main_screen
        schedule = main.watch_schedule
        main.states.app_line = "Complete of 2 uploads: 2 sent: 2 imported; see L."
        rounds = 0
        quiet = schedule.quiet

        def counting() -> None:
            nonlocal rounds
            rounds += 1
            quiet()

        schedule.quiet = counting
        await settle_until(app, pilot, lambda: rounds >= 3)
        assert main.states.app_line == "Complete of 2 uploads: 2 sent: 2 imported; see L."
        complete_elsewhere(fake, PENDING[0])
        await settle_until(app, pilot, lambda: "1 changed" in main.states.app_line)


async def test_watch_never_runs_on_a_read_only_store_and_says_why(fake, tmp_path):
    """A store this process cannot write (a colleague's, a read-only mount): the rounds could
    not keep what they read, so there are none; the header and the status widget say why."""
    from scenario_tui.cli.wiring import build_service
    from scenario_tui.store.sqlite import Store
    from scenario_tui.tui.app import ScenarioApp
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, watch_interval=TICK)
    writable = Store.open(settings.store_path)
    writable.add(fake.seeded_ids)
    writable.close()
    store = Store.open(settings.store_path, read_only=True)
    app = ScenarioApp(build_service(settings, transport=fake.transport(), store=store), settings)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(app, pilot)
        assert "watch off (the store is read-only)" in header(app)
        assert "Watch off: the store is read-only." in app.main_screen.states.app_line
        before = len(fake.requests)
        for _ in range(10):
            await pilot.pause(TICK)
        assert len(fake.requests) == before


async def test_the_header_says_how_old_the_data_is_and_keeps_it_live(fake, tmp_path):
    """Watch off: the data ages, and the header says so as the clock moves (no key needed)."""
    from datetime import timedelta

    app = make_app(fake, tmp_path, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "data fresh · watch off" in header(app)
        start = app.clock()
        app.clock = lambda: start + timedelta(minutes=3)
        await settle_until(app, pilot, lambda: "data 3 min old · watch off" in header(app))
