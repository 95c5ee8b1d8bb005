"""A team store's warm start (``store.front_page``, ``store.connecting``): the first frame shows
the list the last session kept, marked as connecting in the header, changes refused; once the
store answers, the list is read from it. A store that cannot be reached yet is tried again
(the kept list stays, read-only); one that refuses us (a wrong password) ends the app, which
the launcher reports. And the list read aside: on a team store, the list is re-read in a
thread, the rows shown meanwhile, so a key is answered while the server is slow.

All on a real PostgreSQL database (``pg_url``) and the in-process fake API."""

from __future__ import annotations

import threading
import time

import pytest

from scenario_tui.cli import wiring
from scenario_tui.cli.wiring import connecting_store, deferred_service, keep_front_page
from scenario_tui.core import errors
from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.store.connecting import KEPT, READ_AT_START, ConnectingStore
from scenario_tui.store.front_page import load_page, read_page
from scenario_tui.tui.app import ScenarioApp
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens import main_screen
from scenario_tui.tui.widgets.app_header import AppHeader
from scenario_tui.tui.widgets.status_panel import StatusPanel
from tests.conftest import make_settings, settle
from tests.kit import settle_until

PENDING = seeded_pending_ids(include_bad_file=False)
NEW_ID = "up_warmnewaaaaaaaaaaaaaaaa"


def header(app) -> str:
    return str(app.main_screen.query_one(AppHeader).render())


def status_text(app) -> str:
    return str(app.main_screen.query_one(StatusPanel).render())


def listed(app) -> list[str]:
    listing = app.main_screen.table.listing
    return [listing.row(i).id for i in range(listing.count())]


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in notifications(app)]


