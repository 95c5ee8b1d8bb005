"""The fake as a whole: its request log, latency, reset, and the in-process transport.

The latency test is about time, so it waits for real."""

from __future__ import annotations

import time

import httpx
import pytest

from scenario_tui.fake.seeds import SEEDED_IDS, SEEDED_PENDING_IDS
from tests.unit.fake.helpers import AUTH, complete, multipart_body


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
