"""``RefreshThread``: bulk refreshes on an event loop in another thread (the TUI's ``R`` and
start-up refresh), against the in-process fake and over a real loopback socket.

What must hold: the requests are made in the refresh thread, never on the caller's; results
come back on the caller's loop, each after its snapshot is stored; an exception in the callback
or in the refresh itself reaches the caller; cancelling waits until the reported uploads are
stored; refreshes at the same time share one window; a rate limit seen by the thread pauses the
caller's own client too; ``close()`` stops the thread.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.service.refresh_thread import RefreshThread
from tests.conftest import make_settings
from tests.kit import clone_pending


class ThreadRecorder:
    """Wraps an injected transport: the name of the thread each request was made in."""

    def __init__(self, transport) -> None:
        self.threads: list[str] = []
        inner = transport.handle_async_request

        async def recorded(request):
            self.threads.append(threading.current_thread().name)
            return await inner(request)

        transport.handle_async_request = recorded


@pytest.fixture
def threaded(fake, tmp_path):
    """A service on the in-process fake (5 ms per request), its refresh thread, 80 pending IDs."""
    ids = clone_pending(fake, 80, "up_thread")
    transport = fake.transport()
    recorder = ThreadRecorder(transport)
    service = build_service(make_settings(tmp_path, max_retries=0), transport=transport)
    service.store.add(ids)
    fake.latency = 0.005
    refresher = RefreshThread(service)
    yield service, refresher, ids, recorder
    refresher.close()
    service.store.close()


async def test_requests_run_in_the_thread_and_results_come_back_on_the_callers(threaded):
    service, refresher, ids, recorder = threaded
    caller = threading.get_ident()
    reported: list[str] = []

    def on_result(upload_id, upload, exc):
        assert threading.get_ident() == caller
        assert exc is None and service.store.get(upload_id).fetched_at is not None
        reported.append(upload_id)

    results = await refresher.refresh_many(ids + ids[:5], concurrency=6, on_result=on_result)
    assert sorted(reported) == sorted(ids) and set(results) == set(ids)
    assert recorder.threads and set(recorder.threads) == {"scenario-tui-refresh"}
    assert len(recorder.threads) == len(ids)
    assert refresher.refresh_window.history == [6] and refresher.refresh_window.peak == 6
    await service.refresh(ids[0])  # the service's own client stays on the caller's loop
    assert recorder.threads[-1] == threading.current_thread().name


async def test_two_refreshes_at_once_share_one_window(threaded):
    service, refresher, ids, _ = threaded
    first, second = await asyncio.gather(refresher.refresh_many(ids[:40], concurrency=3),
                                         refresher.refresh_many(ids[40:], concurrency=3))
    assert set(first) | set(second) == set(ids)
    assert refresher.refresh_window.peak == 3
    assert all(service.store.get(i).fetched_at for i in ids)


async def test_an_error_in_on_result_stops_the_refresh_and_is_raised(threaded, fake):
    service, refresher, ids, recorder = threaded

    def on_result(upload_id, upload, exc):
        raise RuntimeError("kaboom in on_result")

    with pytest.raises(RuntimeError, match="kaboom in on_result"):
        await refresher.refresh_many(ids, concurrency=2, on_result=on_result)
    sent = len(recorder.threads)
    assert sent < len(ids)
    await asyncio.sleep(0.1)
    assert len(recorder.threads) == sent  # stopped, not still running in the thread


async def test_an_error_in_the_refresh_reaches_the_caller(threaded, monkeypatch):
    service, refresher, ids, _ = threaded
    twin = refresher._start()[1]

    def full(items, *args, **kwargs):
        raise errors.StoreWriteError("Could not save uploads: the disk is full.")

    monkeypatch.setattr(twin.store, "record_snapshots", full)
    results = await refresher.refresh_many(ids[:10], concurrency=2)
    assert all(isinstance(results[i], errors.StoreWriteError) for i in ids[:10])

    async def broken(*args, **kwargs):
        raise ValueError("a bug in the thread")

    monkeypatch.setattr(twin, "refresh_many", broken)
    with pytest.raises(ValueError, match="a bug in the thread"):
        await refresher.refresh_many(ids, concurrency=2)


async def test_cancelling_waits_until_every_reported_upload_is_stored(threaded, monkeypatch):
    """Each batch takes 30 ms to write (a slow disk): the cancelled call returns only after
    the thread's last batch is written."""
    service, refresher, ids, recorder = threaded
    real = service.store.record_snapshots

    def slow(items, *args, **kwargs):
        time.sleep(0.03)  # in the refresh thread
        return real(items, *args, **kwargs)

    monkeypatch.setattr(service.store, "record_snapshots", slow)
    reported: list[str] = []
    task: asyncio.Task | None = None

    def on_result(upload_id, upload, exc):
        reported.append(upload_id)
        if len(reported) == 20:
            task.cancel()

    task = asyncio.ensure_future(refresher.refresh_many(ids, concurrency=4, on_result=on_result))
    with pytest.raises(asyncio.CancelledError):
        await task
    # read at once: the refresh in the thread has ended, its last batch written
    sent = len(recorder.threads)
    stored = {i for i in ids if service.store.get(i).fetched_at is not None}
    assert set(reported) <= stored and len(stored) < len(ids)
    await asyncio.sleep(0.2)
    assert len(recorder.threads) == sent
    assert {i for i in ids if service.store.get(i).fetched_at is not None} == stored


