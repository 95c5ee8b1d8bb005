"""The local file of an upload: kind and content type guessed from its name, and files that
cannot be uploaded refused before any request."""

from __future__ import annotations

import pytest

from scenario_tui.service import local_files
from scenario_tui.service.local_files import (
    LocalFileError,
    UnknownKindError,
    guess_content_type,
    guess_kind,
)
from tests.unit.service.conftest import make_file

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

    monkeypatch.setattr(local_files, "open", denied, raising=False)
    with pytest.raises(LocalFileError, match="Permission denied"):
        await uploader.upload_file(path)
    assert fake.requests == []

