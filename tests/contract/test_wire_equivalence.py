"""For the same call, our client's request equals the official SDK's on the wire.

Both clients talk to a capturing transport; method, path, query, JSON body and the
Authorization header must match exactly.
"""

from __future__ import annotations

import json

import httpx
import pytest
from scenario_sdk import Scenario

from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import Credentials

BASE = "https://api.example.test/v1"
UPLOAD = {
    "id": "up_1", "authorId": "a", "createdAt": "2026-11-01T00:00:00Z", "fileName": "cat.png",
    "kind": "image", "ownerId": "o", "source": "multipart", "status": "pending",
    "updatedAt": "2026-11-01T00:00:00Z",
}
JOB = {"jobId": "job_1", "jobType": "upload", "status": "success", "progress": 1,
       "statusHistory": [], "metadata": {}, "createdAt": "2026-11-01T00:00:00Z",
       "updatedAt": "2026-11-01T00:00:00Z"}
ASSET = {"id": "asset_1", "authorId": "a", "collectionIds": [], "createdAt": "2026-11-01T00:00:00Z",
         "editCapabilities": [], "kind": "image", "metadata": {"kind": "image", "type": "uploaded"},
         "mimeType": "image/png", "ownerId": "o", "privacy": "private", "properties": {"size": 1},
         "source": "uploaded", "status": "success", "tags": [], "updatedAt": "2026-11-01T00:00:00Z",
         "url": "https://cdn.test/a.png?sig=1"}


def answer(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if "/jobs/" in path:
        return httpx.Response(200, json={"job": JOB})
    if "/assets/" in path:
        return httpx.Response(200, json={"asset": ASSET})
    return httpx.Response(200, json={"upload": UPLOAD})


def wire(request: httpx.Request) -> tuple:
    body = json.loads(request.content) if request.content else None
    return (
        request.method,
        request.url.path,
        sorted(request.url.params.multi_items()),
        body,
        request.headers.get("authorization"),
    )


@pytest.fixture(params=["basic", "bearer"])
def creds(request):
    if request.param == "basic":
        return {"api_key": "key_123", "api_secret": "secret_456"}
    return {"bearer_auth": "jwt.token.value"}


def sdk_client(creds, captured, project_id=None):
    def handler(request):
        captured.append(request)
        return answer(request)

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url=BASE)
    return Scenario(base_url=BASE, http_client=http, max_retries=0, **creds)


def our_client(creds, captured, project_id=None):
    def handler(request):
        captured.append(request)
        return answer(request)

    return ScenarioClient(
        base_url=BASE,
        credentials=Credentials(
            creds.get("api_key"), creds.get("api_secret"), creds.get("bearer_auth")
        ),
        project_id=project_id,
        transport=httpx.MockTransport(handler),
    )


CREATE = dict(file_name="cat.png", content_type="image/png", file_size=12345678, parts=2,
              kind="image", asset_options={"collection_ids": ["col_1"], "hide": True})


@pytest.mark.parametrize("project_id", [None, "proj_9"])
async def test_requests_match_the_official_sdk(creds, project_id):
    theirs: list[httpx.Request] = []
    ours: list[httpx.Request] = []
    sdk = sdk_client(creds, theirs)
    extra = {"project_id": project_id} if project_id else {}
    sdk.uploads.retrieve("up_1", **extra)
    sdk.uploads.trigger_action("up_1", action="complete", **extra)
    sdk.uploads.create(**CREATE, **extra)
    sdk.uploads.create(url="https://example.test/model.safetensors", kind="model", **extra)
    sdk.uploads.create(hugging_face_model_name="org/model", **extra)
    sdk.jobs.retrieve("job_1", **extra)
    sdk.assets.retrieve("asset_1", **extra)

    client = our_client(creds, ours, project_id)
    async with client:
        await client.get_upload("up_1")
        await client.complete_upload("up_1")
        await client.create_upload(**CREATE)
        await client.create_upload(url="https://example.test/model.safetensors", kind="model")
        await client.create_upload(hugging_face_model_name="org/model")
        await client.get_job("job_1")
        await client.get_asset("asset_1")

    assert len(ours) == len(theirs) == 7
    for mine, sdks in zip(ours, theirs, strict=True):
        assert wire(mine) == wire(sdks)


async def test_dry_run_query_matches_the_sdk(creds):
    theirs: list[httpx.Request] = []
    ours: list[httpx.Request] = []

    def sdk_handler(request):
        theirs.append(request)
        return httpx.Response(269, json={"creativeUnitsCost": 3})

    sdk = Scenario(base_url=BASE, max_retries=0, http_client=httpx.Client(
        transport=httpx.MockTransport(sdk_handler), base_url=BASE), **creds)
    try:
        sdk.uploads.create(**CREATE, dry_run="true")
    except Exception:
        pass  # the SDK may not model the 269 body; only its request matters here

    def our_handler(request):
        ours.append(request)
        return httpx.Response(269, json={"creativeUnitsCost": 3})

    client = ScenarioClient(base_url=BASE, transport=httpx.MockTransport(our_handler),
                            credentials=Credentials(creds.get("api_key"), creds.get("api_secret"),
                                                    creds.get("bearer_auth")))
    estimate = await client.create_upload(**CREATE, dry_run=True)
    assert estimate == {"creativeUnitsCost": 3}
    assert wire(ours[0]) == wire(theirs[0])
