"""Issue 18, live updates: a team store's change feed (``store.follow_changes``) re-reads the
list without a key press (the cursor stays on its ID; the count line and the details follow);
a lost connection shows in the header, the TUI stays readable on what it has and refuses
changes; back, the header clears and the list is read again. The feed is closed on exit.

Here a stand-in feed (``store.changes.ChangeFeed``) is set on the local store, and its
callbacks are called from a thread of their own, as a real feed's are; the PostgreSQL test at
the end uses two real team stores."""

from __future__ import annotations

import contextlib
import threading

from scenario_tui.cli.wiring import build_service, open_store
from scenario_tui.core import errors
from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.store.changes import Change
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens.note_screen import NoteScreen
from scenario_tui.tui.screens.team_actions import OFFLINE_HEADER
from scenario_tui.tui.widgets.app_header import AppHeader
from scenario_tui.tui.widgets.count_line import CountLine
from tests.conftest import make_app, make_settings, settle
from tests.kit import settle_until

PENDING = seeded_pending_ids(include_bad_file=False)
NEW_ID = "up_livenewaaaaaaaaaaaaaaaa"


class StandInFeed:
    """What ``store.follow_changes`` answers: ``connected``, ``close()``; the test calls
    ``change``/``state``, which run the screen's callbacks on another thread."""

    def __init__(self, on_change, on_state) -> None:
        self.on_change, self.on_state = on_change, on_state
        self.connected = True
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def _from_thread(self, call, *args) -> None:
        thread = threading.Thread(target=call, args=args)
        thread.start()
        thread.join()

    def change(self, *upload_ids: str) -> None:
        self._from_thread(self.on_change, Change(tuple(upload_ids)))

    def state(self, connected: bool) -> None:
        self.connected = connected
        self._from_thread(self.on_state, connected)


def with_feed(app) -> list[StandInFeed]:
    feeds: list[StandInFeed] = []

    def follow_changes(on_change, on_state):
        feeds.append(StandInFeed(on_change, on_state))
        return feeds[-1]

    app.service.store.follow_changes = follow_changes
    return feeds


def teammate(tmp_path):
    store = open_store(make_settings(tmp_path), warn=False)
    store.actor = "ann"
    return store


@contextlib.asynccontextmanager
async def live_app(fake, tmp_path, with_ann: bool = True):
    """The TUI on three pending uploads (no watch mode) with a stand-in feed, and Ann on the same
    store (closed afterwards): (app, pilot, feeds, ann), the first screen settled."""
    app = make_app(fake, tmp_path, ids=PENDING[:3], watch=False)
    feeds = with_feed(app)
    ann = teammate(tmp_path) if with_ann else None
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            yield app, pilot, feeds, ann
    finally:
        if ann is not None:
            ann.close()


def header(app) -> str:
    return str(app.main_screen.query_one(AppHeader).render())


def count_line(app) -> str:
    return str(app.main_screen.query_one(CountLine).render())


async def test_a_teammates_note_shows_without_a_key(fake, tmp_path):
    """Ann notes the highlighted upload: the change comes from the feed's thread, the details
    show the note, no key pressed."""
    async with live_app(fake, tmp_path) as (app, pilot, feeds, ann):
        screen = app.main_screen
        assert len(feeds) == 1
        highlighted = screen.table.highlighted_id
        ann.set_note(highlighted, "customer re-sent the file")
        assert "customer re-sent" not in screen.detail.text  # nothing re-read it yet
        feeds[0].change(highlighted)
        await settle_until(app, pilot, lambda: "customer re-sent" in screen.detail.text)
        assert screen.table.highlighted.note == "customer re-sent the file"


async def test_an_upload_added_elsewhere_appears_and_the_cursor_keeps_its_id(fake, tmp_path):
    """Ann adds an upload (listed first: recently added): it appears, the count line counts it,
    and the cursor stays on the upload it was on, though its row moved down."""
    async with live_app(fake, tmp_path) as (app, pilot, feeds, ann):
        screen = app.main_screen
        await pilot.press("down")
        kept = screen.table.highlighted_id
        before = count_line(app)
        ann.add([NEW_ID])
        feeds[0].change()  # "read everything again"
        await settle_until(app, pilot, lambda: NEW_ID in screen.table.listing.ids())
        assert screen.table.highlighted_id == kept
        assert screen.table.cursor == 2
        await settle_until(app, pilot, lambda: count_line(app) != before)
        assert count_line(app).endswith("1 other"), count_line(app)  # never fetched


