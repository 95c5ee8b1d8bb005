"""Rate limits on a bulk refresh (promise 2 of RELIABILITY.md), at the service level.

``service.refresh_many`` (what the TUI's ``R`` and start-up refresh run) under 429s: the client's
shared cooldown makes the whole refresh wait after a 429, with or without a wait hint, instead of
every row retrying on its own; every row still ends refreshed; and a wait too long to honour
fails every row at once without sending them.
"""

from __future__ import annotations

import time

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from tests.conftest import make_settings
from tests.kit import clone_pending


class Timeline:
    """Wraps the fake's transport: when each request was sent, and when each 429 came back."""

    def __init__(self, transport) -> None:
        self.sent: list[tuple[float, str]] = []
        self.limited: list[float] = []
        inner = transport.handle_async_request

        async def timed(request):
            self.sent.append((time.monotonic(), request.url.path))
            response = await inner(request)
            if response.status_code == 429:
                self.limited.append(time.monotonic())
            return response

        transport.handle_async_request = timed

    def sent_between(self, start: float, end: float) -> list[float]:
        return [round(t - start, 3) for t, _ in self.sent if start < t < end]


@pytest.fixture
def bulk(fake, tmp_path):
    ids = clone_pending(fake, 40, "up_bulk")
    service = build_service(make_settings(tmp_path, max_retries=2), transport=fake.transport())
    service.store.add(ids)
    timeline = Timeline(service.client._http._transport)
    fake.latency = 0.01
    yield service, ids, timeline
    service.store.close()


@pytest.mark.parametrize("hint", [dict(retry_after_ms=300), dict(remaining_seconds=0.3), {}],
                         ids=["retry-after-ms", "remainingSeconds", "no-hint"])
async def test_bulk_refresh_backs_off_as_a_whole_and_finishes(bulk, fake, hint):
    """A burst of three 429s among the first eight requests: nothing at all is sent during the
    cooldown that follows (0.3 s hinted, or the ~0.4-0.5 s backoff when there is no hint), each
    429 costs exactly one retry, and all 40 rows end refreshed."""
    service, ids, timeline = bulk
    fake.faults.add(status=429, method="GET", count=3, **hint)
    results = await service.refresh_many(ids, concurrency=8)
    assert all(not isinstance(r, errors.ScenarioTuiError) for r in results.values()), results
    assert all(service.store.get(i).fetched_at for i in ids)
    first = timeline.limited[0]
    assert timeline.sent_between(first + 0.05, first + 0.28) == []
    assert len(timeline.sent) == len(ids) + 3


async def test_a_wait_too_long_to_honour_fails_the_rows_without_a_storm(bulk, fake):
    """The API asks for an hour: the first 429 ends the refresh of every row at once ("try again
    in 60 s", the cap), and the rows not yet asked for are not sent at all."""
    service, ids, timeline = bulk
    fake.faults.add(status=429, method="GET", count=None, remaining_seconds=3600)
    started = time.monotonic()
    results = await service.refresh_many(ids, concurrency=8)
    assert time.monotonic() - started < 2
    assert all(isinstance(r, errors.RateLimitedError) for r in results.values())
    # (issue 16: a hint over 60 s is capped at 60 s, as in the official SDK; it said 3600 s)
    assert all("Try again in 60 s" in r.message or "Try again in 59 s" in r.message
               for r in results.values())
    assert len(timeline.sent) <= 8  # only those already in flight when the first 429 came back
    assert all(service.store.get(i).fetched_at is None for i in ids)
