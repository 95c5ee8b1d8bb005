"""The use-cases (refresh, complete, follow) over the fake API, in-process and over loopback."""

from __future__ import annotations

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.fake.seeds import BAD_FILE_ID, seeded_pending_ids


def first_pending() -> str:
    return seeded_pending_ids(include_bad_file=False)[0]


async def test_add_reports_new_existing_duplicate_and_invalid(service):
    service.store.add(["up_known"], note="keep me")
    report = service.add(["up_known", "up_new", "up_new", "../etc", "bad id"], note="ticket 42")
    assert report.added == ["up_new"]
    assert report.existing == ["up_known"]
    assert report.duplicates == ["up_new"]
    assert [tok for tok, _ in report.invalid] == ["../etc", "bad id"]
    assert service.store.get("up_known").note == "keep me"
    assert service.store.get("up_new").note == "ticket 42"


async def test_refresh_records_snapshot_without_presigned_queries(service, fake):
    upload_id = first_pending()
    service.add([upload_id])
    upload = await service.refresh(upload_id)
    row = service.store.get(upload_id)
    assert row.status == upload.status == "pending"
    assert row.fetched_at is not None
    for part in row.snapshot.get("parts") or []:
        assert "signature" not in part["url"]


async def test_complete_pending_sends_once_and_follow_reaches_imported(service, fake):
    upload_id = first_pending()
    service.add([upload_id])
    result = await service.complete(upload_id)
    assert result.sent and not result.uncertain
    assert result.upload.status == "validating"
    assert fake.complete_count(upload_id) == 1
    seen = []
    final = await service.follow(upload_id, on_update=lambda u: seen.append(u.status))
    assert final.status == "imported" and final.entity_id
    assert service.store.get(upload_id).status == "imported"
    found = await service.follow_through(final)
    assert found.job is not None and found.job.status == "success"
    assert found.asset is not None or found.model_id
    events = service.store.events(upload_id=upload_id)
    assert [e.action for e in events][:1] == ["complete"] and events[0].outcome == "sent"


async def test_complete_non_pending_is_skipped_without_a_post(service, fake):
    upload_id = next(i for i in fake.seeded_ids if fake.status_of(i) == "imported")
    service.add([upload_id])
    result = await service.complete(upload_id)
    assert not result.sent and "imported" in result.skipped
    assert fake.complete_count(upload_id) == 0
    assert service.store.events(upload_id=upload_id)[0].outcome == "skipped"


async def test_bad_file_ends_failed_with_message(service, fake):
    service.add([BAD_FILE_ID])
    await service.complete(BAD_FILE_ID)
    final = await service.follow(BAD_FILE_ID)
    assert final.status == "failed" and final.error_message
    assert service.store.get(BAD_FILE_ID).error_message == final.error_message


@pytest.mark.parametrize("kind", ["drop", "timeout"])
async def test_complete_with_lost_answer_is_sent_once_and_reread(service, fake, kind):
    upload_id = first_pending()
    service.add([upload_id])
    fake.faults.add(kind=kind, method="POST", path="/action", apply=True)
    result = await service.complete(upload_id)
    assert fake.complete_count(upload_id) == 1
    assert result.sent and result.uncertain
    assert result.upload.status != "pending"
    assert "went through" in result.summary()
    assert service.store.events(upload_id=upload_id)[0].outcome == "uncertain"


async def test_complete_500_not_applied_rereads_pending_and_never_reposts(service, fake):
    upload_id = first_pending()
    service.add([upload_id])
    fake.faults.add(status=500, method="POST", path="/action", apply=False)
    result = await service.complete(upload_id)
    assert fake.complete_count(upload_id) == 1
    assert result.uncertain and result.upload.status == "pending"
    assert "not sent again" in result.summary()


async def test_complete_conflict_from_server_is_reread_and_logged(service, fake):
    """(Issue 16 changed this: a 409 was raised as a failure; it is now re-read once and
    reported as an uncertain outcome, since someone else may have completed the upload.)"""
    upload_id = first_pending()
    service.add([upload_id])
    fake.faults.add(status=409, method="POST", path="/action")
    result = await service.complete(upload_id)
    assert result.uncertain and result.upload.status == "pending"
    assert fake.complete_count(upload_id) == 1
    assert service.store.events(upload_id=upload_id)[0].outcome == "uncertain"


async def test_double_complete_in_flight_is_refused(service, fake):
    import asyncio

    upload_id = first_pending()
    service.add([upload_id])
    fake.latency = 0.05
    first = asyncio.create_task(service.complete(upload_id))
    await asyncio.sleep(0)
    with pytest.raises(errors.ConflictError, match="already in flight"):
        await service.complete(upload_id)
    await first
    assert fake.complete_count(upload_id) == 1


async def test_read_only_refuses_mutations(fake, tmp_path):
    from tests.conftest import make_settings

    svc = build_service(make_settings(tmp_path, read_only=True), transport=fake.transport())
    with pytest.raises(errors.ReadOnlyError):
        await svc.complete(first_pending())
    with pytest.raises(errors.ReadOnlyError):
        svc.add(["up_x"])
    assert fake.complete_count() == 0


async def test_refresh_many_bounded_concurrency_reports_each(service, fake):
    ids = fake.seeded_ids + ["up_does_not_exist"]
    service.add(ids)
    results = await service.refresh_many(ids, concurrency=3)
    assert set(results) == set(ids)
    assert isinstance(results["up_does_not_exist"], errors.NotFoundError)
    assert all(not isinstance(results[i], Exception) for i in fake.seeded_ids)


async def test_follow_stops_on_404_and_survives_transient_errors(service, fake):
    upload_id = first_pending()
    service.add([upload_id])
    await service.complete(upload_id)
    fake.faults.add(status=503, count=2, method="GET")
    final = await service.follow(upload_id)
    assert final.status == "imported"
    with pytest.raises(errors.NotFoundError):
        await service.follow("up_unknown_1")


async def test_over_a_real_loopback_socket(served_settings, fake):
    svc = build_service(served_settings)
    upload_id = first_pending()
    svc.add([upload_id])
    async with svc.client:
        result = await svc.complete(upload_id)
        assert result.sent and result.upload.status == "validating"
        final = await svc.follow(upload_id, poll_min=0.01, poll_max=0.02)
        assert final.status == "imported"
        fake.faults.add(kind="drop", method="POST", path="/action", apply=False)
        other = seeded_pending_ids(include_bad_file=False)[1]
        svc.add([other])
        result = await svc.complete(other)
        assert result.uncertain and result.upload.status == "pending"
        assert fake.complete_count(other) == 1
        fake.faults.add(kind="html", status=502, count=1)
        with pytest.raises(errors.ServerError, match="HTML"):
            await svc.client.get_upload(other)
    svc.store.close()