async def test_a_burst_of_changes_is_read_once(fake, tmp_path):
    """Many notifications before the screen gets to them: one re-read of the list."""
    async with live_app(fake, tmp_path, with_ann=False) as (app, pilot, feeds, _):
        screen = app.main_screen
        reloads: list[int] = []
        reload = screen.table.reload
        screen.table.reload = lambda: (reloads.append(1), reload())[1]
        for upload_id in PENDING[:3] * 4:
            feeds[0].change(upload_id)
        await settle(app, pilot)
        assert len(reloads) == 1
        assert not screen.pending_changes.due


async def test_a_lost_connection_reads_in_the_header_and_refuses_changes(fake, tmp_path,
                                                                           monkeypatch):
    """on_state(False): the header says so, ``n``, ``t``, ``r`` and ``R`` are refused with one
    toast each (no dialog opens, no request goes out), and a failing read keeps the rows the
    list had. on_state(True): the header clears and the list is read again (what Ann added
    meanwhile appears)."""
    async with live_app(fake, tmp_path) as (app, pilot, feeds, ann):
        screen = app.main_screen
        store = screen.service.store
        listed = screen.table.listing.ids()
        feeds[0].state(False)
        await settle_until(app, pilot, lambda: OFFLINE_HEADER in header(app))
        assert "[TEAM]" not in header(app)  # a stand-in feed on a local store
        app.clear_notifications()
        gets_before = len(fake.requests)
        await pilot.press("n")
        await pilot.press("t")
        await pilot.press("r")  # a read it could not keep: refused too, not failed per row
        await pilot.press("R")
        await settle(app, pilot)
        assert not isinstance(app.screen, NoteScreen)
        assert [n.title for n in notifications(app)] == ["Team store offline"] * 4
        assert len(fake.requests) == gets_before
        assert store.claims() == {}

        def lost(*args, **kwargs):
            raise errors.TeamStoreConnectionLostError("The server went away.")

        real = {name: getattr(store, name) for name in ("list", "count", "ids", "get")}
        for name in real:
            monkeypatch.setattr(store, name, lost)
        feeds[0].change()  # a read while the server is away: the rows stay
        await settle(app, pilot)
        assert [screen.table.listing.row(i).id for i in range(3)] == listed
        assert "connection lost" in screen.states.app_line.lower()
        for name, method in real.items():
            monkeypatch.setattr(store, name, method)

        ann.add([NEW_ID])
        feeds[0].state(True)
        await settle_until(app, pilot, lambda: NEW_ID in screen.table.listing.ids())
        assert OFFLINE_HEADER not in header(app)
        assert not screen.team_offline


async def test_the_feed_is_closed_on_exit_without_waiting_for_it(fake, tmp_path):
    """A feed stuck connecting to a server that went away takes seconds to close: the app
    exits at once, and the feed is closed on a thread of its own."""
    app = make_app(fake, tmp_path, ids=PENDING[:1], watch=False)
    feeds = with_feed(app)
    release, closing = threading.Event(), threading.Event()

    def slow_close() -> None:
        closing.set()
        release.wait(10)
        feeds[0].closed = True

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        feeds[0].close = slow_close  # type: ignore[method-assign]
        assert not feeds[0].closed
    assert closing.wait(5) and not feeds[0].closed  # the app is gone; its feed still closing
    release.set()
    for _ in range(100):
        if feeds[0].closed:
            break
        threading.Event().wait(0.02)
    assert feeds[0].closed


# --- two real team stores ---------------------------------------------------------------------


async def test_a_note_by_store_b_appears_on_as_screen(fake, tmp_path, pg_url):
    """Two members on one PostgreSQL database: B's note shows on A's screen, no key pressed."""
    from scenario_tui.tui.app import ScenarioApp

    settings = make_settings(tmp_path, store_url=pg_url, watch=False)
    service = build_service(settings, transport=fake.transport())
    service.store.add(PENDING[:2])
    b = open_store(settings, warn=False)
    app = ScenarioApp(service, settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            screen = app.main_screen
            await settle_until(app, pilot, lambda: screen._live is not None
                               and screen._live.running)
            assert "[TEAM]" in header(app)  # the shared store, said at the top
            highlighted = screen.table.highlighted_id
            b.set_note(highlighted, "B was here")
            await settle_until(app, pilot, lambda: "B was here" in screen.detail.text)
    finally:
        b.close()
        service.store.close()
