"""The seeded demo uploads: every status, kind and source, the non-pending ones frozen."""

from __future__ import annotations

from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.seeds import BAD_FILE_ID, SEEDED_IDS, SEEDED_STATUSES, seeded_pending_ids
from tests.unit.fake.helpers import STEP, complete, status


async def test_seeded_uploads_cover_every_status_kind_and_source(fake, client):
    assert fake.seeded_ids == list(SEEDED_IDS)
    assert 8 <= len(SEEDED_IDS) <= 12
    seen = [await status(client, upload_id) for upload_id in fake.seeded_ids]
    assert {u["status"] for u in seen} == {
        "pending", "validating", "validated", "imported", "failed", "complete"}
    assert {"image", "model", "audio", "video", "3d"} <= {u["kind"] for u in seen}
    assert {"multipart", "url", "huggingface", "civitai"} <= {u["source"] for u in seen}
    assert [u["id"] for u in seen if u["status"] == "pending"] == seeded_pending_ids()
    assert BAD_FILE_ID in seeded_pending_ids()
    assert BAD_FILE_ID not in seeded_pending_ids(include_bad_file=False)
    assert {u["id"]: u["status"] for u in seen} == SEEDED_STATUSES
    for u in seen:
        assert u["status"] != "failed" or u["errorMessage"]
        assert u["status"] != "imported" or u["entityId"]
    assert FakeScenario(seed=False).seeded_ids == []


async def test_seeded_non_pending_uploads_are_frozen(fake, client, clock):
    clock.advance(10 * STEP)
    assert (await status(client, "up_demo_validating_1"))["status"] == "validating"


async def test_seeded_pending_uploads_complete_to_imported(fake, client, clock):
    for upload_id in seeded_pending_ids(include_bad_file=False):
        assert (await complete(client, upload_id)).status_code == 200
    clock.advance(3 * STEP)
    for upload_id in seeded_pending_ids(include_bad_file=False):
        assert (await status(client, upload_id))["status"] == "imported"
