"""The fake Scenario API: lifecycle, validation, auth, part URLs, faults, server, control endpoint.

Time is driven by an injected clock; the only real waits are in the tests about latency and
socket timeouts, which are literally about time.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from scenario_tui.fake.scenario import (
    BAD_FILE_ID,
    FAULT_KINDS,
    SEEDED_IDS,
    SEEDED_PENDING_IDS,
    SEEDED_STATUSES,
    FakeScenario,
    run_forever,
    seeded_pending_ids,
    serve,
)

ROOT = Path(__file__).resolve().parents[3]
STEP = 10.0
AUTH = ("key", "secret")


class FakeClock:
    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeScenario:
    return FakeScenario(step_seconds=STEP, clock=clock, rng_seed=7)


@pytest.fixture
async def client(fake: FakeScenario):
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=fake.base_url, auth=AUTH
    ) as c:
        yield c


@pytest.fixture
async def raw(fake: FakeScenario):
    """A client with no Scenario credentials, for part URLs."""
    async with httpx.AsyncClient(transport=fake.transport()) as c:
        yield c


@pytest.fixture
def server():
    with serve(FakeScenario(rng_seed=3)) as handle:
        yield handle


def multipart_body(size: int = 10, parts: int = 2, kind: str = "image", **extra) -> dict:
    return {"fileName": "pic.png", "contentType": "image/png", "fileSize": size,
            "parts": parts, "kind": kind, **extra}


async def create(client: httpx.AsyncClient, **kw) -> dict:
    response = await client.post("uploads", json=multipart_body(**kw))
    assert response.status_code == 200, response.text
    return response.json()["upload"]


async def put_parts(raw: httpx.AsyncClient, upload: dict, sizes: list[int]) -> None:
    for part, size in zip(upload["parts"], sizes):
        response = await raw.put(part["url"], content=b"x" * size)
        assert response.status_code == 200, response.text


async def complete(client: httpx.AsyncClient, upload_id: str) -> httpx.Response:
    return await client.post(f"uploads/{upload_id}/action", json={"action": "complete"})


async def status(client: httpx.AsyncClient, upload_id: str) -> dict:
    response = await client.get(f"uploads/{upload_id}")
    assert response.status_code == 200, response.text
    return response.json()["upload"]


# --- lifecycle ---------------------------------------------------------------------------------


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


# --- errors, validation, auth ------------------------------------------------------------------


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


# --- part URLs ---------------------------------------------------------------------------------


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


# --- request log -------------------------------------------------------------------------------


async def test_request_log_counts_and_project_id(fake, client):
    await client.get(f"uploads/{SEEDED_IDS[0]}", params={"projectId": "proj_abc"})
    await complete(client, SEEDED_PENDING_IDS[0])
    await complete(client, SEEDED_PENDING_IDS[0])
    created = (await client.post("uploads", params={"projectId": "proj_xyz"},
                                 json=multipart_body())).json()["upload"]
    assert created["ownerId"] == "proj_xyz"
    assert fake.project_ids == ["proj_abc", "proj_xyz"]
    assert fake.count("POST", "/action") == 2
    assert fake.complete_count(SEEDED_PENDING_IDS[0]) == 2
    assert fake.complete_count(SEEDED_PENDING_IDS[1]) == 0
    first = fake.requests[0]
    assert (first.method, first.path, first.query) == ("GET", f"/v1/uploads/{SEEDED_IDS[0]}",
                                                       {"projectId": "proj_abc"})
    assert first.json is None and first.headers["authorization"].startswith("Basic ")
    assert fake.requests[1].json == {"action": "complete"}
    assert [r.status for r in fake.requests] == [200, 200, 409, 200]


# --- faults in-process -------------------------------------------------------------------------


async def test_fault_status_with_retry_headers(fake, client):
    fake.faults.add(status=503, retry_after=2, x_should_retry=False)
    fake.faults.add(status=429, retry_after_ms=1500, remaining_seconds=12)
    first = await client.get(f"uploads/{SEEDED_IDS[0]}")
    assert first.status_code == 503 and first.headers["retry-after"] == "2"
    assert first.headers["x-should-retry"] == "false"
    assert first.json()["traceId"].startswith("trace-") and first.json()["message"]
    second = await client.get(f"uploads/{SEEDED_IDS[0]}")
    assert second.status_code == 429 and second.headers["retry-after-ms"] == "1500"
    assert second.json()["remainingSeconds"] == 12
    assert (await client.get(f"uploads/{SEEDED_IDS[0]}")).status_code == 200


async def test_fault_kinds_with_bodies(fake, client):
    path = f"uploads/{SEEDED_IDS[0]}"
    fake.faults.add(kind="html")
    html = await client.get(path)
    assert html.status_code == 502 and html.headers["content-type"].startswith("text/html")
    assert "<html" in html.text

    fake.faults.add(kind="malformed_json")
    broken = await client.get(path)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()

    fake.faults.add(kind="wrong_shape")
    odd = await client.get(path)
    assert odd.status_code == 200 and "upload" not in odd.json()

    fake.faults.add(status=500, body={"reason": "custom"})
    assert (await client.get(path)).json() == {"reason": "custom"}


async def test_fault_drop_and_timeout_raise_httpx_errors(fake, client):
    fake.faults.add(kind="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(f"uploads/{SEEDED_IDS[0]}")
    fake.faults.add(kind="timeout")
    with pytest.raises(httpx.ReadTimeout):
        await client.get(f"uploads/{SEEDED_IDS[0]}")
    assert (await client.get(f"uploads/{SEEDED_IDS[0]}")).status_code == 200
    assert [r.fault for r in fake.requests] == ["drop", "timeout", None]


async def test_fault_filters_count_and_order(fake, client):
    fake.faults.add(status=500, count=2, path="/action", method="post")
    fake.faults.add(status=502, path="/jobs/")
    assert (await client.get(f"uploads/{SEEDED_IDS[0]}")).status_code == 200
    assert (await client.get("jobs/job_demo_pending_1")).status_code == 502
    assert (await complete(client, SEEDED_PENDING_IDS[0])).status_code == 500
    assert (await complete(client, SEEDED_PENDING_IDS[0])).status_code == 500
    assert (await complete(client, SEEDED_PENDING_IDS[0])).status_code == 200
    assert len(fake.faults) == 0


async def test_fault_forever_until_cleared(fake, client):
    fake.faults.add(status=500, count=None)
    for _ in range(3):
        assert (await client.get(f"uploads/{SEEDED_IDS[0]}")).status_code == 500
    fake.faults.clear()
    assert (await client.get(f"uploads/{SEEDED_IDS[0]}")).status_code == 200


def test_fault_arguments_are_checked(fake):
    with pytest.raises(ValueError):
        fake.faults.add(kind="explode")
    with pytest.raises(ValueError):
        fake.faults.add(status=42)
    with pytest.raises(ValueError):
        fake.faults.add(count=0)
    assert FAULT_KINDS == (None, "html", "malformed_json", "drop", "timeout", "wrong_shape")


async def test_dropped_complete_not_applied_by_default(fake, client):
    upload_id = SEEDED_PENDING_IDS[0]
    fake.faults.add(kind="drop", path="/action")
    with pytest.raises(httpx.RemoteProtocolError):
        await complete(client, upload_id)
    assert (await status(client, upload_id))["status"] == "pending"
    assert fake.complete_count(upload_id) == 1
    record = fake.requests[0]
    assert record.fault == "drop" and record.applied is False and record.status is None


async def test_dropped_complete_applied_changes_state(fake, client):
    upload_id = SEEDED_PENDING_IDS[0]
    fake.faults.add(kind="timeout", path="/action", apply=True)
    with pytest.raises(httpx.ReadTimeout):
        await complete(client, upload_id)
    assert (await status(client, upload_id))["status"] == "validating"
    assert fake.requests[0].applied is True
    assert (await complete(client, upload_id)).status_code == 409
    assert fake.complete_count(upload_id) == 2


async def test_latency_delays_each_request(fake, client):
    fake.latency = 0.05
    started = time.perf_counter()
    await client.get(f"uploads/{SEEDED_IDS[0]}")
    await client.get(f"uploads/{SEEDED_IDS[0]}")
    assert time.perf_counter() - started >= 0.1


def test_sync_client_uses_the_same_transport(fake):
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url, auth=AUTH) as c:
        assert c.get(f"uploads/{SEEDED_IDS[0]}").json()["upload"]["id"] == SEEDED_IDS[0]
        fake.faults.add(kind="drop")
        with pytest.raises(httpx.RemoteProtocolError):
            c.get(f"uploads/{SEEDED_IDS[0]}")


def test_reset_restores_seeds_and_clears_everything(fake):
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url, auth=AUTH) as c:
        c.post(f"uploads/{SEEDED_PENDING_IDS[0]}/action", json={"action": "complete"})
        c.post("uploads", json=multipart_body())
    fake.faults.add(status=500)
    fake.latency = 1.0
    fake.reset()
    assert fake.requests == [] and len(fake.faults) == 0 and fake.latency == 0
    assert set(fake.uploads) == set(SEEDED_IDS)
    assert fake.status_of(SEEDED_PENDING_IDS[0]) == "pending"


# --- over a real socket ------------------------------------------------------------------------


def test_server_base_url_and_keep_alive(server):
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert server.url + "/v1" == server.base_url
    with httpx.Client(base_url=server.base_url, auth=AUTH) as c:
        for _ in range(3):
            response = c.get(f"uploads/{SEEDED_IDS[0]}")
            assert response.status_code == 200
            assert response.headers["content-length"] == str(len(response.content))
    peers = {r.peer for r in server.fake.requests}
    assert len(peers) == 1 and None not in peers  # one pooled connection for all three


def test_server_fault_kinds_over_the_socket(server):
    fake = server.fake
    path = f"uploads/{SEEDED_IDS[0]}"
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=5) as c:
        fake.faults.add(kind="drop")
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.get(path)
        assert c.get(path).status_code == 200  # the server survives a dropped connection

        fake.faults.add(kind="html")
        html = c.get(path)
        assert html.status_code == 502 and html.headers["content-type"].startswith("text/html")

        fake.faults.add(kind="malformed_json")
        with pytest.raises(ValueError):
            c.get(path).json()

        fake.faults.add(kind="wrong_shape")
        assert "upload" not in c.get(path).json()

        fake.faults.add(status=429, retry_after=3)
        limited = c.get(path)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"

        dry = c.post("uploads", params={"dryRun": "true"}, json=multipart_body())
        assert dry.status_code == 269


def test_server_timeout_fault_holds_the_answer(server):
    server.fake.timeout_fault_seconds = 2.0
    server.fake.faults.add(kind="timeout")
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=0.3) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get(f"uploads/{SEEDED_IDS[0]}")
        assert c.get(f"uploads/{SEEDED_IDS[0]}").status_code == 200


def test_server_part_put_needs_no_auth(server):
    with httpx.Client(base_url=server.base_url, auth=AUTH) as c:
        upload = c.post("uploads", json=multipart_body(size=4, parts=1)).json()["upload"]
    url = upload["parts"][0]["url"]
    assert url.startswith(server.url + "/_parts/")
    assert httpx.put(url, content=b"abcd").status_code == 200
    assert server.fake.uploads[upload["id"]].received == {1: 4}


def test_concurrent_completes_only_one_wins(server):
    upload_id = SEEDED_PENDING_IDS[1]
    codes: list[int] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        with httpx.Client(base_url=server.base_url, auth=AUTH) as c:
            barrier.wait()
            codes.append(c.post(f"uploads/{upload_id}/action",
                                json={"action": "complete"}).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(codes) == [200] + [409] * 7
    assert server.fake.complete_count(upload_id) == 8


def test_control_endpoint(server):
    fake = server.fake
    with httpx.Client(base_url=server.url) as ctl, \
            httpx.Client(base_url=server.base_url, auth=AUTH) as c:
        added = ctl.post("/_fake/faults", json={"status": 503, "path": "/uploads/", "count": 1})
        assert added.status_code == 200 and added.json() == {"faults": 1}
        assert c.get(f"uploads/{SEEDED_IDS[0]}").status_code == 503
        assert ctl.post("/_fake/faults", json={"kind": "nope"}).status_code == 400
        assert ctl.post("/_fake/faults", json={"colour": "red"}).status_code == 400
        assert ctl.post("/_fake/faults", json=[{"kind": "html"}, {"kind": "drop"}]).json() == {
            "faults": 2}
        assert ctl.delete("/_fake/faults").json() == {"faults": 0}

        log = ctl.get("/_fake/requests").json()["requests"]
        assert log[0]["path"] == f"/v1/uploads/{SEEDED_IDS[0]}" and log[0]["status"] == 503
        assert log[0]["headers"]["authorization"] == "[redacted]"
        assert all(not entry["path"].startswith("/_fake/") for entry in log)

        assert ctl.post("/_fake/latency", json={"seconds": 0.25}).json() == {"latency": 0.25}
        assert fake.latency == 0.25
        assert ctl.post("/_fake/latency", json={"seconds": -1}).status_code == 400

        uploads = ctl.get("/_fake/uploads").json()["uploads"]
        assert [u["id"] for u in uploads] == list(SEEDED_IDS)

        c.post("uploads", json=multipart_body())
        assert ctl.post("/_fake/reset").json() == {"ok": True}
        assert fake.requests == [] and fake.latency == 0 and set(fake.uploads) == set(SEEDED_IDS)
        assert ctl.get("/_fake/nothing").status_code == 404


def test_run_forever_serves_and_exits_cleanly_on_sigint(tmp_path):
    script = (
        "import sys\n"
        "from scenario_tui.fake.scenario import FakeScenario, run_forever\n"
        "run_forever(FakeScenario(), '127.0.0.1', 0, on_ready=lambda u: print(u, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        response = httpx.get(f"{base_url}/uploads/{SEEDED_IDS[0]}", auth=AUTH)
        assert response.status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped" and err == ""  # no access log, no traceback


def test_run_forever_returns_when_interrupted_during_start():
    urls: list[str] = []

    def on_ready(base_url: str) -> None:
        urls.append(base_url)
        raise KeyboardInterrupt

    fake = FakeScenario()
    run_forever(fake, on_ready=on_ready)  # returns instead of raising
    assert urls == [fake.base_url] and urls[0].startswith("http://127.0.0.1:")


def test_fake_modules_never_import_textual():
    code = ("import sys, scenario_tui.fake.scenario, scenario_tui.fake.server\n"
            "assert 'textual' not in sys.modules, 'textual imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
