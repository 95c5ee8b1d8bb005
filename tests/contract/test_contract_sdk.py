"""Contract: the fake's answers parse strictly with the official SDK (scenario-sdk 2.4.0).

The SDK's models accept unknown fields, so the tests also check that the fake invents none:
every key the fake sends must be a field the SDK knows (``model_extra`` empty at every level).
"""

from __future__ import annotations

import httpx
import pytest
import scenario_sdk
from pydantic import BaseModel
from scenario_sdk.types import (
    AssetRetrieveResponse,
    JobRetrieveResponse,
    UploadCreateResponse,
    UploadRetrieveResponse,
    UploadTriggerActionResponse,
)

from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.seeds import SEEDED_IDS, SEEDED_PENDING_IDS, SEEDED_STATUSES
from scenario_tui.fake.server import serve

AUTH = ("k", "s")


def invented_fields(model: BaseModel, where: str = "") -> list[str]:
    """Keys of the JSON that the SDK model does not declare, anywhere in the tree."""
    found = [f"{where}.{key}" for key in (model.model_extra or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, BaseModel):
                found += invented_fields(item, f"{where}.{name}")
    return found


def assert_exact(model_cls: type[BaseModel], raw: dict) -> BaseModel:
    model = model_cls.model_validate(raw)
    assert invented_fields(model) == []
    assert model.to_dict(mode="json") == raw  # the SDK model holds exactly what was sent
    return model


@pytest.fixture
def server():
    with serve(FakeScenario(rng_seed=11)) as handle:
        yield handle


@pytest.fixture
def sdk(server):
    client = scenario_sdk.Scenario(base_url=server.base_url, api_key="k", api_secret="s",
                                   max_retries=0, _strict_response_validation=True)
    yield client
    client.close()


def test_full_multipart_flow_through_the_sdk(sdk, server):
    created = sdk.uploads.create(file_name="hero.png", content_type="image/png", file_size=7,
                                 parts=2, kind="image", project_id="proj_contract",
                                 asset_options={"collection_ids": ["col_1"], "hide": False})
    assert isinstance(created, UploadCreateResponse)
    upload = created.upload
    assert (upload.status, upload.source, upload.owner_id) == ("pending", "multipart",
                                                               "proj_contract")
    assert upload.asset_options is not None and upload.asset_options.collection_ids == ["col_1"]
    assert [p.number for p in upload.parts or []] == [1, 2]
    for part, chunk in zip(upload.parts or [], [b"abcd", b"efg"], strict=True):
        assert httpx.put(part.url, content=chunk).status_code == 200

    retrieved = sdk.uploads.retrieve(upload.id)
    assert isinstance(retrieved, UploadRetrieveResponse) and retrieved.upload.status == "pending"

    completed = sdk.uploads.trigger_action(upload.id, action="complete")
    assert isinstance(completed, UploadTriggerActionResponse)
    assert completed.upload.status == "validating"

    done = sdk.uploads.retrieve(upload.id).upload
    assert done.status == "imported" and done.entity_id and done.job_id

    job = sdk.jobs.retrieve(done.job_id)
    assert isinstance(job, JobRetrieveResponse)
    assert job.job.status == "success" and job.job.metadata.asset_ids == [done.entity_id]
    assert [h.status for h in job.job.status_history] == ["pending", "in-progress", "success"]

    asset = sdk.assets.retrieve(done.entity_id)
    assert isinstance(asset, AssetRetrieveResponse)
    assert asset.asset.collection_ids == ["col_1"] and asset.asset.properties.size == 7
    assert server.fake.project_ids == ["proj_contract"]


def test_failed_and_import_answers_parse_strictly(sdk):
    sdk.uploads.trigger_action("up_demo_badfile_1", action="complete")
    failed = sdk.uploads.retrieve("up_demo_badfile_1").upload
    assert failed.status == "failed" and failed.error_message
    job = sdk.jobs.retrieve(failed.job_id).job
    assert job.status == "failure" and job.metadata.error and job.metadata.hint

    for kwargs in ({"url": "https://example.com/media/clip.mp4", "kind": "video"},
                   {"civitai_model_url": "https://civitai.com/models/9/ink?modelVersionId=4"},
                   {"hugging_face_model_name": "stabilityai/sdxl-turbo"}):
        imported = sdk.uploads.create(**kwargs).upload
        assert imported.status == "pending" and imported.provider is not None
        assert sdk.uploads.retrieve(imported.id).upload.status == "imported"


def test_sdk_error_classes_match_the_fake_statuses(sdk, server):
    with pytest.raises(scenario_sdk.NotFoundError):
        sdk.uploads.retrieve("up_does_not_exist")
    sdk.uploads.trigger_action(SEEDED_PENDING_IDS[0], action="complete")
    with pytest.raises(scenario_sdk.ConflictError) as conflict:
        sdk.uploads.trigger_action(SEEDED_PENDING_IDS[0], action="complete")
    assert "cannot be completed" in str(conflict.value)
    with pytest.raises(scenario_sdk.BadRequestError):
        sdk.uploads.create(file_name="x.png", content_type="image/png", file_size=1, parts=0,
                           kind="image")
    server.fake.faults.add(status=429, retry_after=1)
    with pytest.raises(scenario_sdk.RateLimitError):
        sdk.uploads.retrieve(SEEDED_IDS[0])
    server.fake.faults.add(kind="wrong_shape")
    with pytest.raises(scenario_sdk.APIResponseValidationError):
        sdk.uploads.retrieve(SEEDED_IDS[0])
    bad = scenario_sdk.Scenario(base_url=server.base_url, bearer_auth=None, api_key=None,
                                api_secret=None, max_retries=0)
    with pytest.raises(scenario_sdk.AuthenticationError):
        bad.uploads.retrieve(SEEDED_IDS[0], extra_headers={"Authorization": "Nope"})
    bad.close()


def test_dry_run_is_a_269_success(sdk):
    raw = sdk.uploads.with_raw_response.create(dry_run="true", file_name="m.safetensors",
                                               content_type="application/octet-stream",
                                               file_size=1000, parts=1, kind="model")
    assert raw.http_response.status_code == 269
    assert raw.http_response.json()["creativeUnitsCost"] > 0


def test_every_seeded_upload_job_and_asset_matches_the_sdk_exactly(server):
    with httpx.Client(base_url=server.base_url, auth=AUTH) as c:
        for upload_id in SEEDED_IDS:
            raw = c.get(f"uploads/{upload_id}").json()
            model = assert_exact(UploadRetrieveResponse, raw)
            assert model.upload.id == upload_id
            assert model.upload.status == SEEDED_STATUSES[upload_id]
            assert model.upload.file_name == raw["upload"]["fileName"]
            job_raw = c.get(f"jobs/{raw['upload']['jobId']}").json()
            assert_exact(JobRetrieveResponse, job_raw)
            entity = raw["upload"].get("entityId", "")
            if entity.startswith("asset_"):
                assert_exact(AssetRetrieveResponse, c.get(f"assets/{entity}").json())


def test_new_uploads_through_the_lifecycle_match_the_sdk_exactly():
    fake = FakeScenario(seed=False)
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url, auth=AUTH) as c:
        for kind in ("image", "audio", "video", "3d", "avatar", "text", "asset", "model"):
            body = {"fileName": f"f.{kind}", "contentType": "application/octet-stream",
                    "fileSize": 3, "parts": 1, "kind": kind}
            created = c.post("uploads", json=body).json()
            assert_exact(UploadCreateResponse, created)
            upload = created["upload"]
            c.put(upload["parts"][0]["url"], content=b"abc")
            answer = c.post(f"uploads/{upload['id']}/action", json={"action": "complete"})
            assert_exact(UploadTriggerActionResponse, answer.json())
            done = assert_exact(UploadRetrieveResponse, c.get(f"uploads/{upload['id']}").json())
            assert done.upload.status == "imported"
            assert_exact(JobRetrieveResponse, c.get(f"jobs/{upload['jobId']}").json())
            if kind != "model":
                assert_exact(AssetRetrieveResponse,
                             c.get(f"assets/{done.upload.entity_id}").json())


