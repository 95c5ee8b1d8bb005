"""Completing under the intent ledger (RELIABILITY.md, promise 8), over the fake API in-process:
refused (before any request) while another process holds the upload, or while its parts are
sent; an intent left by a dead process is reconciled by a read, and the complete that finds it
does not send (asking again does); another process completing between our read and our POST
makes us read again instead of sending twice; a store that fails after the POST gives a warning,
never a failure; an interrupted POST keeps its 'sending' entry; the uploader holds a transfer
intent while it sends parts, and a resume refuses another file of the same size."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.units import MIB
from scenario_tui.service.local_files import LocalFileError
from scenario_tui.service.upload_result import UploadIncompleteError
from scenario_tui.store import intent_model, intents
from scenario_tui.store.intents import Holder, process_start
from tests.kit import PENDING
from tests.unit.service.conftest import (
    make_file,
    make_uploader,
    no_sleep,
    part_puts,
    upload_cancelled_after_first_part,
)


def live_holder(label: str = "scenario-tui complete") -> Holder:
    pid = os.getppid()  # another process, alive
    return Holder(pid, socket.gethostname(), process_start(pid), label)


def dead_holder() -> Holder:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return Holder(child.pid, socket.gethostname(), "1", "scenario-tui complete")


def gets(fake, upload_id: str) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.endswith(upload_id))


def b_completes_after_as_first_read(a, b) -> list[str]:
    """From now on, the first time service A reads an upload, service B completes it right
    after (A saw it pending); the list that comes back grows with each of A's reads."""
    real_read = a.read
    reads: list[str] = []

    async def read_while_b_completes(upload_id: str):
        reads.append(upload_id)
        upload = await real_read(upload_id)
        if len(reads) == 1:
            assert (await b.complete(upload_id)).sent  # after A read "pending"
        return upload

    a.read = read_while_b_completes
    return reads


# --- refused while held --------------------------------------------------------------------------


async def test_complete_is_refused_without_a_request_while_another_process_completes(
        service, fake):
    upload_id = PENDING[0]
    service.add([upload_id])
    holder = live_holder()
    service.store.begin_intent(upload_id, "complete", holder)
    with pytest.raises(errors.IntentHeldError) as caught:
        await service.complete(upload_id)
    assert f"being completed by process {holder.pid} (scenario-tui complete) on this machine" \
        in caught.value.message
    assert fake.complete_count(upload_id) == 0 and gets(fake, upload_id) == 0
    assert service.store.events(upload_id=upload_id)[0].outcome == "refused"


async def test_complete_is_refused_while_parts_are_being_sent(service, fake):
    upload_id = PENDING[0]
    service.store.begin_intent(upload_id, "transfer", live_holder("scenario-tui upload"))
    with pytest.raises(errors.IntentHeldError, match="its parts are still being sent by "
                                                     "process .* \\(scenario-tui upload\\)"):
        await service.complete(upload_id)
    assert fake.complete_count(upload_id) == 0


async def test_c_while_this_process_uploads_the_file_is_refused(service, fake, tmp_path):
    """The TUI's ``U`` then ``c`` on the new upload: refused while its parts go up; the upload
    then completes once, by the uploader."""
    path = make_file(tmp_path, "clip.mp4", 12 * MIB)
    uploader = make_uploader(service, fake, concurrency=1)
    refused: list[str] = []

    async def complete_mid_transfer(progress) -> None:
        (upload_id,) = service.store.ids()
        try:
            await service.complete(upload_id)
        except errors.IntentHeldError as exc:
            refused.append(exc.message)

    tasks: list[asyncio.Task] = []

    def on_progress(progress):
        if progress.parts_done == 1 and not tasks:
            tasks.append(asyncio.ensure_future(complete_mid_transfer(progress)))

    result = await uploader.upload_file(path, part_size=5 * MIB, on_progress=on_progress)
    await asyncio.gather(*tasks)
    assert refused and "its parts are still being sent by process" in refused[0]
    assert fake.complete_count(result.upload_id) == 1 and result.status == "validating"
    transfer = service.store.intents(upload_id=result.upload_id)[1]
    assert (transfer.action, transfer.state) == ("transfer", "done")


# --- crash recovery ------------------------------------------------------------------------------


async def test_an_interrupted_complete_is_reconciled_by_a_read_not_resent(service, fake):
    """A process died mid-POST and its complete never arrived: the next complete reconciles
    (pending: most likely not arrived), does not POST, and says so; asking again sends it."""
    upload_id = PENDING[0]
    service.add([upload_id])
    service.store.begin_intent(upload_id, "complete", dead_holder(), log_message="sending")
    with pytest.raises(errors.EarlierCompleteInterruptedError, match="complete it again"):
        await service.complete(upload_id)
    assert fake.complete_count(upload_id) == 0
    assert service.store.intents(upload_id=upload_id)[0].state == "reconciled"
    result = await service.complete(upload_id)
    assert result.sent and fake.complete_count(upload_id) == 1


