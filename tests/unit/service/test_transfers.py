"""Uploading files end to end (part plan, streaming, retries, URL refresh, resume) and imports,
over the fake API in-process (``fake.transport()`` for the API and the part URLs) and over
loopback."""

from __future__ import annotations

import asyncio
import builtins
import tracemalloc

import pytest

from scenario_tui.core import errors
from scenario_tui.service import transfers as uploader_module
from scenario_tui.cli.main import build_service
from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.core.part_plan import (
    DEFAULT_PART_SIZE, MAX_FILE_SIZE, MAX_PARTS, MIN_PART_SIZE, Part, plan_for_count, plan_parts,
)
from scenario_tui.core.units import GIB, MIB, TIB, parse_size
from scenario_tui.service.transfers import (
    LocalFileError, PartUploadError, UnknownKindError, Uploader, UploadIncompleteError,
    guess_content_type, guess_kind,
)


async def _no_sleep(seconds: float) -> None:
    return None


def make_file(tmp_path, name: str, size: int):
    """A file of ``size`` bytes with a varied pattern (so misplaced slices would show)."""
    path = tmp_path / name
    block = bytes(range(256)) * 4096  # 1 MiB
    with open(path, "wb") as handle:
        left = size
        while left:
            handle.write(block[: min(left, len(block))])
            left -= min(left, len(block))
    return path


def make_uploader(service, fake, **kwargs) -> Uploader:
    kwargs.setdefault("sleep", _no_sleep)
    kwargs.setdefault("poll_min", 0.0)
    kwargs.setdefault("poll_max", 0.0)
    return Uploader(service.client, service.store, service=service,
                    part_transport=fake.transport(), **kwargs)


@pytest.fixture
def uploader(service, fake) -> Uploader:
    return make_uploader(service, fake)


def part_puts(fake, upload_id: str):
    return [r for r in fake.requests if r.method == "PUT" and f"/_parts/{upload_id}/" in r.path]


def assert_no_presigned_urls(service) -> None:
    for event in service.store.events(limit=1000):
        assert "signature" not in (event.message or "")
        assert "expires=" not in (event.message or "")


# --- part plan ---------------------------------------------------------------------------------


def assert_valid_plan(plan: list[Part], size: int) -> None:
    assert [p.number for p in plan] == list(range(1, len(plan) + 1))
    assert sum(p.size for p in plan) == size
    assert all(a.end == b.offset for a, b in zip(plan, plan[1:]))
    assert all(p.size >= MIN_PART_SIZE for p in plan[:-1])
    assert len(plan) <= MAX_PARTS