async def test_a_rate_limit_seen_in_the_thread_pauses_the_callers_client(threaded, fake):
    """The thread's requests are answered 429 with a 120 s pause: the caller's own client then
    sends nothing and says how long to wait."""
    service, refresher, ids, recorder = threaded
    fake.faults.add(status=429, method="GET", count=None, remaining_seconds=120)
    results = await refresher.refresh_many(ids[:3], concurrency=1)
    assert all(isinstance(r, errors.RateLimitedError) for r in results.values())
    sent = len(recorder.threads)
    with pytest.raises(errors.RateLimitedError, match="nothing was sent"):
        await service.refresh(ids[0])
    assert len(recorder.threads) == sent


async def test_close_stops_the_thread_and_a_later_refresh_starts_another(threaded):
    service, refresher, ids, _ = threaded
    await refresher.refresh_many(ids[:4], concurrency=2)
    thread = refresher._thread
    assert thread is not None and thread.is_alive()
    refresher.close()
    assert not thread.is_alive()
    refresher.close()  # twice is harmless
    results = await refresher.refresh_many(ids[4:8], concurrency=2)
    assert set(results) == set(ids[4:8]) and refresher._thread is not thread


async def test_close_during_a_refresh_lets_every_task_of_the_thread_end(threaded):
    """Closed while a refresh is under way (the TUI quitting): every task of the thread's loop
    has run its cancellation to the end before the loop stops (none is left suspended, to be
    collected unfinished later), and what was read is stored."""
    service, refresher, ids, recorder = threaded
    task = asyncio.ensure_future(refresher.refresh_many(ids, concurrency=8))
    while len(recorder.threads) < 10:
        await asyncio.sleep(0.005)
    twin, loop = refresher._twin, refresher._loop
    real_read = twin.read

    async def slow_to_stop(upload_id):  # a read whose clean-up takes a few turns of the loop
        try:
            return await real_read(upload_id)
        finally:
            await asyncio.sleep(0.05)

    twin.read = slow_to_stop
    while len(recorder.threads) < 30:
        await asyncio.sleep(0.005)
    refresher.close()
    assert loop is not None and [t for t in asyncio.all_tasks(loop) if not t.done()] == []
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = [i for i in ids if service.store.get(i).fetched_at is not None]
    assert 0 < len(stored) < len(ids)


async def test_over_a_real_loopback_socket(fake, server, tmp_path):
    ids = clone_pending(fake, 30, "up_served")
    service = build_service(make_settings(tmp_path, base_url=server.base_url))
    service.store.add(ids)
    refresher = RefreshThread(service)
    try:
        reported = []
        results = await refresher.refresh_many(
            ids, concurrency=5, on_result=lambda i, upload, exc: reported.append((i, exc)))
        assert sorted(i for i, _ in reported) == sorted(ids)
        assert all(exc is None for _, exc in reported)
        assert all(results[i].status == "pending" for i in ids)
        assert all(service.store.get(i).status == "pending" for i in ids)
    finally:
        refresher.close()
        service.store.close()