async def test_a_dead_processs_complete_that_arrived_is_reconciled_and_not_sent_again(
        service, fake):
    upload_id = PENDING[0]
    service.add([upload_id])
    service.store.begin_intent(upload_id, "complete", dead_holder(), log_message="sending")
    await service.client.complete_upload(upload_id)  # what the dead process sent
    await service.refresh(upload_id)  # anyone's next read
    reconciled = service.store.latest_intent(upload_id)
    assert reconciled.state == "reconciled" and "went through" in reconciled.message
    result = await service.complete(upload_id)
    assert result.skipped and fake.complete_count(upload_id) == 1


async def test_a_complete_between_our_read_and_our_post_makes_us_read_again(
        fake, settings, tmp_path):
    """Two processes on one store: B completes the upload while A is reading it (A saw it
    pending). A's intent then finds B's newer one, reads again, and skips: one POST."""
    upload_id = PENDING[0]
    a = build_service(settings, transport=fake.transport(), sleep=no_sleep)
    b = build_service(settings, transport=fake.transport(), sleep=no_sleep)
    a.add([upload_id])
    reads = b_completes_after_as_first_read(a, b)
    try:
        result = await a.complete(upload_id)
    finally:
        a.store.close()
        b.store.close()
    assert result.skipped and result.upload.status != "pending"
    assert fake.complete_count(upload_id) == 1 and len(reads) == 2


async def test_a_complete_is_one_read_and_two_writes_of_the_store(service, fake, monkeypatch):
    """The re-read is saved with the intent it opens, the answer with the settlement: a
    complete of an upload I just claimed costs the store one read and two write transactions
    (on a team store each is a round trip to the server), and both reads land."""
    upload_id = PENDING[0]
    service.add([upload_id])
    service.claims.take([upload_id])  # as a member of a team does before completing
    calls: list[tuple[str, bool]] = []
    real_run = service.store._run

    def counted(action, body, *, write=False, one_statement=False):
        calls.append((action, write))
        return real_run(action, body, write=write, one_statement=one_statement)

    monkeypatch.setattr(service.store, "_run", counted)
    result = await service.complete(upload_id)
    assert result.sent and fake.complete_count(upload_id) == 1 and gets(fake, upload_id) == 1
    assert calls == [("read intents", False), ("record the intent", True),
                     ("settle the intent", True)]
    row = service.store.get(upload_id)
    assert row.status == result.upload.status != "pending"
    assert [(e.action, e.outcome) for e in service.store.events(upload_id=upload_id)][:2] == [
        ("complete", "sent"), ("complete", "sending")]


async def test_a_batch_reads_the_intents_of_all_its_uploads_at_once(service, fake, monkeypatch):
    """Three uploads completed as one batch (``bulk_complete``, as ``c`` on marked uploads and
    ``complete`` with several IDs do): one read of the intents for all three, then the two
    writes of each; each sent once."""
    ids = PENDING[:3]
    service.add(ids)
    calls: list[str] = []
    real_run = service.store._run

    def counted(action, body, *, write=False, one_statement=False):
        calls.append(action)
        return real_run(action, body, write=write, one_statement=one_statement)

    monkeypatch.setattr(service.store, "_run", counted)
    tally = service.bulk_complete(ids)
    for upload_id in ids:
        tally.result(await service.complete(upload_id, tally))
    assert calls.count("read intents") == 1
    assert calls.count("record the intent") == calls.count("settle the intent") == 3
    assert all(fake.complete_count(i) == 1 for i in ids)
    assert tally.text is not None and tally.text.startswith("3 sent")


