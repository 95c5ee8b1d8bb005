"""Imports by reference (URL, Hugging Face, Civitai): stored, followed, refused locally when the
reference is not one."""

from __future__ import annotations

import pytest

from scenario_tui.core import errors
from tests.unit.service.conftest import assert_no_presigned_urls


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

