"""Sending the parts of a multipart upload: concurrency and progress, streaming from disk in
chunks, retries, URL refresh and 403, a file that changes meanwhile, and the plan a resume
rebuilds. Over the fake API in-process (``fake.transport()`` for the part URLs too) and over
loopback."""

from __future__ import annotations

import builtins
import tracemalloc

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core.units import MIB
from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.service import parts
from scenario_tui.service.parts import PartUploadError, resume_plan
from scenario_tui.service.upload_result import UploadIncompleteError
from scenario_tui.service.uploader import Uploader
from tests.unit.service.conftest import (
    assert_no_presigned_urls,
    make_file,
    make_uploader,
    no_sleep,
    part_puts,
)

# --- streaming and concurrency -----------------------------------------------------------------


async def test_multipart_journey_sends_every_part_concurrently_with_progress(
        service, fake, tmp_path):
    path = make_file(tmp_path, "clip.mp4", 12 * MIB)
    seen = []
    uploader = make_uploader(service, fake, concurrency=3, chunk_size=256 * 1024)
    result = await uploader.upload_file(path, part_size=5 * MIB, wait=True,
                                        on_progress=seen.append)
    assert result.status == "imported" and result.kind == "video"
    sizes = [5 * MIB, 5 * MIB, 2 * MIB]
    assert fake.uploads[result.upload_id].received == {1: 5 * MIB, 2: 5 * MIB, 3: 2 * MIB}
    assert sorted(service.store.parts_sent(result.upload_id).values()) == sorted(sizes)
    assert fake.complete_count(result.upload_id) == 1
    assert all(r.headers.get("authorization") is None for r in part_puts(fake, result.upload_id))
    sent = [p.bytes_sent for p in seen]
    assert sent == sorted(sent) and sent[-1] == 12 * MIB
    assert seen[-1].parts_done == seen[-1].parts_total == 3 and seen[-1].file_name == "clip.mp4"
    assert_no_presigned_urls(service)


async def test_parts_are_streamed_in_chunks_never_read_whole(service, fake, tmp_path,
                                                            monkeypatch):
    """Spy on every read of the file: none is larger than the chunk size."""
    path = make_file(tmp_path, "big.png", 12 * MIB)
    reads: list[int] = []

    class Spy:
        def __init__(self, handle):
            self._handle = handle

        def read(self, size=-1):
            data = self._handle.read(size)
            reads.append(len(data) if size is None or size < 0 else size)
            return data

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._handle.close()

    monkeypatch.setattr(parts, "open",
                        lambda *a, **k: Spy(builtins.open(*a, **k)), raising=False)
    uploader = make_uploader(service, fake, chunk_size=64 * 1024)
    result = await uploader.upload_file(path, part_size=5 * MIB)
    assert result.ok
    assert reads and max(reads) <= 64 * 1024
    assert sum(reads) == 12 * MIB