async def test_a_batchs_early_read_of_the_intents_never_sends_twice(fake, settings):
    """A batch read the intents before its first complete; then, while A reads its second
    upload, B completes it. A's intent finds B's newer one, A reads again and skips: one
    POST. And an upload B holds when A gets to it: refused, nothing sent by A."""
    first, second, third = PENDING[:3]
    a = build_service(settings, transport=fake.transport(), sleep=no_sleep)
    b = build_service(settings, transport=fake.transport(), sleep=no_sleep)
    a.add([first, second, third])
    tally = a.bulk_complete([first, second, third])
    try:
        assert (await a.complete(first, tally)).sent  # the batch's intents are read here
        reads = b_completes_after_as_first_read(a, b)
        result = await a.complete(second, tally)
        assert result.skipped and fake.complete_count(second) == 1 and len(reads) == 2
        del a.read  # reads as usual again
        b.store.begin_intent(third, "complete", live_holder())
        with pytest.raises(errors.IntentHeldError):
            await a.complete(third, tally)
        assert fake.complete_count(third) == 0
    finally:
        a.store.close()
        b.store.close()


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("keep_loop_free", [False, True])
async def test_a_completes_store_calls_run_where_the_service_says(service, fake, monkeypatch,
                                                                  keep_loop_free, batch):
    """``keep_loop_free`` (the TUI's service): every store call of a complete runs in a
    thread, none on the loop's; without it (the CLI's), all on the loop's, no thread hop.
    Alone or as a batch (whose intents read ahead are handed out from memory)."""
    import threading

    service.add(PENDING[:2])
    service.keep_loop_free = keep_loop_free
    loop_thread = threading.get_ident()
    threads: list[int] = []
    real_run = service.store._run

    def recorded(action, body, *, write=False, one_statement=False):
        threads.append(threading.get_ident())
        return real_run(action, body, write=write, one_statement=one_statement)

    monkeypatch.setattr(service.store, "_run", recorded)
    tally = service.bulk_complete(PENDING[:2]) if batch else None
    assert (await service.complete(PENDING[0], tally)).sent
    fake.faults.add(status=404, method="GET", path=f"/uploads/{PENDING[1]}")
    with pytest.raises(errors.NotFoundError):  # a read that fails is logged, then said
        await service.complete(PENDING[1], tally)
    assert len(threads) >= 5
    on_loop = [t == loop_thread for t in threads]
    assert on_loop == [not keep_loop_free] * len(threads)


async def test_a_batchs_read_of_the_intents_in_a_thread_never_holds_up_the_loop(service, fake,
                                                                                 monkeypatch):
    """The TUI's service (``keep_loop_free``): while one complete of a batch reads the intents
    of all its uploads in a thread (a round trip to a team store), another complete of the
    batch does not wait for that read on the loop (the screen's): it waits in a thread of its
    own. The loop lets the read end here; had it been stuck, the read would have timed out.
    Still one read for the batch, each upload sent once."""
    import threading

    ids = PENDING[:2]
    service.add(ids)
    service.keep_loop_free = True
    reading, let_go = threading.Event(), threading.Event()
    let_go_in_time: list[bool] = []
    real_read = service.store.latest_intents

    def slow_read(upload_ids):
        reading.set()
        let_go_in_time.append(let_go.wait(timeout=5))
        return real_read(upload_ids)

    monkeypatch.setattr(service.store, "latest_intents", slow_read)
    tally = service.bulk_complete(ids)
    first = asyncio.ensure_future(service.complete(ids[0], tally))
    while not reading.is_set():
        await asyncio.sleep(0.001)
    second = asyncio.ensure_future(service.complete(ids[1], tally))  # asks meanwhile
    await asyncio.sleep(0.05)
    let_go.set()  # the loop runs: it can say so
    results = [await first, await second]
    assert let_go_in_time == [True]
    assert all(r.sent for r in results) and all(fake.complete_count(i) == 1 for i in ids)


# --- the store failing after the POST ------------------------------------------------------------


async def test_a_full_disk_at_settle_time_reports_sent_with_a_warning(service, fake,
                                                                      monkeypatch):
    """The POST went through: the result says sent, with a warning that the log could not be
    updated; the 'sending' entry is there; the settlement is written once space is back."""
    upload_id = PENDING[0]
    service.add([upload_id])

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(intents, "settle", full)
    result = await service.complete(upload_id)
    assert result.sent and not result.uncertain and fake.complete_count(upload_id) == 1
    assert "Warning: the activity log could not be updated" in result.summary()
    assert "full" in result.summary()
    assert [e.outcome for e in service.store.events(upload_id=upload_id)][:1] == ["sending"]
    monkeypatch.undo()
    other = PENDING[1]
    service.add([other])
    await service.complete(other)  # the kept settlement goes first
    assert service.store.intents(upload_id=upload_id)[0].state == "sent"


async def test_a_store_that_cannot_record_the_intent_sends_nothing(service, fake, monkeypatch):
    upload_id = PENDING[0]
    service.add([upload_id])

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(intents, "begin", locked)
    with pytest.raises(errors.StoreLockedError):
        await service.complete(upload_id)
    assert fake.complete_count(upload_id) == 0


async def test_a_cancelled_post_keeps_its_sending_entry_and_is_settled_interrupted(
        service, fake):
    upload_id = PENDING[0]
    service.add([upload_id])
    posting = asyncio.Event()
    real_post = service.client.complete_upload

    async def post(upload_id: str):
        posting.set()
        return await real_post(upload_id)

    service.client.complete_upload = post  # type: ignore[method-assign]
    fake.latency = 0.2
    task = asyncio.ensure_future(service.complete(upload_id))
    await posting.wait()
    await asyncio.sleep(0)  # into the request: the POST is in flight
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    outcomes = [e.outcome for e in service.store.events(upload_id=upload_id)]
    assert outcomes[:2] == ["interrupted", "sending"]
    assert service.store.latest_intent(upload_id).state == "interrupted"
    assert "it may have arrived" in service.store.latest_intent(upload_id).message


