"""A bulk complete's requests pass a gate (``service.request_gate``): at most N at the API at
once, a waiting POST before the waiting reads, and none held while the store is written, so the
next upload's read overlaps an upload's intent being opened or settled. Over the fake API
in-process; the gate alone for its order and its cancellations."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scenario_tui.service.request_gate import RequestGate
from tests.kit import PENDING, count_requests


async def until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


# --- the gate alone ------------------------------------------------------------------------------


async def test_a_waiting_urgent_request_goes_before_reads_that_asked_earlier():
    gate = RequestGate(1)
    entered: list[str] = []

    async def request(name: str, urgent: bool) -> None:
        async with gate.place(urgent=urgent):
            entered.append(name)
            await asyncio.sleep(0)

    async with gate.place():  # the place is taken; three ask meanwhile
        waiters = [asyncio.create_task(request("read 1", False)),
                   asyncio.create_task(request("read 2", False))]
        await until(lambda: gate.waiting == 2)
        waiters.append(asyncio.create_task(request("post", True)))
        await until(lambda: gate.waiting == 3)
    await asyncio.gather(*waiters)
    assert entered == ["post", "read 1", "read 2"]
    assert gate.in_use == 0


async def test_no_more_than_its_places_are_taken_at_once():
    gate = RequestGate(3)
    inside, most = 0, 0

    async def request() -> None:
        nonlocal inside, most
        async with gate.place():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(request() for _ in range(10)))
    assert most == 3 and gate.in_use == 0


async def test_a_cancelled_asker_gives_up_its_turn_and_the_place_it_was_handed():
    gate = RequestGate(1)
    entered: list[str] = []

    async def request(name: str) -> None:
        async with gate.place():
            entered.append(name)

    async with gate.place():
        gone = asyncio.create_task(request("gone"))
        await until(lambda: gate.waiting == 1)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert gate.waiting == 0
        handed = asyncio.create_task(request("handed"))
        await until(lambda: gate.waiting == 1)
    handed.cancel()  # its place was handed over as the block above ended: cancelled before use
    with pytest.raises(asyncio.CancelledError):
        await handed
    assert entered == [] and gate.in_use == 0
    await asyncio.wait_for(request("next"), 1)  # the place is free again
    assert entered == ["next"]


# --- a bulk complete's requests ------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_a_bulk_complete_has_at_most_its_concurrency_of_requests_in_flight(
        service, fake, concurrency):
    ids = PENDING[:3]
    service.add(ids)
    service.keep_loop_free = True
    seen = count_requests(service)
    tally = service.bulk_complete(ids, concurrency)
    results = await asyncio.gather(*(service.complete(i, tally) for i in ids))
    assert all(r.sent for r in results)
    assert all(fake.complete_count(i) == 1 for i in ids)
    assert seen["most"] == concurrency
    assert sorted(seen["started"]) == sorted(
        (name, i) for i in ids for name in ("get_upload", "complete_upload"))


async def test_the_next_uploads_read_goes_out_while_an_intent_is_settled(service, fake):
    """Concurrency 1: while the first upload's settlement is being written (held in its thread
    until the second upload's read has started), the second's read is at the API."""
    first, second = PENDING[:2]
    service.add([first, second])
    service.keep_loop_free = True
    seen = count_requests(service)
    second_read = threading.Event()
    waited: list[bool] = []
    real_settle = service.store.settle_intent

    def settle(intent, *args, **kwargs):
        if intent.upload_id == first:  # in the store's thread
            waited.append(second_read.wait(3))
        return real_settle(intent, *args, **kwargs)

    service.store.settle_intent = settle
    real_get = service.client.get_upload

    async def get(upload_id, *args, **kwargs):
        if upload_id == second:
            second_read.set()
        return await real_get(upload_id, *args, **kwargs)

    service.client.get_upload = get
    tally = service.bulk_complete([first, second], 1)
    results = await asyncio.gather(*(service.complete(i, tally) for i in (first, second)))
    assert all(r.sent for r in results) and not any(r.warning for r in results)
    assert waited == [True]
    assert seen["most"] == 1


async def test_a_complete_stopped_while_waiting_to_post_sends_nothing_and_says_so(service, fake):
    """Concurrency 1: the first upload's POST holds the place; the second has been read, its
    intent is open and its POST waits. Stopped then (q, a cancelled worker): its intent is
    settled as not sent, and nothing was sent; the first is sent once."""
    first, second = PENDING[:2]
    service.add([first, second])
    count_requests(service)  # each request takes a while (the fake in-process takes none)
    release = asyncio.Event()
    real_complete = service.client.complete_upload

    async def complete_upload(upload_id, *args, **kwargs):
        if upload_id == first:
            await release.wait()
        return await real_complete(upload_id, *args, **kwargs)

    service.client.complete_upload = complete_upload
    tally = service.bulk_complete([first, second], 1)
    # the first reads, then the second (while the first's intent is opened), then the first
    # posts (before the second, whose intent is open meanwhile, may)
    a = asyncio.create_task(service.complete(first, tally))
    b = asyncio.create_task(service.complete(second, tally))

    def second_waits_to_post() -> bool:
        intent = service.store.latest_intent(second)
        return intent is not None and intent.is_open and tally.gate.waiting == 1

    await until(second_waits_to_post)
    b.cancel()
    with pytest.raises(asyncio.CancelledError):
        await b
    release.set()
    assert (await a).sent
    intent = service.store.latest_intent(second)
    assert intent.state == "interrupted" and "was not sent" in intent.message
    assert fake.complete_count(second) == 0 and fake.complete_count(first) == 1
    assert tally.gate.in_use == 0
