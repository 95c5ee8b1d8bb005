"""An intent opened in a thread while its task is cancelled (``service.despite_cancel``): the
opening runs to its end, and what it opened is settled before the cancel goes on, so this
process, still alive, does not hold the upload until it ends. For a complete and for an upload's
transfer, in the TUI's service (``keep_loop_free``: its store calls run in threads)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scenario_tui.core import errors
from scenario_tui.core.units import MIB
from scenario_tui.service import completion
from scenario_tui.service.despite_cancel import opened_despite_cancel, to_the_end
from tests.kit import PENDING
from tests.unit.service.conftest import make_file, make_uploader, part_puts


async def until(predicate, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "not reached in time"
        await asyncio.sleep(0.005)


class HeldOpening:
    """A blocking call that waits, in its thread, until ``release``; ``entered`` once it runs."""

    def __init__(self, call) -> None:
        self.call = call
        self.entered = threading.Event()
        self.gate = threading.Event()

    def __call__(self, *args, **kwargs):
        self.entered.set()
        assert self.gate.wait(10)
        return self.call(*args, **kwargs)


async def cancel_while_held(task: asyncio.Task, held: HeldOpening) -> None:
    """Cancel ``task`` while ``held`` runs in its thread, then let the thread go on."""
    await until(held.entered.is_set)
    task.cancel()
    await asyncio.sleep(0.05)  # the task was cancelled while the thread still runs
    assert not task.done()  # it waits for the opening, which a cancel cannot stop
    held.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_what_is_opened_as_the_task_is_cancelled_is_closed_then_the_cancel_goes_on():
    closed: list[str] = []
    held = HeldOpening(lambda: "intent 7")
    task = asyncio.ensure_future(opened_despite_cancel(asyncio.to_thread(held), closed.append))
    await cancel_while_held(task, held)
    assert closed == ["intent 7"]


async def test_an_opening_that_ends_normally_or_fails_closes_nothing():
    closed: list[object] = []
    assert await opened_despite_cancel(asyncio.to_thread(lambda: 3), closed.append) == 3

    def refused():
        raise errors.IntentHeldError("held by ann")

    with pytest.raises(errors.IntentHeldError):
        await opened_despite_cancel(asyncio.to_thread(refused), closed.append)
    held = HeldOpening(refused)  # fails after the cancel: nothing to close, still cancelled
    task = asyncio.ensure_future(opened_despite_cancel(asyncio.to_thread(held), closed.append))
    await cancel_while_held(task, held)
    assert closed == []


async def test_to_the_end_outlasts_a_second_cancel():
    held = HeldOpening(lambda: "done")
    finished: list[str] = []

    async def waiter():
        future = await to_the_end(asyncio.to_thread(held))
        finished.append(future.result())

    task = asyncio.ensure_future(waiter())
    await until(held.entered.is_set)
    task.cancel()
    await asyncio.sleep(0.02)
    task.cancel()
    await asyncio.sleep(0.02)
    assert not task.done()
    held.gate.set()
    await task  # both cancels were absorbed: it ran to the end
    assert finished == ["done"]


async def test_a_complete_stopped_as_its_intent_opens_is_settled_and_can_be_sent_later(
        service, fake, monkeypatch):
    """Before: the intent stayed open, held by this live process, and every later complete
    of the upload by it was refused until it ended."""
    upload_id = PENDING[0]
    service.add([upload_id])
    service.keep_loop_free = True
    held = HeldOpening(service.ledger.begin)
    monkeypatch.setattr(service.ledger, "begin", held)
    task = asyncio.ensure_future(service.complete(upload_id))
    await cancel_while_held(task, held)
    intent = service.store.latest_intent(upload_id)
    assert intent.state == "interrupted" and intent.message == completion.STOPPED_AS_OPENED
    assert fake.complete_count(upload_id) == 0
    monkeypatch.undo()
    assert (await service.complete(upload_id)).sent  # asked again: sent, once
    assert fake.complete_count(upload_id) == 1


async def test_an_upload_stopped_as_its_transfer_intent_opens_is_settled_and_sends_nothing(
        service, fake, tmp_path, monkeypatch):
    service.keep_loop_free = True
    held = HeldOpening(service.ledger.begin)
    monkeypatch.setattr(service.ledger, "begin", held)
    uploader = make_uploader(service, fake, chunk_size=MIB)
    task = asyncio.ensure_future(uploader.upload_file(
        make_file(tmp_path, "clip.mp4", 6 * MIB), part_size=5 * MIB))
    await cancel_while_held(task, held)
    upload_id = uploader.interruption.upload_id
    intent = service.store.latest_intent(upload_id)
    assert intent.action == "transfer" and intent.state == "interrupted"
    assert "Resume with:" in intent.message
    said = [e for e in service.store.events(upload_id=upload_id)
            if e.action == "upload-interrupted"]
    assert len(said) == 1  # said once, with the intent's settlement
    assert part_puts(fake, upload_id) == []