async def until(pilot, predicate, timeout: float = 10.0) -> None:
    """Let the app run (its workers too, without waiting for them to end) until ``predicate``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the app did not get there in time"
        await pilot.pause(0.02)


def kept_start(tmp_path, pg_url, monkeypatch, opener, origin=KEPT):
    """A page kept from a session on three pending uploads, one claimed by me; then a teammate
    added ``NEW_ID``. The app as ``scenario-tui`` starts it on that page, the team store opened
    by ``opener(url, read_only=...)`` (which may wait, fail, or call the real one it is given).
    ``origin=READ_AT_START``: the page is the one the launcher read at this first start
    (``cli.first_page``) instead, none being kept."""
    settings = make_settings(tmp_path, store_url=pg_url, watch=False)
    with wiring.open_team_store(pg_url) as team:
        team.add(PENDING[:3])
        team.claim([PENDING[1]])
        page = read_page(team) if origin == READ_AT_START else None
        assert page is not None or keep_front_page(settings, team)
        team.add([NEW_ID])  # after the page was kept
    real_open = wiring.open_team_store
    monkeypatch.setattr(wiring, "open_team_store",
                        lambda url, **kwargs: opener(real_open, url, **kwargs))
    store = connecting_store(settings, page)
    assert isinstance(store, ConnectingStore) and store.origin == origin
    return settings, store


async def test_the_first_frame_is_the_kept_list_until_the_store_answers(
        fake, tmp_path, pg_url, monkeypatch):
    gate = threading.Event()

    def slow(real_open, url, **kwargs):
        assert gate.wait(10)
        return real_open(url, **kwargs)

    settings, store = kept_start(tmp_path, pg_url, monkeypatch, slow)
    service = deferred_service(settings, store, transport=fake.transport())
    app = ScenarioApp(service, settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.main_screen
            assert listed(app) == list(reversed(PENDING[:3]))  # the kept page: no NEW_ID
            assert "connecting, last session's list" in header(app)
            assert screen.table.claim_marks == {PENDING[1]: "@me"}
            await pilot.press("down")  # keys are answered meanwhile
            assert screen.table.highlighted_id == PENDING[1]
            await pilot.press("c")
            await pilot.pause()
            assert any(t.startswith("Team store connecting") for t in toasts(app))
            assert not service.built and fake.complete_count(PENDING[1]) == 0
            gate.set()
            await settle_until(app, pilot, lambda: NEW_ID in listed(app))
            assert "connecting" not in header(app) and "[TEAM]" in header(app)
            assert service.built and store.connected
            assert screen.table.highlighted_id == PENDING[1]  # the cursor kept its upload
            await settle(app, pilot)
            assert screen.table.claim_marks == {PENDING[1]: "@me"}  # read from the store
    finally:
        gate.set()
        store.close()


@pytest.mark.parametrize("origin", [KEPT, READ_AT_START])
async def test_a_store_not_reachable_at_start_is_tried_again_on_the_kept_list(
        fake, tmp_path, pg_url, monkeypatch, origin):
    """The header and the status line say which list is shown: the last session's, or the one
    read at this first start (by then the server may have gone)."""
    gate, tries = threading.Event(), []

    def flaky(real_open, url, **kwargs):
        tries.append(1)
        if len(tries) == 1:
            raise errors.TeamStoreUnreachableError(
                "Could not connect to the team store support on db.example.org: connection "
                "refused.")
        assert gate.wait(10)
        return real_open(url, **kwargs)

    monkeypatch.setattr(main_screen, "CONNECT_EVERY", 0.05)
    settings, store = kept_start(tmp_path, pg_url, monkeypatch, flaky, origin)
    app = ScenarioApp(deferred_service(settings, store, transport=fake.transport()), settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: len(tries) == 2)  # tried again, by itself
            assert f"unreachable: retrying, {origin}" in header(app)
            assert (f"Trying again every few seconds; the {origin} is shown, read-only"
                    in " ".join(status_text(app).split()))  # wrapped
            assert listed(app) == list(reversed(PENDING[:3]))
            assert [t for t in toasts(app) if t.startswith("Team store unreachable")]
            await pilot.press("t")  # a change: refused, nothing claimed
            await pilot.pause()
            assert any(t.startswith("Team store connecting") for t in toasts(app))
            gate.set()
            await settle_until(app, pilot, lambda: NEW_ID in listed(app))
            assert "unreachable" not in header(app) and app.return_code is None
    finally:
        gate.set()
        store.close()


async def test_a_store_that_refuses_us_at_start_ends_the_app(fake, tmp_path, pg_url,
                                                              monkeypatch):
    def refused(real_open, url, **kwargs):
        raise errors.TeamStoreAuthError("Password authentication failed for user ann.")

    settings, store = kept_start(tmp_path, pg_url, monkeypatch, refused)
    app = ScenarioApp(deferred_service(settings, store, transport=fake.transport()), settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.return_code is not None)
    assert isinstance(app.startup_error, errors.TeamStoreAuthError)
    assert app.return_code == 1


async def test_the_list_shown_at_the_end_is_kept_for_the_next_start(fake, tmp_path, pg_url):
    """Quitting hands the launcher the first page as shown (nothing read at the exit), with
    the claims; under a filter, nothing (the launcher then reads it)."""
    from tests.conftest import make_app

    app = make_app(fake, tmp_path, ids=PENDING[:3], store_url=pg_url, watch=False)
    app.service.store.claim([PENDING[0]])
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await pilot.press("q")
            await pilot.pause()
        page = app.front_page
        assert page is not None and page.total == 3
        assert [r.id for r in page.rows] == list(reversed(PENDING[:3]))
        assert [c.upload_id for c in page.claims] == [PENDING[0]]
        settings = app.settings
        assert keep_front_page(settings, app.service.store, page)
        kept = load_page(wiring.front_page_file(settings), pg_url)
        assert kept is not None and [r.id for r in kept.rows] == [r.id for r in page.rows]

        filtered = make_app(fake, tmp_path, ids=[], store_url=pg_url, watch=False)
        async with filtered.run_test(size=(80, 24)) as pilot:
            await settle(filtered, pilot)
            await pilot.press("slash", *"pend", "enter")
            await settle(filtered, pilot)
            await pilot.press("q")
            await pilot.pause()
        assert filtered.front_page is None
        filtered.service.store.close()
    finally:
        app.service.store.close()


async def test_on_a_team_store_the_list_is_read_aside_and_keys_answered_meanwhile(
        fake, tmp_path, pg_url):
    """A slow server: a teammate's change re-reads the list in a thread; meanwhile the rows
    read before stay, and a key moves the cursor at once. A read that fails keeps them."""
    from tests.conftest import make_app

    app = make_app(fake, tmp_path, ids=PENDING[:3], store_url=pg_url, watch=False)
    store = app.service.store
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            screen = app.main_screen
            assert screen.table.read_aside
            gate, entered = threading.Event(), threading.Event()
            real_count = store.count

            def slow_count(*args, **kwargs):
                entered.set()
                assert gate.wait(10)
                return real_count(*args, **kwargs)

            store.count = slow_count
            store.add([NEW_ID])
            screen.table.reload()
            await until(pilot, entered.is_set)
            await pilot.press("down")
            assert screen.table.highlighted_id == PENDING[1]  # answered, the read in flight
            assert NEW_ID not in listed(app)
            gate.set()
            await settle_until(app, pilot, lambda: NEW_ID in listed(app))
            assert screen.table.highlighted_id == PENDING[1]  # kept its upload, one row down
            assert screen.table.cursor == 2
            del store.count

            def gone(*args, **kwargs):
                raise errors.TeamStoreConnectionLostError("The team store connection was lost.")

            store.count = gone
            screen.table.reload()
            await settle(app, pilot)
            assert listed(app)[:4] == [NEW_ID, *reversed(PENDING[:3])]  # still shown
            assert "connection was lost" in status_text(app)
            del store.count
    finally:
        store.close()


async def test_an_open_store_whose_server_is_away_at_mount_is_not_taken_for_one_connecting(
        fake, tmp_path, pg_url):
    """The store was opened before the TUI, then its server went away: the screen mounts as
    usual: no "connecting" header; the start-up refresh's read fails, and the claims and live
    updates start all the same (they waited for a warm-up that never ended); the feed says the
    connection is lost, then that it is back, and the list is read."""
    from tests.conftest import make_app

    app = make_app(fake, tmp_path, ids=PENDING[:3], store_url=pg_url, watch=False)
    store = app.service.store
    store._db._mark_down(errors.TeamStoreUnreachableError("The team store went away."))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert not app.main_screen.team_connecting
            assert "last session's list" not in header(app)
            assert app.return_code is None
            screen = app.main_screen
            # the warm-up ends: the claims and live updates start
            await until(pilot, lambda: screen.warmed.is_set() and screen._live is not None)
            assert "Team store connection lost" in status_text(app), status_text(app)
            # the server was there all along: the feed gets through, and the list is read
            await settle_until(app, pilot, lambda: PENDING[0] in listed(app))
            assert "offline" not in header(app)
    finally:
        store.close()
