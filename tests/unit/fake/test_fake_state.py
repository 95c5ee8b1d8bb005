"""The fake's state machine: each upload's lifecycle as the injected clock moves.

Time is driven by an injected clock (the ``clock`` fixture); no test waits for real."""

from __future__ import annotations

import httpx

from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.seeds import BAD_FILE_ID, SEEDED_PENDING_IDS
from tests.unit.fake.helpers import AUTH, STEP, complete, create, put_parts, status


async def test_multipart_lifecycle_follows_the_clock(fake, client, raw, clock):
    upload = await create(client, size=10, parts=2)
    assert upload["status"] == "pending" and upload["source"] == "multipart"
    assert [p["number"] for p in upload["parts"]] == [1, 2]
    assert upload["createdAt"].endswith("Z") and upload["jobId"].startswith("job_")
    job = (await client.get(f"jobs/{upload['jobId']}")).json()["job"]
    assert (job["jobType"], job["status"], job["progress"]) == ("upload", "pending", 0)

    await put_parts(raw, upload, [6, 4])
    answer = await complete(client, upload["id"])
    assert answer.status_code == 200 and answer.json()["upload"]["status"] == "validating"
    assert "parts" not in answer.json()["upload"]

    clock.advance(STEP / 2)
    assert (await status(client, upload["id"]))["status"] == "validating"
    job = (await client.get(f"jobs/{upload['jobId']}")).json()["job"]
    assert job["status"] == "in-progress" and 0 < job["progress"] < 1
    first_progress = job["progress"]

    clock.advance(STEP)
    assert (await status(client, upload["id"]))["status"] == "validated"
    clock.advance(STEP)
    assert (await status(client, upload["id"]))["status"] == "validated"
    job = (await client.get(f"jobs/{upload['jobId']}")).json()["job"]
    assert job["progress"] > first_progress

    clock.advance(STEP / 2)  # exactly t + 3 steps
    done = await status(client, upload["id"])
    assert done["status"] == "imported" and done["entityId"].startswith("asset_")
    job = (await client.get(f"jobs/{upload['jobId']}")).json()["job"]
    assert job["status"] == "success" and job["progress"] == 1
    assert job["metadata"]["assetIds"] == [done["entityId"]]
    assert [h["status"] for h in job["statusHistory"]] == ["pending", "in-progress", "success"]
    asset = (await client.get(f"assets/{done['entityId']}")).json()["asset"]
    assert asset["id"] == done["entityId"] and asset["kind"] == "image"
    assert asset["properties"]["size"] == 10 and "Signature=" in asset["url"]


async def test_model_upload_gets_a_model_id_not_an_asset(fake, client, raw, clock):
    upload = await create(client, size=5, parts=1, kind="model")
    await put_parts(raw, upload, [5])
    await complete(client, upload["id"])
    clock.advance(3 * STEP)
    done = await status(client, upload["id"])
    assert done["entityId"].startswith("model_")
    job = (await client.get(f"jobs/{upload['jobId']}")).json()["job"]
    assert job["metadata"]["outputModelId"] == done["entityId"]
    assert (await client.get(f"assets/{done['entityId']}")).status_code == 404


async def test_step_zero_completes_as_validating_then_reads_imported():
    fake = FakeScenario()
    async with httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url,
                                 auth=AUTH) as c:
        answer = await complete(c, SEEDED_PENDING_IDS[0])
        assert answer.json()["upload"]["status"] == "validating"
        assert (await status(c, SEEDED_PENDING_IDS[0]))["status"] == "imported"


async def test_bad_file_goes_validating_then_failed_with_job_failure(fake, client, clock):
    answer = await complete(client, BAD_FILE_ID)
    assert answer.json()["upload"]["status"] == "validating"
    clock.advance(STEP)
    failed = await status(client, BAD_FILE_ID)
    assert failed["status"] == "failed" and "TIFF" in failed["errorMessage"]
    assert "entityId" not in failed
    job = (await client.get(f"jobs/{failed['jobId']}")).json()["job"]
    assert job["status"] == "failure"
    assert job["metadata"]["error"] == failed["errorMessage"] and job["metadata"]["hint"]
    assert [h["status"] for h in job["statusHistory"]][-1] == "failure"


async def test_missing_part_ends_failed(fake, client, raw, clock):
    upload = await create(client, size=9, parts=3)
    await raw.put(upload["parts"][0]["url"], content=b"abc")
    await raw.put(upload["parts"][2]["url"], content=b"abc")
    await complete(client, upload["id"])
    clock.advance(STEP)
    failed = await status(client, upload["id"])
    assert failed["status"] == "failed"
    assert failed["errorMessage"] == "Part 2 of 3 was never received"


async def test_part_sizes_not_adding_up_end_failed(fake, client, raw, clock):
    upload = await create(client, size=10, parts=2)
    await put_parts(raw, upload, [6, 3])
    await complete(client, upload["id"])
    clock.advance(STEP)
    failed = await status(client, upload["id"])
    assert failed["status"] == "failed" and "9 bytes" in failed["errorMessage"]


async def test_imports_run_without_complete(fake, client, clock):
    bodies = [
        ({"url": "https://example.com/a/rock.glb", "kind": "3d"}, "url", "other"),
        ({"civitaiModelUrl": "https://civitai.com/models/1/some-lora?modelVersionId=2"},
         "civitai", "civitai"),
        ({"huggingFaceModelName": "black-forest-labs/FLUX.1-dev"}, "huggingface", "huggingface"),
    ]
    for body, source, provider in bodies:
        upload = (await client.post("uploads", json=body)).json()["upload"]
        assert (upload["status"], upload["source"], upload["provider"]) == ("pending", source,
                                                                            provider)
        assert "parts" not in upload
        clock.advance(3 * STEP)
        assert (await status(client, upload["id"]))["status"] == "imported"
        assert (await complete(client, upload["id"])).status_code == 409
