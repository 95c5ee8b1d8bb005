"""The fake API's state machine: uploads, their jobs and the assets they make, moved by the clock.

Decisions where the real API's behaviour is not documented:
- Lifecycle, from the complete time t: ``validating`` until t+step, ``validated`` until t+3*step,
  then ``imported`` (or, for a bad file, ``failed`` at t+step). Imports (url, civitai,
  huggingface) need no complete: their lifecycle starts when they are created.
- ``complete`` on an upload that is not ``pending`` (a second complete, or after imported/failed)
  is refused with 409 naming the status.
- ``complete`` with parts missing, or received sizes not adding up to ``fileSize``, is accepted
  (``validating``) and then ends ``failed`` with an ``errorMessage`` naming the problem.
- Seeded uploads that are not ``pending`` are frozen in their status (stable demos/screenshots).
"""

from __future__ import annotations

import mimetypes
import random
import string
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from scenario_tui.core.units import MIB
from scenario_tui.core.vocabulary import FINAL_UPLOAD_STATUSES
from scenario_tui.fake.exchange import Reject

DEFAULT_OWNER_ID = "proj_fakeDemoProject01"
_ID_CHARS = string.ascii_letters + string.digits
_ASSET_KIND = {"3d": "3d", "audio": "audio", "video": "video", "text": "text"}  # else image
_DEFAULT_MIME = {"3d": "model/gltf-binary", "audio": "audio/wav", "video": "video/mp4",
                 "text": "text/plain", "model": "application/octet-stream"}  # else image/png


@dataclass
class JobState:
    job_id: str
    owner_id: str
    upload_id: str
    created_at: float
    updated_at: float
    status: str = "pending"
    progress: float = 0.0
    history: list[tuple[float, str]] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    asset_ids: list[str] | None = None
    output_model_id: str | None = None

    def move(self, status: str, at: float, progress: float) -> None:
        if status != self.status or not self.history:
            self.history.append((at, status))
        self.status, self.progress, self.updated_at = status, progress, at


@dataclass
class UploadState:
    id: str
    kind: str
    source: str
    file_name: str
    owner_id: str
    created_at: float
    updated_at: float
    job: JobState
    status: str = "pending"
    content_type: str | None = None
    file_size: int | float | None = None
    parts_count: int | None = None
    provider: str | None = None
    url: str | None = None
    asset_options: dict[str, Any] | None = None
    entity_id: str | None = None
    error_message: str | None = None
    received: dict[int, int] = field(default_factory=dict)
    started_at: float | None = None
    failure: tuple[str, str] | None = None  # (errorMessage, hint) planned for this upload
    frozen: bool = False


@dataclass
class AssetState:
    id: str
    kind: str
    owner_id: str
    name: str
    mime_type: str
    size: float
    upload_kind: str
    created_at: float
    collection_ids: list[str]
    hidden: bool | None = None