async def test_memory_stays_far_below_file_size_over_loopback(server, served_settings, tmp_path):
    """64 MiB over a real socket: traced peak (client and the fake server thread together)
    stays well under the file size."""
    path = make_file(tmp_path, "large.mp4", 64 * MIB)
    service = build_service(served_settings, sleep=no_sleep)
    uploader = Uploader(service.client, service.store, service=service, concurrency=2)
    tracemalloc.start()
    try:
        async with service.client:
            result = await uploader.upload_file(path, part_size=5 * MIB, no_complete=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        service.store.close()
    assert sum(server.fake.uploads[result.upload_id].received.values()) == 64 * MIB
    assert peak < 32 * MIB, f"peak {peak / MIB:.1f} MiB"



# --- retries, URL refresh, 403 -----------------------------------------------------------------


async def test_failed_part_put_is_retried_with_backoff(service, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 12 * MIB)
    fake.faults.add(status=500, path="/_parts/", count=1)
    waits: list[float] = []

    async def sleep(seconds):
        waits.append(seconds)

    uploader = make_uploader(service, fake, concurrency=1, sleep=sleep)
    result = await uploader.upload_file(path, part_size=5 * MIB)
    assert result.ok and result.status == "validating"
    puts = part_puts(fake, result.upload_id)
    assert len(puts) == 4 and puts[0].fault == "status:500"
    assert waits and 0 < waits[0] <= 0.5
    assert sum(fake.uploads[result.upload_id].received.values()) == 12 * MIB


async def test_part_failing_every_attempt_keeps_the_upload_and_says_how_to_resume(
        uploader, service, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    fake.faults.add(status=503, path="/_parts/", count=None)
    with pytest.raises(UploadIncompleteError) as info:
        await uploader.upload_file(path)
    exc = info.value
    assert isinstance(exc.cause, PartUploadError) and exc.title == "Part upload failed"
    assert "after 3 attempts" in exc.message and "--resume " + exc.upload_id in exc.message
    assert "signature" not in exc.message and "expires" not in exc.message
    assert len(part_puts(fake, exc.upload_id)) == 3
    assert service.store.contains(exc.upload_id) and fake.complete_count() == 0
    assert_no_presigned_urls(service)


async def test_part_client_error_is_not_retried(uploader, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    fake.faults.add(status=400, path="/_parts/", count=None)
    with pytest.raises(UploadIncompleteError, match="HTTP 400"):
        await uploader.upload_file(path)
    assert len([r for r in fake.requests if r.method == "PUT"]) == 1


def clocked_fake(now: list[float], ttl: float) -> FakeScenario:
    return FakeScenario(step_seconds=0.0, clock=lambda: now[0], part_url_ttl=ttl, seed=False)


async def test_part_url_about_to_expire_is_refreshed_before_the_put(settings, tmp_path):
    now = [1_800_000_000.0]
    fake = clocked_fake(now, ttl=60)
    service = build_service(settings, transport=fake.transport(), sleep=no_sleep)
    uploader = make_uploader(service, fake, concurrency=1, wall_clock=lambda: now[0])

    def advance(progress):
        if progress.parts_done == 1 and now[0] < 1_800_000_040:
            now[0] += 40  # part 2's URL now expires in 20 s: within the 30 s margin

    path = make_file(tmp_path, "a.png", 12 * MIB)
    result = await uploader.upload_file(path, part_size=5 * MIB, on_progress=advance)
    assert result.ok
    puts = part_puts(fake, result.upload_id)
    assert [r.status for r in puts] == [200, 200, 200]
    expiries = [int(r.query["expires"]) for r in puts]
    assert expiries[0] < expiries[1] == expiries[2]
    reads = fake.count("GET", f"/uploads/{result.upload_id}")
    assert reads == 2  # one refresh for fresh URLs, one re-read before complete
    service.store.close()


async def test_expired_part_url_403_rereads_once_and_retries(settings, tmp_path):
    """The storage clock is ahead of ours: URLs look fresh locally but storage says expired."""
    now = [1_800_000_000.0]
    fake = clocked_fake(now, ttl=600)
    service = build_service(settings, transport=fake.transport(), sleep=no_sleep)
    uploader = make_uploader(service, fake, concurrency=2, wall_clock=lambda: 1_800_000_000.0)

    def jump(progress):
        if now[0] == 1_800_000_000.0:
            now[0] += 3600

    path = make_file(tmp_path, "a.png", 12 * MIB)
    result = await uploader.upload_file(path, part_size=5 * MIB, on_progress=jump)
    assert result.ok
    statuses = [r.status for r in part_puts(fake, result.upload_id)]
    assert statuses.count(403) == 2 and statuses.count(200) == 3
    assert fake.count("GET", f"/uploads/{result.upload_id}") == 2  # one shared refresh
    service.store.close()


async def test_403_again_with_fresh_url_fails_clearly(uploader, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    fake.faults.add(status=403, path="/_parts/", count=None)
    with pytest.raises(UploadIncompleteError, match="HTTP 403") as info:
        await uploader.upload_file(path)
    assert len(part_puts(fake, info.value.upload_id)) == 2
    assert "signature" not in info.value.message



# --- the file, the plan of a resume ------------------------------------------------------------


async def test_file_changing_during_upload_stops_it(service, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 12 * MIB)
    uploader = make_uploader(service, fake, concurrency=1)

    def grow(progress):
        if progress.parts_done == 1:
            with open(path, "ab") as handle:
                handle.write(b"more")

    with pytest.raises(UploadIncompleteError, match="changed while it was being uploaded"):
        await uploader.upload_file(path, part_size=5 * MIB, on_progress=grow)
    assert fake.complete_count() == 0


def test_resume_plan_from_the_last_part_alone():
    """When only the (short) last part was recorded, the others' size follows from it."""
    plan = resume_plan(12 * MIB, 3, {3: 2 * MIB}, None)
    assert [p.size for p in plan] == [5 * MIB, 5 * MIB, 2 * MIB]
    # nothing recorded at all: the smallest whole-MiB size that makes 3 parts
    plan = resume_plan(12 * MIB, 3, {}, None)
    assert [p.size for p in plan] == [5 * MIB, 5 * MIB, 2 * MIB]

