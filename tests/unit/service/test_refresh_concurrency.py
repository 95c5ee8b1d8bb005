"""A bulk refresh (``service.refresh_many``: the TUI's ``R`` and start-up refresh) keeps at most
the configured number of reads in flight, fewer after a 429 (AIMD: halved at each new rate limit,
down to 1, grown back by one after a run of successes), and writes its snapshots in batches:
every ID gets exactly one result, reported only once its snapshot is in the store, and every
result is in the store when the refresh returns, even when it is cancelled."""

from __future__ import annotations

import asyncio

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.config import DEFAULT_REFRESH_CONCURRENCY, Settings
from scenario_tui.service.bulk_refresh import SNAPSHOT_BATCH, RefreshWindow
from tests.conftest import make_settings
from tests.kit import clone_pending


class InFlight:
    """Wraps the fake's transport: for each request sent, how many were in flight (itself
    included), the window's limit at that moment, and whether it was the ID's first attempt."""

    def __init__(self, service) -> None:
        self.service = service
        self.now = 0
        self.sends: list[tuple[int, int, bool]] = []
        self._paths: set[str] = set()
        transport = service.client._http._transport
        inner = transport.handle_async_request

        async def counted(request):
            path = request.url.path
            first = path not in self._paths
            self._paths.add(path)
            self.now += 1
            self.sends.append((self.now, self.service.refresh_window.limit, first))
            try:
                return await inner(request)
            finally:
                self.now -= 1

        transport.handle_async_request = counted

    @property
    def peak(self) -> int:
        return max(n for n, _, _ in self.sends)


@pytest.fixture
def bulk(fake, tmp_path):
    """A service on the in-process fake (10 ms per request, real sleeps) and 100 pending IDs."""
    ids = clone_pending(fake, 100, "up_bulk")
    service = build_service(make_settings(tmp_path, max_retries=2), transport=fake.transport())
    service.store.add(ids)
    fake.latency = 0.01
    yield service, ids, InFlight(service)
    service.store.close()


def test_the_default_is_twelve_and_the_settings_use_it():
    assert DEFAULT_REFRESH_CONCURRENCY == 12
    assert Settings().refresh_concurrency == DEFAULT_REFRESH_CONCURRENCY


async def test_in_flight_reaches_the_setting_and_never_exceeds_it(bulk):
    """With no 429, the window stays at the setting: 5 requests in flight, never 6."""
    service, ids, flight = bulk
    results = await service.refresh_many(ids, concurrency=5)
    assert flight.peak == 5
    assert service.refresh_window.history == [5]
    assert len(flight.sends) == len(ids)
    assert all(not isinstance(r, errors.ScenarioTuiError) for r in results.values())


async def test_bulk_refreshes_at_the_same_time_share_one_window(bulk):
    """The start-up refresh and ``R`` running together keep 4 in flight between them, not 4
    each; a later refresh starts a window of its own."""
    service, ids, flight = bulk
    first, second = await asyncio.gather(service.refresh_many(ids[:50], concurrency=4),
                                         service.refresh_many(ids[50:], concurrency=4))
    assert flight.peak == 4
    assert set(first) | set(second) == set(ids)
    assert all(service.store.get(i).fetched_at for i in ids)
    await service.refresh_many(ids[:3], concurrency=2)
    assert service.refresh_window.history == [2] and service.refresh_window.peak == 2


