"""The client's waits have deadlines and its answers are checked (issue 16, section 5):
server wait hints capped at 60 s, one deadline per call over all its attempts, a plan limit
told from a rate limit, answers about another object refused, a conflict on ``complete``
re-read, and room for the answer of an upload with 10,000 parts."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import Credentials
from scenario_tui.core import errors
from tests.unit.api.test_api_client import UPLOAD, Script, make_client


def clocked_client(script: Script, **kwargs) -> tuple[ScenarioClient, list[float]]:
    """A client on ``script`` whose clock is the list's one value (the test moves it)."""
    now = [1000.0]

    async def no_sleep(seconds: float) -> None:
        return None

    client = ScenarioClient(base_url="https://api.example.test/v1",
                            credentials=Credentials("key", "secret-value-1"),
                            transport=httpx.MockTransport(script), sleep=no_sleep,
                            clock=lambda: now[0], **kwargs)
    return client, now


# --- 1. a server's wait hint is capped at 60 s -----------------------------------------------


@pytest.mark.parametrize(("headers", "body"), [
    ({"retry-after": "1e9"}, {"message": "slow down"}),
    ({"retry-after-ms": "1e12"}, {"message": "slow down"}),
    ({}, {"message": "slow down", "remainingSeconds": 1e9}),
], ids=["retry-after", "retry-after-ms", "remainingSeconds"])
async def test_a_wait_hint_of_31_years_holds_requests_back_60_s_at_most(headers, body):
    """One 429 asking for 1e9 s used to refuse every later request of the session for 31
    years. The hint is cut to 60 s (the official SDK's cap), the message says so, the request
    that got it fails at once, later ones fail unsent for those 60 s only, then go out."""
    script = Script((429, body, headers), (200, {"upload": UPLOAD}))
    client, now = clocked_client(script, max_retries=2)
    with pytest.raises(errors.RateLimitedError) as info:
        await client.get_upload("up_1")
    assert info.value.retry_after == 60
    assert "1000000000 s" in info.value.message and "60 s at most" in info.value.message
    assert "Try again in 60 s" in info.value.message
    assert len(script.requests) == 1
    now[0] += 59
    with pytest.raises(errors.RateLimitedError, match="nothing was sent.*Try again in 1 s"):
        await client.get_upload("up_1")
    assert len(script.requests) == 1
    now[0] += 2
    assert (await client.get_upload("up_1")).id == "up_1"
    assert len(script.requests) == 2


async def test_a_wait_hint_within_the_cap_is_still_waited_out():
    script = Script((429, {"message": "slow"}, {"retry-after": "60"}), (200, {"upload": UPLOAD}))
    client, sleeps = make_client(script)
    assert (await client.get_upload("up_1")).id == "up_1"
    assert 60.0 in sleeps


# --- 2. one deadline per call, over all its attempts ----------------------------------------