# --- transfers and resume -------------------------------------------------------------------


async def test_resume_with_another_file_of_the_same_size_is_refused_before_any_put(
        service, fake, tmp_path):
    uploader, upload_id, path = await upload_cancelled_after_first_part(service, fake, tmp_path)
    assert service.store.latest_intent(upload_id).state == "interrupted"
    puts = len(part_puts(fake, upload_id))
    other = tmp_path / "other.mp4"
    other.write_bytes(os.urandom(12 * MIB))
    with pytest.raises(LocalFileError, match="not the file upload .* was made from"):
        await make_uploader(service, fake).resume(upload_id, other)
    assert len(part_puts(fake, upload_id)) == puts
    # a copy of the original with another modification time: every sent part is compared
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(path.read_bytes())
    result = await make_uploader(service, fake).resume(upload_id, copy)
    assert len(part_puts(fake, upload_id)) == puts + 2 and result.parts_skipped == 1
    assert fake.complete_count(upload_id) == 1


async def test_a_copy_that_differs_only_in_a_sent_part_is_refused(service, fake, tmp_path):
    path = make_file(tmp_path, "clip.mp4", 12 * MIB)
    result = await make_uploader(service, fake).upload_file(path, part_size=5 * MIB,
                                                            no_complete=True)
    changed = bytearray(path.read_bytes())
    changed[6 * MIB] ^= 0xFF  # inside part 2, far from the sampled ends
    other = tmp_path / "changed.mp4"
    other.write_bytes(bytes(changed))
    with pytest.raises(LocalFileError, match="part 2 differs"):
        await make_uploader(service, fake).resume(result.upload_id, other)


async def test_resume_is_refused_while_another_process_sends_the_parts(service, fake, tmp_path):
    path = make_file(tmp_path, "clip.mp4", 12 * MIB)
    result = await make_uploader(service, fake).upload_file(path, part_size=5 * MIB,
                                                            no_complete=True)
    service.store.begin_intent(result.upload_id, "transfer", live_holder("scenario-tui upload"))
    service.store.record_part(result.upload_id, 3, 1)  # so that the resume has a part to send
    puts = len(part_puts(fake, result.upload_id))
    with pytest.raises(UploadIncompleteError, match="its parts are still being sent by process"):
        await make_uploader(service, fake).resume(result.upload_id, path)
    assert len(part_puts(fake, result.upload_id)) == puts


def test_the_heartbeat_is_written_at_most_every_interval(service):
    intent = service.store.begin_intent("up_1", "transfer", Holder.this_process("me"))
    now = [100.0]
    beat = service.ledger.beater(intent, lambda: now[0], every=30.0)
    written = []
    real = service.store.heartbeat_intent
    service.store.heartbeat_intent = lambda i: written.append(i.id) or real(i)
    for step in (10.0, 10.0, 15.0, 5.0, 31.0):
        now[0] += step
        beat()
    assert written == [intent.id, intent.id]  # at 135 and at 171


async def test_an_intent_left_by_a_write_that_failed_is_reconciled_not_held_forever(
        fake, tmp_path, pg_url):
    """On a team store the intent's opening commits as it runs: its connection lost right
    after, the complete fails (nothing sent) and the intent stays open, held by this very
    process, alive. It is taken for abandoned, as a dead process's is: the next complete reads
    the upload, settles it as reconciled and asks once more (not "being completed by" this
    process until it quits); asking again sends it once."""
    from tests.conftest import make_settings

    upload_id = PENDING[0]
    service = build_service(make_settings(tmp_path, store_url=pg_url), transport=fake.transport(),
                            sleep=no_sleep)
    service.add([upload_id])
    real = type(service.store)._intents_sql

    class LostAfterOpening:
        def __getattr__(self, name):
            return getattr(real, name)

        def begin(self, c, *args):
            real.begin(c, *args)
            c.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    try:
        service.store._intents_sql = LostAfterOpening()
        with pytest.raises(errors.TeamStoreConnectionLostError):
            await service.complete(upload_id)
        del service.store._intents_sql
        left = service.store.latest_intent(upload_id)
        assert left.is_open and left.stale and left.holder.pid == os.getpid()
        with pytest.raises(errors.EarlierCompleteInterruptedError):
            await service.complete(upload_id)
        assert service.store.latest_intent(upload_id).state == "reconciled"
        assert fake.complete_count(upload_id) == 0
        assert (await service.complete(upload_id)).sent
        assert fake.complete_count(upload_id) == 1
        # settled: no longer counted as being worked on by this process
        assert not [key for key in intent_model._WORKING if key[1] == upload_id]
    finally:
        service.store.close()