async def test_a_rate_limit_halves_the_window_and_it_grows_back(bulk, fake):
    """The first 8 requests (all of the first window) are answered 429: the window is cut
    once (not once per 429) to 4, then grows by one per run of successes back to 8, never
    above. Requests for new IDs never outnumber the window's limit; while it is 4, at most 4
    are in flight; once back at 8, 8 are in flight again. Every row ends refreshed."""
    service, ids, flight = bulk
    fake.faults.add(status=429, method="GET", count=8, remaining_seconds=0.05)
    results = await service.refresh_many(ids, concurrency=8)
    assert all(not isinstance(r, errors.ScenarioTuiError) for r in results.values()), results
    assert service.refresh_window.history == [8, 4, 5, 6, 7, 8]
    assert flight.peak == 8
    firsts = [(n, limit) for n, limit, first in flight.sends if first]
    assert all(n <= limit for n, limit in firsts)
    assert max(n for n, limit in firsts if limit == 4) == 4
    assert max(n for n, limit in firsts[-20:]) == 8
    assert len(flight.sends) == len(ids) + 8  # each 429 cost exactly one retry
    assert all(service.store.get(i).fetched_at for i in ids)


async def test_a_lasting_rate_limit_brings_the_window_down_to_one(bulk, fake):
    """Every request is answered 429 (a short hint): the window halves at each new rate limit,
    8, 4, 2, 1, and stays at 1; each ID gets one result, a RateLimitedError, and nothing is
    stored."""
    service, ids, flight = bulk
    ids = ids[:30]
    fake.faults.add(status=429, method="GET", count=None, remaining_seconds=0.01)
    seen: list[str] = []
    results = await service.refresh_many(
        ids, concurrency=8, on_result=lambda i, upload, exc: seen.append(i))
    assert sorted(seen) == sorted(ids)
    assert all(isinstance(r, errors.RateLimitedError) for r in results.values())
    assert service.refresh_window.history == [8, 4, 2, 1]
    assert [n for n, limit, first in flight.sends if first][-10:] == [1] * 10
    assert all(service.store.get(i).fetched_at is None for i in ids)


async def test_each_id_is_reported_once_after_its_snapshot_is_stored(service, fake):
    """Duplicates are refreshed once; ``on_result`` is called once per ID, and for an upload
    only when the store already holds its snapshot; an unknown ID reports NotFoundError."""
    ids = clone_pending(fake, 60, "up_once") + ["up_does_not_exist"]
    service.store.add(ids)
    reported: list[str] = []

    def on_result(upload_id, upload, exc):
        reported.append(upload_id)
        row = service.store.get(upload_id)
        if upload is not None:
            assert exc is None and row.fetched_at is not None and row.status == upload.status
        else:
            assert isinstance(exc, errors.ScenarioTuiError) and row.fetched_at is None

    results = await service.refresh_many(ids + ids[:10], concurrency=4, on_result=on_result)
    assert sorted(reported) == sorted(ids)
    assert set(results) == set(ids)
    assert isinstance(results["up_does_not_exist"], errors.NotFoundError)
    assert len(fake.requests) == len(ids)


async def test_snapshots_are_written_in_batches(service, fake, monkeypatch):
    """120 uploads are stored in a few transactions of at most SNAPSHOT_BATCH snapshots, not
    one transaction each; every snapshot is in one of them."""
    ids = clone_pending(fake, 120, "up_batch")
    service.store.add(ids)
    batches: list[int] = []
    real = service.store.record_snapshots

    def counted(items, *args, **kwargs):
        items = list(items)
        batches.append(len(items))
        return real(items, *args, **kwargs)

    monkeypatch.setattr(service.store, "record_snapshots", counted)
    monkeypatch.setattr(service.store, "record_snapshot", None)  # never called one by one
    await service.refresh_many(ids, concurrency=8)
    assert sum(batches) == len(ids)
    assert max(batches) <= SNAPSHOT_BATCH and len(batches) < len(ids) // 4
    assert all(service.store.get(i).fetched_at for i in ids)


