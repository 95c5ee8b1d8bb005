"""The local file of an upload: whether it can be sent, what kind of upload it is, and its
content type. Refused before anything reaches the API.

Headless (no Textual, no network).
"""

from __future__ import annotations

import mimetypes
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from scenario_tui.core import errors
from scenario_tui.core.vocabulary import UPLOAD_KINDS

_KIND_BY_EXT = {
    ".glb": "3d", ".gltf": "3d", ".fbx": "3d", ".obj": "3d", ".usdz": "3d", ".stl": "3d",
    ".safetensors": "model", ".ckpt": "model", ".pt": "model", ".pth": "model",
}
_TYPE_BY_EXT = {
    ".glb": "model/gltf-binary", ".gltf": "model/gltf+json", ".obj": "model/obj",
    ".fbx": "application/octet-stream", ".usdz": "model/vnd.usdz+zip", ".stl": "model/stl",
    ".safetensors": "application/octet-stream", ".ckpt": "application/octet-stream",
    ".pt": "application/octet-stream", ".pth": "application/octet-stream",
    ".webp": "image/webp", ".avif": "image/avif", ".heic": "image/heic",
    ".flac": "audio/flac", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".webm": "video/webm",
    ".mkv": "video/x-matroska", ".md": "text/markdown",
}
_MIME = mimetypes.MimeTypes()  # Python's built-in table only: same answer on every machine


class LocalFileError(errors.ScenarioTuiError):
    """The local file cannot be uploaded (missing, not a file, unreadable, empty, changed)."""

    title = "Cannot upload this file"


class UnknownKindError(errors.ScenarioTuiError):
    title = "Unknown kind"


@dataclass(frozen=True)
class LocalFile:
    path: Path
    name: str
    size: int
    mtime_ns: int

    def check_unchanged(self) -> None:
        try:
            now = self.path.stat()
        except OSError as exc:
            raise LocalFileError(f"{self.path} can no longer be read: {_os_reason(exc)}.") from None
        if now.st_size != self.size or now.st_mtime_ns != self.mtime_ns:
            raise LocalFileError(
                f"{self.path} changed while it was being uploaded (size or modification time); "
                "the parts no longer make one file. Start a new upload once it is stable."
            )


def inspect_file(path: str | os.PathLike[str]) -> LocalFile:
    """The file at ``path`` if it can be uploaded, else ``LocalFileError`` saying why."""
    p = Path(path).expanduser()
    try:
        info = p.stat()
    except FileNotFoundError:
        raise LocalFileError(f"No such file: {p}.") from None
    except OSError as exc:
        raise LocalFileError(f"Cannot read {p}: {_os_reason(exc)}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise LocalFileError(f"{p} is a directory; give the files inside it instead.")
    if not stat.S_ISREG(info.st_mode):
        raise LocalFileError(f"{p} is not a regular file (a pipe, socket or device cannot be "
                             "uploaded in parts).")
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise LocalFileError(f"Cannot read {p}: {_os_reason(exc)}.") from None
    if info.st_size == 0:
        raise LocalFileError(f"{p} is empty; Scenario only accepts files of at least 1 byte.")
    return LocalFile(p, p.name, info.st_size, info.st_mtime_ns)


def guess_content_type(file_name: str) -> str:
    """The MIME type for ``file_name`` (Python's table plus 3D/model formats), else binary."""
    ext = os.path.splitext(file_name)[1].lower()
    return _TYPE_BY_EXT.get(ext) or _MIME.guess_type(file_name)[0] or "application/octet-stream"


def guess_kind(file_name: str, content_type: str | None = None) -> str:
    """The upload kind: 3d/model from the extension, else image/audio/video/text from the MIME
    type; ``UnknownKindError`` when neither says."""
    ext = os.path.splitext(file_name)[1].lower()
    if ext in _KIND_BY_EXT:
        return _KIND_BY_EXT[ext]
    ctype = (content_type or guess_content_type(file_name)).split(";")[0].strip().lower()
    major = ctype.split("/")[0]
    if major in ("image", "audio", "video", "text"):
        return major
    if ctype.startswith("model/"):
        return "3d"
    raise UnknownKindError(
        f"Cannot tell what kind of upload {file_name} is (content type {ctype}); pass --kind "
        f"({', '.join(UPLOAD_KINDS)})."
    )


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