@pytest.mark.parametrize("text, expected", [
    ("8MiB", 8 * MIB), ("16MB", 16_000_000), ("1048576", 1_048_576), ("1.5GiB", 3 * GIB // 2),
    ("5 mib", 5 * MIB), ("32M", 32 * MIB), ("2k", 2048), ("1TB", 10**12), ("0.5KiB", 512),
    (" 7B ", 7),
])
def test_parse_size_accepts_units(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("junk", ["", "lots", "8XB", "-1", "1e5", "8MiBs", "MiB", "1,5MiB"])
def test_parse_size_refuses_junk_with_a_clear_message(junk):
    with pytest.raises(errors.ConfigError, match="is not a size.*8MiB"):
        parse_size(junk)


def test_plan_empty_file_is_one_empty_part():
    """Decision: the plan of 0 bytes is one 0-byte part; the uploader refuses empty files."""
    assert plan_parts(0) == [Part(1, 0, 0)]


@pytest.mark.parametrize("size, part, expected", [
    (1, DEFAULT_PART_SIZE, [1]),
    (MIN_PART_SIZE - 1, MIN_PART_SIZE, [MIN_PART_SIZE - 1]),
    (MIN_PART_SIZE, MIN_PART_SIZE, [MIN_PART_SIZE]),  # exactly 5 MiB: still one part
    (MIN_PART_SIZE + 1, MIN_PART_SIZE, [MIN_PART_SIZE, 1]),
    (DEFAULT_PART_SIZE, DEFAULT_PART_SIZE, [DEFAULT_PART_SIZE]),
    (DEFAULT_PART_SIZE + 1, DEFAULT_PART_SIZE, [DEFAULT_PART_SIZE, 1]),  # one byte over a part
    (12 * MIB, 5 * MIB, [5 * MIB, 5 * MIB, 2 * MIB]),
])
def test_plan_boundaries(size, part, expected):
    plan = plan_parts(size, part)
    assert [p.size for p in plan] == expected
    assert_valid_plan(plan, size)


def test_plan_exactly_10000_parts_then_one_byte_more_grows_the_part_size():
    size = MAX_PARTS * MIN_PART_SIZE
    plan = plan_parts(size, MIN_PART_SIZE)
    assert len(plan) == MAX_PARTS and {p.size for p in plan} == {MIN_PART_SIZE}
    grown = plan_parts(size + 1, MIN_PART_SIZE)
    assert_valid_plan(grown, size + 1)
    assert grown[0].size == 6 * MIB and len(grown) < MAX_PARTS


def test_plan_huge_file_needs_bigger_parts_in_whole_mib():
    plan = plan_parts(TIB, DEFAULT_PART_SIZE)
    assert_valid_plan(plan, TIB)
    assert plan[0].size == 105 * MIB and len(plan) == 9987
    biggest = plan_parts(MAX_FILE_SIZE, DEFAULT_PART_SIZE)
    assert len(biggest) == MAX_PARTS and biggest[0].size == 5 * GIB
    with pytest.raises(errors.ConfigError, match="at most 10,000 parts"):
        plan_parts(MAX_FILE_SIZE + 1)


@pytest.mark.parametrize("part", [MIN_PART_SIZE - 1, 1 * MIB, 5 * GIB + 1])
def test_plan_refuses_part_sizes_outside_storage_limits(part):
    with pytest.raises(errors.ConfigError, match="part size"):
        plan_parts(100 * MIB, part)


def test_plan_for_count_rebuilds_a_layout_or_refuses():
    assert [p.size for p in plan_for_count(12 * MIB, 3, 5 * MIB)] == [5 * MIB, 5 * MIB, 2 * MIB]
    assert [p.size for p in plan_for_count(12 * MIB, 2)] == [6 * MIB, 6 * MIB]
    assert plan_for_count(100, 1) == [Part(1, 0, 100)]
    with pytest.raises(errors.ConfigError, match="same file"):
        plan_for_count(12 * MIB, 3, 8 * MIB)


# --- kind and content type ---------------------------------------------------------------------


@pytest.mark.parametrize("name, kind, ctype", [
    ("a.png", "image", "image/png"), ("b.JPG", "image", "image/jpeg"),
    ("c.wav", "audio", None), ("d.mp4", "video", "video/mp4"), ("e.glb", "3d", "model/gltf-binary"),
    ("f.gltf", "3d", None), ("g.fbx", "3d", None), ("h.obj", "3d", None),
    ("i.safetensors", "model", "application/octet-stream"), ("j.ckpt", "model", None),
    ("k.txt", "text", "text/plain"),
])
def test_kind_and_content_type_are_guessed(name, kind, ctype):
    assert guess_kind(name) == kind
    if ctype:
        assert guess_content_type(name) == ctype
    assert "/" in guess_content_type(name)


def test_unknown_kind_says_to_pass_kind():
    with pytest.raises(UnknownKindError, match="--kind"):
        guess_kind("archive.zip")
    assert guess_kind("archive.zip", "image/png") == "image"


# --- the journey -------------------------------------------------------------------------------


async def test_small_file_journey_to_imported(uploader, service, fake, tmp_path):
    path = make_file(tmp_path, "hero.png", 1000)
    result = await uploader.upload_file(path, note="ticket 7", wait=True)
    assert result.ok and result.status == "imported" and result.upload.entity_id
    assert (result.kind, result.content_type, result.parts_total) == ("image", "image/png", 1)
    assert fake.uploads[result.upload_id].received == {1: 1000}
    row = service.store.get(result.upload_id)
    assert row.note == "ticket 7" and row.status == "imported"
    assert service.store.parts_sent(result.upload_id) == {1: 1000}
    actions = [e.action for e in reversed(service.store.events(upload_id=result.upload_id))]
    assert actions[:3] == ["upload-create", "upload-parts", "complete"]
    (put,) = part_puts(fake, result.upload_id)
    assert "authorization" not in put.headers  # presigned: no Scenario credentials
    assert put.headers["content-length"] == "1000"
    assert "transfer-encoding" not in put.headers
    assert fake.complete_count(result.upload_id) == 1


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

    monkeypatch.setattr(uploader_module, "open",
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
    service = build_service(served_settings, sleep=_no_sleep)
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


async def test_loopback_journey_without_injected_transport(server, served_settings, tmp_path):
    path = make_file(tmp_path, "model.safetensors", 6 * MIB)
    service = build_service(served_settings, sleep=_no_sleep)
    uploader = Uploader(service.client, service.store, service=service, poll_min=0, poll_max=0)
    try:
        async with service.client:
            result = await uploader.upload_file(path, part_size=5 * MIB, wait=True)
    finally:
        service.store.close()
    assert result.status == "imported" and result.kind == "model"
    assert result.upload.entity_id.startswith("model_")
    puts = part_puts(server.fake, result.upload_id)
    assert len(puts) == 2 and all("authorization" not in r.headers for r in puts)


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
    service = build_service(settings, transport=fake.transport(), sleep=_no_sleep)
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
    service = build_service(settings, transport=fake.transport(), sleep=_no_sleep)
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


# --- interruption and resume -------------------------------------------------------------------


async def test_cancel_after_first_part_then_resume_sends_only_missing_parts(
        service, fake, tmp_path):
    path = make_file(tmp_path, "clip.mp4", 12 * MIB)
    uploader = make_uploader(service, fake, concurrency=1)
    task: asyncio.Task | None = None

    def cancel_after_first(progress):
        if progress.parts_done == 1:
            task.cancel()

    task = asyncio.create_task(uploader.upload_file(path, part_size=5 * MIB,
                                                    on_progress=cancel_after_first))
    with pytest.raises(asyncio.CancelledError):
        await task
    (upload_id,) = service.store.ids()
    assert service.store.parts_sent(upload_id) == {1: 5 * MIB}
    hint = uploader.interruption.message
    assert f"scenario-tui upload --resume {upload_id} {path}" in hint and "1 of 3" in hint
    assert service.store.events(upload_id=upload_id)[0].action == "upload-interrupted"
    assert fake.status_of(upload_id) == "pending" and fake.complete_count() == 0
    before = len(part_puts(fake, upload_id))

    again = make_uploader(service, fake)
    result = await again.resume(upload_id, path, wait=True)
    assert result.status == "imported" and (result.parts_sent, result.parts_skipped) == (2, 1)
    resumed = part_puts(fake, upload_id)[before:]
    assert sorted(int(r.path.rsplit("/", 1)[1]) for r in resumed) == [2, 3]
    assert fake.uploads[upload_id].received == {1: 5 * MIB, 2: 5 * MIB, 3: 2 * MIB}
    assert fake.complete_count(upload_id) == 1


async def test_resume_refuses_another_file_and_skips_finished_uploads(uploader, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    result = await uploader.upload_file(path, no_complete=True)
    with pytest.raises(LocalFileError, match="not the same file"):
        await uploader.resume(result.upload_id, make_file(tmp_path, "b.png", 999))
    await uploader.resume(result.upload_id, path)  # nothing left to send: completes
    puts = len(part_puts(fake, result.upload_id))
    done = await uploader.resume(result.upload_id, path, wait=True)
    assert done.status == "imported" and done.parts_sent == 0
    assert len(part_puts(fake, result.upload_id)) == puts == 1
    assert fake.complete_count(result.upload_id) == 1


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


# --- complete, no-complete, dry run ------------------------------------------------------------


async def test_no_complete_leaves_it_pending_and_stored(uploader, service, fake, tmp_path):
    path = make_file(tmp_path, "a.wav", 6 * MIB)
    result = await uploader.upload_file(path, part_size=5 * MIB, no_complete=True)
    assert result.ok and result.status == "pending" and result.complete is None
    assert fake.status_of(result.upload_id) == "pending" and fake.complete_count() == 0
    assert service.store.contains(result.upload_id)
    assert sum(fake.uploads[result.upload_id].received.values()) == 6 * MIB


async def test_complete_is_sent_once_even_when_its_answer_is_lost(uploader, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    fake.faults.add(kind="drop", path="/action", apply=True)
    result = await uploader.upload_file(path, wait=True)
    assert result.complete.uncertain and result.status == "imported" and result.ok
    assert fake.complete_count(result.upload_id) == 1


async def test_dry_run_shows_the_estimate_and_stores_nothing(uploader, service, fake, tmp_path):
    path = make_file(tmp_path, "a.png", 1000)
    known = set(fake.uploads)
    result = await uploader.upload_file(path, dry_run=True)
    assert result.status == "dry-run" and result.estimate == {"creativeUnitsCost": 1}
    assert result.upload_id is None
    assert set(fake.uploads) == known and not [r for r in fake.requests if r.method == "PUT"]
    assert service.store.count() == 0 and service.store.events() == []


# --- refusals before anything is sent ----------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing.png", "No such file"),
    (lambda tmp: tmp, "is a directory"),
    (lambda tmp: make_file(tmp, "empty.png", 0), "is empty"),
])
async def test_bad_local_files_are_refused_clearly(uploader, fake, tmp_path, make, message):
    with pytest.raises(LocalFileError, match=message):
        await uploader.upload_file(make(tmp_path))
    assert fake.requests == []


async def test_unreadable_file_is_refused(uploader, fake, tmp_path, monkeypatch):
    path = make_file(tmp_path, "secret.png", 10)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(uploader_module, "open", denied, raising=False)
    with pytest.raises(LocalFileError, match="Permission denied"):
        await uploader.upload_file(path)
    assert fake.requests == []


async def test_unknown_kind_and_read_only_are_refused_before_any_request(
        service, fake, tmp_path):
    with pytest.raises(UnknownKindError):
        await make_uploader(service, fake).upload_file(make_file(tmp_path, "a.zip", 10))
    read_only = Uploader(service.client, service.store, read_only=True,
                         part_transport=fake.transport())
    with pytest.raises(errors.ReadOnlyError):
        await read_only.upload_file(make_file(tmp_path, "a.png", 10))
    with pytest.raises(errors.ReadOnlyError):
        await read_only.import_huggingface("owner/model")
    assert fake.requests == []


# --- imports by reference ----------------------------------------------------------------------


async def test_import_url_is_stored_and_followed(uploader, service, fake):
    result = await uploader.import_url("https://cdn.example.com/a/hero.png?X-Sig=abcdef123",
                                       "image", note="from ticket", wait=True)
    assert result.status == "imported" and result.upload.entity_id
    row = service.store.get(result.upload_id)
    assert row.note == "from ticket" and row.status == "imported"
    assert fake.uploads[result.upload_id].source == "url"
    assert "abcdef123" not in result.file
    assert_no_presigned_urls(service)
    for event in service.store.events():
        assert "X-Sig" not in (event.message or "")


async def test_import_huggingface_and_civitai(uploader, service, fake):
    hf = await uploader.import_huggingface("black-forest-labs/FLUX.1-dev", wait=True)
    assert hf.status == "imported" and hf.upload.source == "huggingface"
    assert hf.upload.entity_id.startswith("model_")
    civ = await uploader.import_civitai("https://civitai.com/models/370194/some-lora")
    assert civ.upload.source == "civitai" and civ.status == "pending"
    assert set(service.store.ids()) == {hf.upload_id, civ.upload_id}
    assert {e.action for e in service.store.events()} == {"import-create"}


async def test_failed_import_is_reported_not_raised(uploader):
    result = await uploader.import_url("https://nowhere.invalid/x.png", "image", wait=True)
    assert result.status == "failed" and not result.ok and "not found" in result.problem


@pytest.mark.parametrize("call", [
    lambda up: up.import_url("ftp://example.com/a.png", "image"),
    lambda up: up.import_url("https://example.com/a.png", ""),
    lambda up: up.import_huggingface("not a model"),
    lambda up: up.import_civitai("civitai.com/models/1"),
])
async def test_bad_import_references_are_refused_locally(uploader, fake, call):
    with pytest.raises(errors.ConfigError):
        await call(uploader)
    assert fake.requests == []


def test_resume_plan_from_the_last_part_alone():
    """When only the (short) last part was recorded, the others' size follows from it."""
    from scenario_tui.core.units import MIB
    from scenario_tui.service.transfers import _resume_plan

    plan = _resume_plan(12 * MIB, 3, {3: 2 * MIB}, None)
    assert [p.size for p in plan] == [5 * MIB, 5 * MIB, 2 * MIB]
    # nothing recorded at all: the smallest whole-MiB size that makes 3 parts
    plan = _resume_plan(12 * MIB, 3, {}, None)
    assert [p.size for p in plan] == [5 * MIB, 5 * MIB, 2 * MIB]
