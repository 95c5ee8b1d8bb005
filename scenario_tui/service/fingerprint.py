"""The local file an upload is made from, as the parts ledger remembers it: its size, its
modification time and a hash of its first and last bytes (recorded before the first part is
sent), plus the SHA-256 of each part as it was sent. A resume with another file (even one of the
same size) is refused before any part is sent, so that an upload never mixes two files.

Hashing reads the disk: call these in a thread (``asyncio.to_thread``). Headless (no Textual).
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO, Protocol

from scenario_tui.core.part_plan import Part
from scenario_tui.service.local_files import LocalFile
from scenario_tui.store.parts import SourceFile

#: bytes hashed at each end of the file for its sample
SAMPLE_BYTES = 64 * 1024
_READ = 1024 * 1024


class Digest(Protocol):
    """A hash being computed (``hashlib.sha256()``)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def read_hashed(handle: BinaryIO, size: int, digest: Digest) -> bytes:
    """Read up to ``size`` bytes from ``handle`` and add them to ``digest`` (in one call, so a
    thread does both while the event loop runs)."""
    chunk = handle.read(size)
    digest.update(chunk)
    return chunk


def sample_sha256(handle: BinaryIO, size: int) -> str:
    """SHA-256 of the size and the first and last ``SAMPLE_BYTES`` of a file of ``size``."""
    digest = hashlib.sha256(str(size).encode() + b"\0")
    handle.seek(0)
    digest.update(handle.read(SAMPLE_BYTES))
    handle.seek(max(size - SAMPLE_BYTES, 0))
    digest.update(handle.read(SAMPLE_BYTES))
    return digest.hexdigest()


def source_of(local: LocalFile) -> SourceFile:
    """What to record of ``local`` before its first part is sent."""
    with open(local.path, "rb") as handle:
        return SourceFile(local.size, local.mtime_ns, sample_sha256(handle, local.size))


def different_file(local: LocalFile, upload_id: str, recorded: SourceFile | None,
                   digests: dict[int, str], plan: list[Part]) -> str | None:
    """Why ``local`` is not the file ``upload_id`` was made from, or None when nothing recorded
    says so. The sample is always compared; when the modification time differs from the one
    recorded (a copy, or a file touched since), every sent part is hashed and compared too."""
    with open(local.path, "rb") as handle:
        why = _why_different(handle, local, recorded, digests, plan)
    if why is None:
        return None
    return (f"{local.path} is not the file upload {upload_id} was made from ({why}): the parts "
            "already sent would be mixed with another file's. Resume it with the original "
            "file, or upload this one as a new upload.")


def _why_different(handle: BinaryIO, local: LocalFile, recorded: SourceFile | None,
                   digests: dict[int, str], plan: list[Part]) -> str | None:
    if recorded is not None:
        if recorded.size != local.size:
            return f"it is {local.size} bytes, the original {recorded.size}"
        if recorded.sample_sha256 and sample_sha256(handle, local.size) != recorded.sample_sha256:
            return "its first or last bytes differ"
        if recorded.mtime_ns == local.mtime_ns:
            return None  # the same file, untouched since: its sent parts are those bytes
    for part in plan:
        expected = digests.get(part.number)
        if expected is None:
            continue
        digest = hashlib.sha256()
        handle.seek(part.offset)
        left = part.size
        while left > 0:
            chunk = read_hashed(handle, min(_READ, left), digest)
            if not chunk:
                break
            left -= len(chunk)
        if digest.hexdigest() != expected:
            return f"part {part.number} differs from the part sent"
    return None
