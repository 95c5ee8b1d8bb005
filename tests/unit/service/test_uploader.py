"""Uploading files end to end (create, parts, complete, follow), interruption and resume, the
complete/no-complete/dry-run choices and refusals, over the fake API in-process and over
loopback."""

from __future__ import annotations

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.units import MIB
from scenario_tui.service.local_files import LocalFileError, UnknownKindError
from scenario_tui.service.uploader import Uploader
from tests.unit.service.conftest import (
    make_file,
    make_uploader,
    no_sleep,
    part_puts,
    upload_cancelled_after_first_part,
)

# --- the journey -------------------------------------------------------------------------------


async def test_small_file_journey_to_imported(uploader, service, fake, tmp_path):
    path = make_file(tmp_path, "hero.png", 1000)
    result = await uploader.upload_file(path, note="ticket 7", wait=True)
    assert result.ok and result.status == "imported" and result.upload.entity_id
    assert (result.kind, result.content_type, result.parts_total) == ("image", "image/png", 1)
    assert fake.uploads[result.upload_id].received == {1: 1000}
    row = service.store.get(result.upload_id)
    assert row.note == "ticket 7" and row.status == "imported"
    assert service.store.parts_sent(result.upload_id) == {1: 1000}
    actions = [e.action for e in reversed(service.store.events(upload_id=result.upload_id))]
    assert actions[:3] == ["upload-create", "upload-parts", "complete"]
    (put,) = part_puts(fake, result.upload_id)
    assert "authorization" not in put.headers  # presigned: no Scenario credentials
    assert put.headers["content-length"] == "1000"
    assert "transfer-encoding" not in put.headers
    assert fake.complete_count(result.upload_id) == 1


async def test_loopback_journey_without_injected_transport(server, served_settings, tmp_path):
    path = make_file(tmp_path, "model.safetensors", 6 * MIB)
    service = build_service(served_settings, sleep=no_sleep)
    uploader = Uploader(service.client, service.store, service=service, poll_min=0, poll_max=0)
    try:
        async with service.client:
            result = await uploader.upload_file(path, part_size=5 * MIB, wait=True)
    finally:
        service.store.close()
    assert result.status == "imported" and result.kind == "model"
    assert result.upload.entity_id.startswith("model_")
    puts = part_puts(server.fake, result.upload_id)
    assert len(puts) == 2 and all("authorization" not in r.headers for r in puts)



# --- interruption and resume -------------------------------------------------------------------


async def test_cancel_after_first_part_then_resume_sends_only_missing_parts(
        service, fake, tmp_path):
    uploader, upload_id, path = await upload_cancelled_after_first_part(service, fake, tmp_path)
    assert service.store.parts_sent(upload_id) == {1: 5 * MIB}
    hint = uploader.interruption.message
    assert f"scenario-tui upload --resume {upload_id} {path}" in hint and "1 of 3" in hint
    assert service.store.events(upload_id=upload_id)[0].action == "upload-interrupted"
    assert fake.status_of(upload_id) == "pending" and fake.complete_count() == 0
    before = len(part_puts(fake, upload_id))

    again = make_uploader(service, fake)
    result = await again.resume(upload_id, path, wait=True)
    assert result.status == "imported" and (result.parts_sent, result.parts_skipped) == (2, 1)
    resumed = part_puts(fake, upload_id)[before:]
    assert sorted(int(r.path.rsplit("/", 1)[1]) for r in resumed) == [2, 3]
    assert fake.uploads[upload_id].received == {1: 5 * MIB, 2: 5 * MIB, 3: 2 * MIB}
    assert fake.complete_count(upload_id) == 1


async def test_resume_refuses_another_file_and_skips_finished_uploads(uploader, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    result = await uploader.upload_file(path, no_complete=True)
    with pytest.raises(LocalFileError, match="not the same file"):
        await uploader.resume(result.upload_id, make_file(tmp_path, "b.png", 999))
    await uploader.resume(result.upload_id, path)  # nothing left to send: completes
    puts = len(part_puts(fake, result.upload_id))
    done = await uploader.resume(result.upload_id, path, wait=True)
    assert done.status == "imported" and done.parts_sent == 0
    assert len(part_puts(fake, result.upload_id)) == puts == 1
    assert fake.complete_count(result.upload_id) == 1



# --- complete, no-complete, dry run ------------------------------------------------------------


async def test_no_complete_leaves_it_pending_and_stored(uploader, service, fake, tmp_path):
    path = make_file(tmp_path, "a.wav", 6 * MIB)
    result = await uploader.upload_file(path, part_size=5 * MIB, no_complete=True)
    assert result.ok and result.status == "pending" and result.complete is None
    assert fake.status_of(result.upload_id) == "pending" and fake.complete_count() == 0
    assert service.store.contains(result.upload_id)
    assert sum(fake.uploads[result.upload_id].received.values()) == 6 * MIB


async def test_complete_is_sent_once_even_when_its_answer_is_lost(uploader, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    fake.faults.add(kind="drop", path="/action", apply=True)
    result = await uploader.upload_file(path, wait=True)
    assert result.complete.uncertain and result.status == "imported" and result.ok
    assert fake.complete_count(result.upload_id) == 1


async def test_dry_run_shows_the_estimate_and_stores_nothing(uploader, service, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    known = set(fake.uploads)
    result = await uploader.upload_file(path, dry_run=True)
    assert result.status == "dry-run" and result.estimate == {"creativeUnitsCost": 1}
    assert result.upload_id is None
    assert set(fake.uploads) == known and not [r for r in fake.requests if r.method == "PUT"]
    assert service.store.count() == 0 and service.store.events() == []



# --- refusals before anything is sent ----------------------------------------------------------


async def test_unknown_kind_and_read_only_are_refused_before_any_request(
        service, fake, tmp_path):
    with pytest.raises(UnknownKindError):
        await make_uploader(service, fake).upload_file(make_file(tmp_path, "a.zip", 10))
    read_only = Uploader(service.client, service.store, read_only=True,
                         part_transport=fake.transport())
    with pytest.raises(errors.ReadOnlyError):
        await read_only.upload_file(make_file(tmp_path, "a.png", 10))
    with pytest.raises(errors.ReadOnlyError):
        await read_only.import_huggingface("owner/model")
    assert fake.requests == []

