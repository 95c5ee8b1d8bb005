"""Helpers for the upload and import tests: a file of any size, an uploader over the fake API
(in-process, its part URLs too) that never sleeps, and what the fake saw."""

from __future__ import annotations

import pytest

from scenario_tui.service.uploader import Uploader


async def no_sleep(seconds: float) -> None:
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
    kwargs.setdefault("sleep", no_sleep)
    kwargs.setdefault("poll_min", 0.0)
    kwargs.setdefault("poll_max", 0.0)
    return Uploader(service.client, service.store, service=service,
                    part_transport=fake.transport(), **kwargs)


async def upload_cancelled_after_first_part(service, fake, tmp_path):
    """A 12 MiB file uploaded in 5 MiB parts, one at a time, cancelled once part 1 is sent:
    (the uploader, the upload's ID, the file's path)."""
    import asyncio

    from scenario_tui.core.units import MIB

    path = make_file(tmp_path, "clip.mp4", 12 * MIB)
    uploader = make_uploader(service, fake, concurrency=1)
    task: asyncio.Task | None = None

    def cancel_after_first(progress) -> None:
        if progress.parts_done == 1 and task is not None:
            task.cancel()

    task = asyncio.ensure_future(uploader.upload_file(path, part_size=5 * MIB,
                                                      on_progress=cancel_after_first))
    with pytest.raises(asyncio.CancelledError):
        await task
    (upload_id,) = service.store.ids()
    return uploader, upload_id, path


@pytest.fixture
def uploader(service, fake) -> Uploader:
    return make_uploader(service, fake)


def part_puts(fake, upload_id: str):
    return [r for r in fake.requests if r.method == "PUT" and f"/_parts/{upload_id}/" in r.path]


def assert_no_presigned_urls(service) -> None:
    for event in service.store.events(limit=1000):
        assert "signature" not in (event.message or "")
        assert "expires=" not in (event.message or "")