async def test_the_call_deadline_spans_every_attempt():
    """httpx's timeouts are per socket operation: a server that never finishes answering held
    a read for the deadline of each of its three attempts. The call has one deadline for all
    of them: one attempt here, and the error says when it ran out."""
    calls = []

    async def never_done(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        await asyncio.sleep(30)
        raise AssertionError("the deadline should have ended this")

    client = ScenarioClient(base_url="https://api.example.test/v1",
                            credentials=Credentials("key", "secret-value-1"),
                            transport=httpx.MockTransport(never_done), timeout=0.2,
                            connect_timeout=0.1, max_retries=2)
    with pytest.raises(errors.ApiTimeoutError, match=r"did not finish answering within 0.3 s"):
        await client.get_upload("up_1")
    assert len(calls) == 1


async def test_retries_go_on_within_the_deadline():
    client, _ = make_client(Script((503, {"message": "busy"}), (200, {"upload": UPLOAD})),
                            timeout=5.0)
    assert (await client.get_upload("up_1")).id == "up_1"


# --- 6. a plan limit is not a rate limit ------------------------------------------------------


async def test_a_plan_limit_is_neither_retried_nor_a_pause():
    body = {"message": "Limit reached", "details": {"actionName": "uploads", "actionLimit": 100}}
    script = Script((429, body), (200, {"upload": UPLOAD}))
    client, sleeps = make_client(script, max_retries=2)
    with pytest.raises(errors.PlanLimitError) as info:
        await client.get_upload("up_1")
    assert info.value.title == "Plan limit reached"
    assert "uploads (100)" in info.value.message and "not a rate limit" in info.value.message
    assert len(script.requests) == 1 and sleeps == []
    assert client.last_rate_limited == 0  # a bulk refresh does not halve its window for it
    assert (await client.get_upload("up_1")).id == "up_1"  # and nothing waits afterwards
    assert sleeps == []


# --- 4. an answer about another object is refused ---------------------------------------------


async def test_an_upload_answer_about_another_upload_is_refused():
    client, _ = make_client(Script((200, {"upload": {**UPLOAD, "id": "up_2"}})))
    with pytest.raises(errors.BadResponseError, match="Asked for upload up_1.*upload up_2"):
        await client.get_upload("up_1")


async def test_a_complete_is_never_decided_from_another_uploads_answer():
    """The POST's answer and the re-read are both about up_2: the outcome stays unknown."""
    other = {"upload": {**UPLOAD, "id": "up_2", "status": "validating"}}
    script = Script((200, other), (200, other))
    client, _ = make_client(script)
    outcome = await client.complete_upload("up_1")
    assert outcome.upload is None and outcome.uncertain
    assert isinstance(outcome.reread_error, errors.BadResponseError)
    assert [r.method for r in script.requests] == ["POST", "GET"]
    assert "Outcome unknown" in outcome.summary()


async def test_job_and_asset_answers_about_others_are_refused():
    job = {"job": {"jobId": "job_2", "status": "success"}}
    client, _ = make_client(Script((200, job)))
    with pytest.raises(errors.BadResponseError, match="job job_2"):
        await client.get_job("job_1")
    client, _ = make_client(Script((200, {"asset": {"id": "asset_2"}})))
    with pytest.raises(errors.BadResponseError, match="asset asset_2"):
        await client.get_asset("asset_1")


# --- 5. a conflict on complete is re-read -------------------------------------------------------


@pytest.mark.parametrize(("now", "says"), [
    ("validating", "already completed, by someone else or by an earlier request"),
    ("pending", "was not applied; it was not sent again"),
])
async def test_a_conflict_on_complete_is_reread_once_and_reported(now, says):
    """Sent once, never again; the re-read says what the upload is now."""
    script = Script((409, {"message": "Upload is not pending"}),
                    (200, {"upload": {**UPLOAD, "status": now}}))
    client, _ = make_client(script)
    outcome = await client.complete_upload("up_1")
    assert [r.method for r in script.requests] == ["POST", "GET"]
    assert outcome.uncertain and isinstance(outcome.uncertain_cause, errors.ConflictError)
    assert outcome.upload is not None and outcome.upload.status == now
    assert says in outcome.summary() and "Upload is not pending" in outcome.summary()


# --- 8. room for an upload with 10,000 parts -----------------------------------------------------


async def test_a_pending_upload_with_10000_signed_part_urls_is_read():
    """Each part carries a presigned URL of about 2 KiB: some 21 MB of JSON, which the 8 MiB
    cap refused. Other answers keep the 8 MiB cap."""
    token = "Z" * 1900
    parts = [{"number": n, "url": f"https://storage.test/b/k?partNumber={n}&X-Amz-Security-Token="
              f"{token}", "expires": "2026-12-01T00:00:00Z"} for n in range(1, 10_001)]
    client, _ = make_client(Script((200, {"upload": {**UPLOAD, "parts": parts}})))
    upload = await client.get_upload("up_1")
    assert len(upload.parts) == 10_000
    client, _ = make_client(Script((200, b"[" + b"1," * (5 * 1024 * 1024) + b"1]")))
    with pytest.raises(errors.BadResponseError, match="larger than 8 MiB"):
        await client.get_job("job_1")
