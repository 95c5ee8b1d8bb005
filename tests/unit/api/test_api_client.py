"""The API client against scripted answers (httpx.MockTransport): errors, retries, secrets."""

from __future__ import annotations

import json

import httpx
import pytest

from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import Credentials
from scenario_tui.core import errors

UPLOAD = {
    "id": "up_1", "authorId": "a", "createdAt": "2026-11-01T00:00:00Z", "fileName": "cat.png",
    "kind": "image", "ownerId": "o", "source": "multipart", "status": "pending",
    "updatedAt": "2026-11-01T00:00:00Z",
}
SECRET = "s3cr3t-value-xyz"


class Script:
    """A transport answering from a list of (status, body, headers) and recording requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = (
            (answer + ({},))[:3] if isinstance(answer, tuple) else (200, answer, {})
        )
        if isinstance(body, (dict, list)):
            return httpx.Response(status, json=body, headers=headers)
        content = body if isinstance(body, bytes) else str(body).encode()
        return httpx.Response(status, content=content, headers=headers)


def make_client(script: Script, **kwargs) -> tuple[ScenarioClient, list[float]]:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = ScenarioClient(
        base_url="https://api.example.test/v1",
        credentials=Credentials("key", SECRET),
        transport=httpx.MockTransport(script),
        sleep=fake_sleep,
        **kwargs,
    )
    return client, sleeps


async def test_get_upload_parses_and_keeps_unknown_fields_and_values():
    body = {"upload": {**UPLOAD, "status": "quarantined", "kind": "hologram", "brandNew": {"x": 1}}}
    client, _ = make_client(Script((200, body)))
    upload = await client.get_upload("up_1")
    assert upload.status == "quarantined"
    assert upload.kind == "hologram"
    assert upload.extra_fields() == {"brandNew": {"x": 1}}


async def test_request_shape_auth_and_project_id():
    script = Script((200, {"upload": UPLOAD}))
    client, _ = make_client(script, project_id="proj 1")
    await client.get_upload("up_1")
    request = script.requests[0]
    assert request.method == "GET"
    assert request.url.path == "/v1/uploads/up_1"
    assert request.url.params["projectId"] == "proj 1"
    assert request.headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    "bad", ["../assets/x", "a/b", "a?b", "a#b", "%2e%2e", "a b", "x\x00", "", "é", "a" * 200]
)
async def test_malformed_ids_never_reach_the_network(bad):
    script = Script((200, {"upload": UPLOAD}))
    client, _ = make_client(script)
    with pytest.raises(errors.InvalidUploadIdError):
        await client.get_upload(bad)
    with pytest.raises(errors.InvalidUploadIdError):
        await client.complete_upload(bad)
    assert script.requests == []


@pytest.mark.parametrize(
    ("status", "cls", "title"),
    [
        (400, errors.RequestRejectedError, "Request rejected"),
        (401, errors.AuthError, "Bad credentials"),
        (403, errors.ForbiddenError, "Forbidden"),
        (404, errors.NotFoundError, "Not found"),
        (409, errors.ConflictError, "Invalid state"),
        (422, errors.RequestRejectedError, "Request rejected"),
        (500, errors.ServerError, "Server error"),
        (503, errors.ServerError, "Server error"),
    ],
)
async def test_status_errors_map_to_the_tree_with_the_body_message(status, cls, title):
    body = {"message": f"boom {status}", "traceId": "tr-42"}
    client, _ = make_client(Script((status, body)), max_retries=0)
    with pytest.raises(cls) as info:
        await client.get_upload("up_1")
    assert info.value.title == title
    assert f"boom {status}" in info.value.message
    assert "tr-42" in info.value.message
    assert info.value.status == status


@pytest.mark.parametrize("key", ["reason", "message", "error", "detail"])
async def test_message_taken_from_first_known_key(key):
    client, _ = make_client(Script((404, {key: "the words"})))
    with pytest.raises(errors.NotFoundError) as info:
        await client.get_upload("up_1")
    assert "the words" in info.value.message


async def test_html_gateway_page_is_described_not_dumped():
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    client, _ = make_client(Script((502, page, {"content-type": "text/html"})), max_retries=0)
    with pytest.raises(errors.ServerError) as info:
        await client.get_upload("up_1")
    assert "HTML page" in info.value.message
    assert "<h1>" not in info.value.message


async def test_non_json_success_and_wrong_shape_are_bad_responses():
    client, _ = make_client(Script((200, b'{"upload": {"id": "x", ')))
    with pytest.raises(errors.BadResponseError, match="not JSON"):
        await client.get_upload("up_1")
    client, _ = make_client(Script((200, {"uploads": []})))
    with pytest.raises(errors.BadResponseError, match="no 'upload' object"):
        await client.get_upload("up_1")
    client, _ = make_client(Script((200, {"upload": {"fileName": "x"}})))
    with pytest.raises(errors.BadResponseError, match="id"):
        await client.get_upload("up_1")


async def test_reads_retry_on_5xx_then_succeed_with_backoff():
    script = Script((500, {"message": "x"}), (503, {"message": "y"}), (200, {"upload": UPLOAD}))
    client, sleeps = make_client(script)
    upload = await client.get_upload("up_1")
    assert upload.id == "up_1"
    assert len(script.requests) == 3
    assert len(sleeps) == 2 and 0.3 <= sleeps[0] <= 0.5 and 0.7 <= sleeps[1] <= 1.0


async def test_retries_are_bounded():
    script = Script((500, {"message": "down"}))
    client, sleeps = make_client(script, max_retries=2)
    with pytest.raises(errors.ServerError):
        await client.get_upload("up_1")
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"retry-after": "3"}, {"message": "slow"}, 3.0),
        ({"retry-after-ms": "1500"}, {"message": "slow"}, 1.5),
        ({}, {"message": "slow", "remainingSeconds": 7}, 7.0),
    ],
)
async def test_rate_limit_wait_hints_are_honoured(headers, body, expected):
    script = Script((429, body, headers), (200, {"upload": UPLOAD}))
    client, sleeps = make_client(script)
    await client.get_upload("up_1")
    assert expected in sleeps


async def test_rate_limited_error_states_the_wait():
    script = Script((429, {"message": "Too many"}, {"retry-after": "12"}))
    client, _ = make_client(script, max_retries=0)
    with pytest.raises(errors.RateLimitedError) as info:
        await client.get_upload("up_1")
    assert info.value.retry_after == 12
    assert "12 s" in info.value.message


async def test_x_should_retry_false_stops_retries_and_true_forces_them():
    script = Script((503, {"message": "no"}, {"x-should-retry": "false"}))
    client, _ = make_client(script)
    with pytest.raises(errors.ServerError):
        await client.get_upload("up_1")
    assert len(script.requests) == 1
    script = Script(
        (400, {"message": "later"}, {"x-should-retry": "true"}), (200, {"upload": UPLOAD})
    )
    client, _ = make_client(script)
    await client.get_upload("up_1")
    assert len(script.requests) == 2


async def test_connection_refused_and_timeouts_are_translated():
    refused = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    client, _ = make_client(refused, max_retries=0)
    with pytest.raises(errors.ApiConnectionError, match="connection refused"):
        await client.get_upload("up_1")
    client, _ = make_client(Script(httpx.ReadTimeout("slow")), max_retries=0)
    with pytest.raises(errors.ApiTimeoutError):
        await client.get_upload("up_1")
    client, _ = make_client(Script(httpx.ConnectTimeout("slow")), max_retries=0)
    with pytest.raises(errors.ApiTimeoutError, match="connect"):
        await client.get_upload("up_1")


async def test_complete_is_posted_once_even_on_5xx_and_then_reread():
    after = {"upload": {**UPLOAD, "status": "validating"}}
    script = Script((500, {"message": "oops"}), (200, after))
    client, _ = make_client(script)
    outcome = await client.complete_upload("up_1")
    posts = [r for r in script.requests if r.method == "POST"]
    assert len(posts) == 1
    assert json.loads(posts[0].content) == {"action": "complete"}
    assert outcome.uncertain
    assert outcome.upload is not None and outcome.upload.status == "validating"
    assert "went through" in outcome.summary()


@pytest.mark.parametrize(
    "fault",
    [httpx.ReadTimeout("lost"), httpx.RemoteProtocolError("dropped"), httpx.ReadError("reset")],
)
async def test_complete_uncertain_outcomes_reread_and_say_so(fault):
    script = Script(fault, (200, {"upload": UPLOAD}))
    client, _ = make_client(script)
    outcome = await client.complete_upload("up_1")
    assert sum(1 for r in script.requests if r.method == "POST") == 1
    assert outcome.uncertain and outcome.upload.status == "pending"
    assert "not sent again" in outcome.summary()


async def test_complete_when_connection_refused_is_a_plain_error_not_uncertain():
    script = Script(httpx.ConnectError("Connection refused"))
    client, _ = make_client(script)
    with pytest.raises(errors.ApiConnectionError):
        await client.complete_upload("up_1")
    assert len(script.requests) == 1


async def test_complete_conflict_is_not_retried_but_reread():
    """(Issue 16 changed this: a 409 used to be raised as is; it is now re-read once, since
    someone else may have completed the upload; see test_client_checks.)"""
    script = Script((409, {"message": "not pending"}), (200, {"upload": UPLOAD}))
    client, _ = make_client(script)
    outcome = await client.complete_upload("up_1")
    assert isinstance(outcome.uncertain_cause, errors.ConflictError)
    assert [r.method for r in script.requests] == ["POST", "GET"]


async def test_reread_failure_after_uncertain_complete_is_reported():
    script = Script(httpx.ReadTimeout("lost"), (500, {"message": "still down"}))
    client, _ = make_client(script, max_retries=0)
    outcome = await client.complete_upload("up_1")
    assert outcome.upload is None and outcome.reread_error is not None
    assert "Outcome unknown" in outcome.summary()


async def test_huge_body_is_refused():
    """(Issue 16 raised the cap of upload answers from 8 MiB to room for 10,000 parts.)"""
    from scenario_tui.api.responses import UPLOAD_BODY_BYTES

    client, _ = make_client(Script((200, b"[" + b"1," * (UPLOAD_BODY_BYTES // 2) + b"1]")))
    with pytest.raises(errors.BadResponseError, match="larger than 47 MiB"):
        await client.get_upload("up_1")


async def test_secrets_never_appear_in_error_text():
    jwt = "eyJhbGciOiJIUzI1NiJ9.payload.signaturepart"
    echo = {"message": f"bad header Basic a2V5OnMzY3IzdC12YWx1ZS14eXo= and {SECRET} and "
            f"Bearer {jwt} see https://storage.test/part?X-Amz-Signature=abcdef123"}
    client, _ = make_client(Script((400, echo)))
    with pytest.raises(errors.RequestRejectedError) as info:
        await client.get_upload("up_1")
    text = str(info.value)
    assert SECRET not in text
    assert "a2V5OnMzY3IzdC12YWx1ZS14eXo=" not in text
    assert "X-Amz-Signature" not in text
    client2 = ScenarioClient(base_url="https://x.test/v1", credentials=Credentials(jwt=jwt),
                             transport=httpx.MockTransport(Script((401, echo))))
    with pytest.raises(errors.AuthError) as info:
        await client2.get_upload("up_1")
    assert jwt not in str(info.value)
    assert SECRET not in repr(Credentials("k", SECRET))


async def test_rate_limit_cooldown_is_shared_across_requests():
    """A 429 with a wait makes the other in-flight reads wait too, not only the one that got it."""
    script = Script((429, {"message": "slow"}, {"retry-after": "2"}), (200, {"upload": UPLOAD}))
    now = [100.0]
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = ScenarioClient(base_url="https://x.test/v1", credentials=Credentials("k", "secret-1"),
                            transport=httpx.MockTransport(script), sleep=fake_sleep,
                            clock=lambda: now[0])
    await client.get_upload("up_1")
    now[0] += 1.0  # one second later, another read must still wait out the rest of the cooldown
    sleeps.clear()
    await client.get_upload("up_1")
    assert sleeps == [1.0]
    now[0] += 5.0
    sleeps.clear()
    await client.get_upload("up_1")
    assert sleeps == []