def test_sync_sdk_client_over_the_in_process_transport():
    fake = FakeScenario()
    http_client = httpx.Client(transport=fake.transport(), base_url=fake.base_url)
    sdk = scenario_sdk.Scenario(base_url=fake.base_url, api_key="k", api_secret="s",
                                max_retries=0, _strict_response_validation=True,
                                http_client=http_client)
    with sdk:
        upload = sdk.uploads.retrieve(SEEDED_PENDING_IDS[0]).upload
        assert upload.status == "pending" and upload.parts
        answer = sdk.uploads.trigger_action(upload.id, action="complete")
        assert answer.upload.status == "validating"
        assert sdk.uploads.retrieve(upload.id).upload.status == "imported"
    assert fake.complete_count(upload.id) == 1
    assert fake.requests[0].headers["authorization"].startswith("Basic ")


async def test_async_sdk_client_over_the_in_process_transport():
    fake = FakeScenario()
    http_client = httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url)
    async with scenario_sdk.AsyncScenario(base_url=fake.base_url, api_key="k", api_secret="s",
                                          max_retries=0, _strict_response_validation=True,
                                          http_client=http_client) as sdk:
        job = (await sdk.jobs.retrieve("job_demo_imported_1")).job
        assert job.status == "success"
        asset = (await sdk.assets.retrieve(job.metadata.asset_ids[0])).asset
        assert asset.status == "success" and "Signature=" in asset.url
