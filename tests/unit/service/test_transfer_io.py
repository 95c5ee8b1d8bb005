"""Where an upload's, a resume's and an import's store calls run: through the service's ``io``,
on the caller's loop for the CLI (no thread hop), in a thread when the service keeps its loop
free (the TUI's, whose loop is the UI's, with a team store a round trip away). The heartbeat of
a transfer too, and each part recorded as it is sent."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scenario_tui.core.units import MIB
from tests.unit.service.conftest import make_file, make_uploader, upload_cancelled_after_first_part

#: what each use writes at least (the store's names of its transactions)
WRITES = {
    "upload": {"add uploads", "save an upload", "log activity", "save the upload's file",
               "record the intent", "save an upload part", "save a heartbeat",
               "settle the intent"},
    "resume": {"save an upload", "read upload parts", "read the upload's file",
               "log activity", "record the intent", "save an upload part", "save a heartbeat",
               "settle the intent"},
    "import": {"add uploads", "save an upload", "log activity"},
}


@pytest.mark.parametrize("keep_loop_free", [False, True])
@pytest.mark.parametrize("use", ["upload", "resume", "import"])
async def test_transfer_store_calls_run_where_the_service_says(service, fake, tmp_path,
                                                               monkeypatch, use,
                                                               keep_loop_free):
    """Every store call of ``use`` (the parts' records and the heartbeats included: a clock
    that makes every beat due) runs in a thread with ``keep_loop_free``, none on the loop;
    without it, all on the loop."""
    if use == "resume":  # interrupted as the CLI's would be; resumed below
        _, upload_id, path = await upload_cancelled_after_first_part(service, fake, tmp_path)
    service.keep_loop_free = keep_loop_free
    loop_thread = threading.get_ident()
    calls: list[tuple[str, bool]] = []
    real_run = service.store._run

    def recorded(action, body, *, write=False, one_statement=False):
        calls.append((action, threading.get_ident() == loop_thread))
        return real_run(action, body, write=write, one_statement=one_statement)

    monkeypatch.setattr(service.store, "_run", recorded)
    now = [0.0]

    def clock() -> float:
        now[0] += 60.0  # past the heartbeat's interval at every look
        return now[0]

    uploader = make_uploader(service, fake, clock=clock, chunk_size=MIB)
    if use == "upload":
        result = await uploader.upload_file(make_file(tmp_path, "clip.mp4", 12 * MIB),
                                            part_size=5 * MIB)
    elif use == "resume":
        result = await uploader.resume(upload_id, path)
    else:
        result = await uploader.import_huggingface("owner/model")
    for _ in range(200):  # a heartbeat handed to a thread is not waited for
        if WRITES[use] <= {action for action, _ in calls}:
            break
        await asyncio.sleep(0.01)
    ran = list(calls)
    monkeypatch.undo()
    assert WRITES[use] <= {action for action, _ in ran}
    # on the loop with keep_loop_free, or in a thread without it: none
    assert [action for action, on_loop in ran if on_loop == keep_loop_free] == []
    assert service.store.contains(result.upload_id)
    assert result.status != "pending" or use == "import"  # an import is not followed here