async def test_a_failed_batch_write_reports_its_uploads_as_errors(service, fake, monkeypatch):
    """The store refuses one batch (a full disk): each upload of that batch reports the store's
    error and is not stored; the other batches are stored and reported as refreshed."""
    ids = clone_pending(fake, 80, "up_full")
    service.store.add(ids)
    real = service.store.record_snapshots
    calls = []

    def full_once(items, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise errors.StoreWriteError("Could not save uploads: the disk is full.")
        return real(items, *args, **kwargs)

    monkeypatch.setattr(service.store, "record_snapshots", full_once)
    reported: dict[str, object] = {}
    results = await service.refresh_many(
        ids, concurrency=8, on_result=lambda i, upload, exc: reported.setdefault(i, exc or upload))
    failed = [i for i in ids if isinstance(results[i], errors.StoreWriteError)]
    assert 0 < len(failed) <= SNAPSHOT_BATCH
    assert all(reported[i] is results[i] for i in ids)
    assert all((service.store.get(i).fetched_at is None) == (i in failed) for i in ids)


async def test_cancelling_keeps_every_reported_upload_stored(bulk):
    """Cancelled part-way (escape in the TUI): the uploads reported as refreshed are exactly
    those whose snapshot is in the store; none is left waiting in a batch."""
    service, ids, _ = bulk
    reported: list[str] = []
    task: asyncio.Task | None = None

    def on_result(upload_id, upload, exc):
        assert upload is not None
        reported.append(upload_id)
        if len(reported) >= 30:
            task.cancel()

    task = asyncio.ensure_future(service.refresh_many(ids, concurrency=8, on_result=on_result))
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = {i for i in ids if service.store.get(i).fetched_at is not None}
    assert len(reported) < len(ids)
    assert stored == set(reported) and len(reported) == len(set(reported))


async def test_an_error_in_on_result_stops_the_refresh_and_is_raised(service, fake):
    ids = clone_pending(fake, 200, "up_boom")
    service.store.add(ids)

    def on_result(upload_id, upload, exc):
        raise RuntimeError("kaboom in on_result")

    with pytest.raises(RuntimeError, match="kaboom in on_result"):
        await service.refresh_many(ids, concurrency=4, on_result=on_result)
    assert len(fake.requests) < len(ids)


# --- the window alone -------------------------------------------------------------------------


async def test_window_admits_up_to_its_limit_and_wakes_a_waiter_on_release():
    window = RefreshWindow(2)
    await window.acquire()
    await window.acquire()
    third = asyncio.ensure_future(window.acquire())
    await asyncio.sleep(0)
    assert not third.done() and window.in_flight == 2
    window.release()
    await asyncio.wait_for(third, 1)
    assert window.in_flight == 2 and window.peak == 2


async def test_window_halves_to_one_and_grows_back_to_its_ceiling_only():
    window = RefreshWindow(6)
    for expected in (3, 1, 1):
        window.slow_down()
        assert window.limit == expected
    successes = 0
    while window.limit < 6:
        window.succeeded()
        successes += 1
    assert successes == 1 + 2 + 3 + 4 + 5  # a run as long as the limit for each step
    for _ in range(50):
        window.succeeded()
    assert window.limit == 6 and window.history == [6, 3, 1, 2, 3, 4, 5, 6]


async def test_window_growth_lets_a_waiter_in():
    window = RefreshWindow(2)
    window.slow_down()
    await window.acquire()
    waiting = asyncio.ensure_future(window.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()
    window.succeeded()  # a run of 1 success at limit 1: the limit grows to 2
    await asyncio.wait_for(waiting, 1)
    assert window.in_flight == 2


async def test_client_counts_requests_and_the_latest_rate_limited_one(service, fake):
    """What the window reads: ``requests_sent`` counts every attempt; ``last_rate_limited`` is
    the number of the latest-sent request answered 429."""
    client = service.client
    upload_id = clone_pending(fake, 1, "up_count")[0]
    await client.get_upload(upload_id)
    assert (client.requests_sent, client.last_rate_limited) == (1, 0)
    fake.faults.add(status=429, method="GET", count=1, remaining_seconds=0)
    with pytest.raises(errors.RateLimitedError):
        await client.get_upload(upload_id)  # max_retries=0: one attempt
    assert (client.requests_sent, client.last_rate_limited) == (2, 2)
    await client.get_upload(upload_id)
    assert (client.requests_sent, client.last_rate_limited) == (3, 2)