class FakeState:
    """Every upload, job and asset the fake knows, and the lifecycle that moves them on.

    Not thread-safe by itself: the fake holds its lock around every use. IDs come from ``rng``,
    so a seeded generator makes them repeatable.
    """

    def __init__(self, *, clock: Callable[[], float], step_seconds: float,
                 rng: random.Random) -> None:
        self.clock = clock
        self.step_seconds = step_seconds
        self._rng = rng
        self.clear()

    def clear(self) -> None:
        self.uploads: dict[str, UploadState] = {}
        self.jobs: dict[str, JobState] = {}
        self.assets: dict[str, AssetState] = {}

    def new_id(self, prefix: str) -> str:
        return prefix + "_" + "".join(self._rng.choice(_ID_CHARS) for _ in range(22))

    def trace_id(self) -> str:
        return "trace-" + "%032x" % self._rng.getrandbits(128)

    def add(self, upload: UploadState) -> None:
        self.uploads[upload.id] = upload
        self.jobs[upload.job.job_id] = upload.job

    def create(self, spec: dict[str, Any], owner: str) -> UploadState:
        """A new upload from the fields of a create body (already validated)."""
        now = self.clock()
        upload_id = self.new_id("up")
        job = JobState(self.new_id("job"), owner, upload_id, now, now)
        job.move("pending", now, 0.0)
        upload = UploadState(id=upload_id, owner_id=owner, created_at=now, updated_at=now,
                             job=job, **spec)
        if upload.source != "multipart":
            upload.started_at = now  # imports are fetched by the server: no complete needed
            host = urlsplit(upload.url or "").hostname or ""
            if host.endswith(".invalid"):
                upload.failure = (f"Could not download {upload.url}: host {host} not found",
                                  "Check that the URL is public and reachable.")
        elif "corrupt" in upload.file_name.lower():
            upload.failure = ("The file could not be decoded: it looks corrupt.",
                              "Re-export the file and upload it again.")
        self.add(upload)
        return upload

    def complete(self, upload: UploadState, now: float) -> None:
        """Start the upload's lifecycle, or ``Reject`` (409) when it is not ``pending``."""
        self.advance(upload, now)
        if upload.status != "pending":
            raise Reject(409, f"Upload {upload.id} cannot be completed: its status is "
                              f"{upload.status}")
        upload.started_at = now
        upload.status, upload.updated_at = "validating", now
        if upload.failure is None and upload.source == "multipart":
            upload.failure = _check_parts(upload)
        upload.job.move("in-progress", now, 0.05)

    def advance(self, upload: UploadState, now: float) -> None:
        """Bring a started upload (and its job) to the state the clock says it is in."""
        if upload.frozen or upload.started_at is None or upload.status in FINAL_UPLOAD_STATUSES:
            return
        t, step = upload.started_at, self.step_seconds
        elapsed = now - t
        job = upload.job
        if job.status == "pending":
            job.move("in-progress", t, 0.05)
        if upload.failure is not None and elapsed >= step:
            upload.status, upload.updated_at = "failed", t + step
            upload.error_message = upload.failure[0]
            job.error, job.hint = upload.failure
            job.move("failure", t + step, job.progress)
            return
        if upload.failure is None and elapsed >= 3 * step:
            self._import(upload, t + 3 * step)
            return
        target = "validated" if elapsed >= step else "validating"
        if upload.status != target:
            upload.status, upload.updated_at = target, t + (step if target == "validated" else 0)
        progress = round(0.05 + 0.9 * min(1.0, elapsed / (3 * step)), 3) if step > 0 else 0.05
        if progress != job.progress:
            job.move("in-progress", now, progress)

    def _import(self, upload: UploadState, at: float) -> None:
        if upload.kind == "model":
            upload.entity_id = self.new_id("model")
            upload.job.asset_ids, upload.job.output_model_id = [], upload.entity_id
        else:
            asset = self.make_asset(upload, self.new_id("asset"), at)
            upload.entity_id = asset.id
            upload.job.asset_ids = [asset.id]
        upload.status, upload.updated_at = "imported", at
        upload.job.move("success", at, 1.0)

    def make_asset(self, upload: UploadState, asset_id: str, at: float) -> AssetState:
        options = upload.asset_options or {}
        mime = upload.content_type or mimetypes.guess_type(upload.file_name)[0]
        asset = AssetState(
            id=asset_id, kind=_ASSET_KIND.get(upload.kind, "image"), owner_id=upload.owner_id,
            name=upload.file_name, mime_type=mime or _DEFAULT_MIME.get(upload.kind, "image/png"),
            size=upload.file_size or MIB, upload_kind=upload.kind, created_at=at,
            collection_ids=list(options.get("collectionIds") or []), hidden=options.get("hide"),
        )
        self.assets[asset.id] = asset
        return asset


def _check_parts(upload: UploadState) -> tuple[str, str] | None:
    """Why the received parts do not make the declared file, or None when they do."""
    total = upload.parts_count or 0
    missing = [n for n in range(1, total + 1) if n not in upload.received]
    hint = "Upload every part to its URL before completing, or start a new upload."
    if len(missing) == 1:
        return f"Part {missing[0]} of {total} was never received", hint
    if missing:
        listed = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        return f"Parts {listed} of {total} were never received", hint
    received = sum(upload.received.values())
    if upload.file_size is not None and received != upload.file_size:
        return (f"Received {received} bytes in {total} parts, but fileSize is "
                f"{int(upload.file_size)} bytes"), hint
    return None
