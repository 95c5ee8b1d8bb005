"""Injected faults, in-process: statuses, bodies, lost answers, filters and counts."""

from __future__ import annotations

import httpx
import pytest

from scenario_tui.fake.faults import FAULT_KINDS
from scenario_tui.fake.seeds import SEEDED_IDS, SEEDED_PENDING_IDS
from tests.unit.fake.helpers import complete, status


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
