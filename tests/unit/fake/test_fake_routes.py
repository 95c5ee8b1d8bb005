"""The fake's endpoints: errors, request validation, auth, presigned part URLs."""

from __future__ import annotations

import base64

import httpx
import pytest

from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.seeds import SEEDED_IDS, SEEDED_PENDING_IDS
from tests.unit.fake.helpers import AUTH, complete, create, multipart_body, put_parts, status


async def test_second_complete_is_409_with_message(fake, client):
    assert (await complete(client, SEEDED_PENDING_IDS[0])).status_code == 200
    again = await complete(client, SEEDED_PENDING_IDS[0])
    assert again.status_code == 409
    body = again.json()
    assert body["message"] == (f"Upload {SEEDED_PENDING_IDS[0]} cannot be completed: "
                               "its status is validating")
    assert body["traceId"].startswith("trace-")


async def test_other_actions_are_rejected(client):
    bad = await client.post(f"uploads/{SEEDED_PENDING_IDS[0]}/action", json={"action": "cancel"})
    assert bad.status_code == 400 and "complete" in bad.json()["message"]
    missing = await client.post(f"uploads/{SEEDED_PENDING_IDS[0]}/action", json={})
    assert missing.status_code == 400
    assert (await status(client, SEEDED_PENDING_IDS[0]))["status"] == "pending"


async def test_not_found_shapes(client):
    for path, message in [("uploads/up_nope", "Upload not found"),
                          ("jobs/job_nope", "Job not found"),
                          ("assets/asset_nope", "Asset not found")]:
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["message"] == message
        assert response.json()["traceId"].startswith("trace-")
    assert (await complete(client, "up_nope")).status_code == 404
    assert (await client.get("uploads")).status_code == 404  # there is no list endpoint
    assert (await client.get("uploads/a%2Fb")).status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (multipart_body(kind=None) | {"kind": None}, "kind"),
        ({k: v for k, v in multipart_body().items() if k != "kind"}, "kind"),
        (multipart_body(parts=0), "parts"),
        (multipart_body(parts=10_001), "parts"),
        (multipart_body(parts=1.5), "parts"),
        (multipart_body(size=-1), "fileSize"),
        (multipart_body(kind="spreadsheet"), "kind"),
        ({"url": "https://example.com/x.png"}, "kind"),
        ({"url": "ftp://example.com/x.png", "kind": "image"}, "url"),
        ({"civitaiModelUrl": "https://example.com/models/1"}, "civitai"),
        ({"huggingFaceModelName": "no-slash"}, "huggingFaceModelName"),
        ({"url": "https://e.com/x.png", "kind": "image", "huggingFaceModelName": "a/b"},
         "only one"),
        (multipart_body(kind="model", assetOptions={"hide": True}), "assetOptions"),
        ([1, 2], "object"),
    ],
)
async def test_create_validation_errors(client, body, words):
    response = await client.post("uploads", json=body)
    assert response.status_code == 400
    assert words.lower() in response.json()["message"].lower()


async def test_create_rejects_a_body_that_is_not_json(client):
    response = await client.post("uploads", content=b"{nope",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.json()["message"]


async def test_dry_run_answers_269_and_creates_nothing(fake, client):
    before = len(fake.uploads)
    response = await client.post("uploads", params={"dryRun": "true"}, json=multipart_body())
    assert response.status_code == 269
    assert isinstance(response.json()["creativeUnitsCost"], int)
    assert len(fake.uploads) == before


async def test_auth_missing_or_garbled_is_401(fake):
    transport = fake.transport()
    async with httpx.AsyncClient(transport=transport, base_url=fake.base_url) as c:
        path = f"uploads/{SEEDED_IDS[0]}"
        assert (await c.get(path)).status_code == 401
        assert "message" in (await c.get(path)).json()
        for header in ["Basic !!!notbase64", "Basic " + base64.b64encode(b"nocolon").decode(),
                       "Token abc", "Bearer ", "Basic"]:
            assert (await c.get(path, headers={"Authorization": header})).status_code == 401, header
        bearer = {"Authorization": "Bearer jwt.token.here"}
        assert (await c.get(path, headers=bearer)).status_code == 200
        assert (await c.get(path, auth=("any", "thing"))).status_code == 200


async def test_exact_credentials_mode():
    fake = FakeScenario(api_key="k", api_secret="s")
    async with httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url) as c:
        path = f"uploads/{SEEDED_IDS[0]}"
        assert (await c.get(path, auth=("k", "s"))).status_code == 200
        assert (await c.get(path, auth=("k", "wrong"))).status_code == 401
        assert (await c.get(path, auth=("other", "s"))).status_code == 401
        assert (await c.get(path, headers={"Authorization": "Bearer jwt"})).status_code == 401


async def test_part_urls_look_presigned_expire_and_are_reissued(clock):
    fake = FakeScenario(clock=clock, part_url_ttl=60)
    async with (
        httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url, auth=AUTH) as c,
        httpx.AsyncClient(transport=fake.transport()) as raw,
    ):
        upload = await create(c, size=3, parts=1)
        part = upload["parts"][0]
        assert part["url"].startswith("http://fake-scenario.invalid/_parts/")
        assert "signature=" in part["url"] and "expires=" in part["url"]
        assert part["expires"].endswith("Z")

        forged = part["url"].replace("signature=", "signature=00")
        denied = await raw.put(forged, content=b"abc")
        assert denied.status_code == 403 and b"SignatureDoesNotMatch" in denied.content

        clock.advance(61)
        expired = await raw.put(part["url"], content=b"abc")
        assert expired.status_code == 403 and b"expired" in expired.content
        assert fake.uploads[upload["id"]].received == {}

        fresh = (await status(c, upload["id"]))["parts"][0]
        assert fresh["url"] != part["url"] and fresh["expires"] > part["expires"]
        assert (await raw.put(fresh["url"], content=b"abc")).status_code == 200
        assert fake.uploads[upload["id"]].received == {1: 3}
        put = [r for r in fake.requests if r.method == "PUT"][-1]
        assert "authorization" not in put.headers


async def test_part_url_refused_after_complete(fake, client, raw):
    upload = await create(client, size=3, parts=1)
    await put_parts(raw, upload, [3])
    await complete(client, upload["id"])
    late = await raw.put(upload["parts"][0]["url"], content=b"abc")
    assert late.status_code == 404 and b"NoSuchUpload" in late.content