async def test_the_tui_refreshes_in_the_thread_and_shows_the_results(fake, tmp_path):
    """Start-up refresh and ``R`` send their reads from the refresh thread; the rows show what
    came back; quitting stops the thread."""
    from scenario_tui.tui.app import ScenarioApp
    from tests.conftest import settle

    ids = clone_pending(fake, 40, "up_tui")
    transport = fake.transport()
    recorder = ThreadRecorder(transport)
    settings = make_settings(tmp_path)
    service = build_service(settings, transport=transport)
    service.store.add(ids)
    app = ScenarioApp(service, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        startup = list(recorder.threads)
        assert startup.count("scenario-tui-refresh") == len(ids)  # every one at start-up
        with fake._lock:  # five of them moved on since start-up
            for upload_id in ids[:5]:
                fake.uploads[upload_id].status = "validating"
        await pilot.press("R")
        await settle(app, pilot)
        bulk = recorder.threads[len(startup):]
        assert bulk.count("scenario-tui-refresh") == len(ids)
        listing = app.main_screen.table.listing
        shown = {listing.row(i).id: listing.row(i).status for i in range(listing.count())}
        assert all(shown[i] == "validating" for i in ids[:5])
        assert "Refreshed 40 uploads at " in app.main_screen.states.app_line
        thread = app.main_screen.refresher._thread
    assert thread is not None and not thread.is_alive()


async def test_the_refresh_steps_aside_for_the_caller_until_resumed_or_its_time_is_up(threaded):
    """A key on the TUI: the thread's loop does nothing (and holds no GIL) until ``resume()``,
    or until the time asked for has passed."""
    service, refresher, ids, recorder = threaded
    reported: list[str] = []
    refresh = asyncio.ensure_future(refresher.refresh_many(
        ids, concurrency=4, on_result=lambda upload_id, upload, exc: reported.append(upload_id)))
    while len(reported) < 5:
        await asyncio.sleep(0.005)
    refresher.step_aside(30.0)
    await asyncio.sleep(0.05)  # the turn of the loop under way ends; then nothing moves
    requests, done = len(recorder.threads), len(reported)
    await asyncio.sleep(0.3)
    assert (len(recorder.threads), len(reported)) == (requests, done) and done < len(ids)
    refresher.resume()
    await refresh
    assert sorted(reported) == sorted(ids)
    refresher.step_aside(0.2)  # never resumed: the thread goes on once the time is up
    started = time.monotonic()
    await refresher.refresh_many(ids[:3], concurrency=3)
    assert 0.1 < time.monotonic() - started < 5


async def test_a_key_holds_a_bulk_refresh_from_its_arrival_until_the_frame_that_shows_it(
        fake, tmp_path):
    """The refresh steps aside as the driver hands the key over, before the screen has seen it,
    and resumes once the frame showing the key's effect is drawn: not before (a resume at the
    key's handler came 4 ms before its frame), and once."""
    from scenario_tui.tui import internals
    from scenario_tui.tui.app import KEY_ASIDE
    from tests.conftest import make_app, settle

    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        refresher, table = screen.refresher, screen.table
        assert app._yielding == (refresher,)
        calls: list[tuple] = []
        step_aside, resume = refresher.step_aside, refresher.resume
        refresher.step_aside = lambda seconds: (
            calls.append(("aside", screen.key_at, seconds)), step_aside(seconds))[1]
        refresher.resume = lambda: (calls.append(("resume",)), resume())[1]
        internals.watch_frames(app, lambda: calls.append(("frame", table.cursor)), before=True)
        key_at, before = screen.key_at, table.cursor
        await pilot.press("down")
        await pilot.pause()
        assert calls[0] == ("aside", key_at, KEY_ASIDE)  # the screen had not seen the key yet
        assert screen.key_at > key_at
        kinds = [call[0] for call in calls]
        assert kinds.count("resume") == 1 and refresher._go.is_set()
        frames = [call for call in calls[:kinds.index("resume")] if call[0] == "frame"]
        assert frames and frames[-1] == ("frame", before + 1)
    assert app._yielding == ()  # the main screen let go of it when it closed
