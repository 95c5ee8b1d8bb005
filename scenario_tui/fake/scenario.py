"""A fake of the Scenario uploads API: a thread-safe, clock-driven state machine.

Routes (under ``/v1``, JSON, camelCase, one wrapped object per success body):
``POST /uploads`` (multipart, or ``url`` / ``civitaiModelUrl`` / ``huggingFaceModelName``
imports; ``?dryRun=true`` answers 269 with ``{"creativeUnitsCost": N}``),
``GET /uploads/{id}``, ``POST /uploads/{id}/action`` ``{"action": "complete"}``,
``GET /jobs/{id}``, ``GET /assets/{id}``; presigned-looking part URLs
``PUT /_parts/{uploadId}/{number}?expires=..&signature=..`` (no Scenario auth).

Decisions where the real API is unknown (see /work/shared/scenario-api.md):
- ``complete`` on an upload that is not ``pending`` (a second complete, or after imported/failed)
  answers 409 ``{"message": "Upload <id> cannot be completed: its status is <status>"}``.
- ``complete`` with parts missing, or received sizes not adding up to ``fileSize``, is accepted
  (``validating``) and then ends ``failed`` with an ``errorMessage`` naming the problem.
- Lifecycle, from the complete time t: ``validating`` until t+step, ``validated`` until t+3*step,
  then ``imported`` (or, for a bad file, ``failed`` at t+step). Imports (url, civitai,
  huggingface) need no complete: their lifecycle starts when they are created.
- Seeded uploads that are not ``pending`` are frozen in their status (stable demos/screenshots).
- Validation errors are 400 ``{"message", "traceId"}``; unknown IDs 404; bad auth 401.
- A fault with ``apply=False`` (default) stops the request before the API sees it; with
  ``apply=True`` the state change happens and only the answer is lost. Both are logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import mimetypes
import random
import re
import string
import threading
import time
from base64 import b64decode
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from scenario_tui.core.part_plan import MAX_PARTS
from scenario_tui.core.timestamps import to_iso
from scenario_tui.core.vocabulary import UPLOAD_KINDS
from scenario_tui.fake.server import (
    FAULT_KINDS,
    FakeResponse,
    FakeServerHandle,
    FakeTransport,
    Fault,
    FaultQueue,
    RecordedRequest,
    run_forever,
    serve,
)

__all__ = [
    "FAULT_KINDS", "BAD_FILE_ID", "SEED_EPOCH", "SEEDED_IDS", "SEEDED_PENDING_IDS",
    "SEEDED_STATUSES", "FakeResponse", "FakeScenario", "FakeServerHandle", "FakeTransport", "Fault",
    "FaultQueue", "RecordedRequest", "run_forever", "seeded_pending_ids", "serve",
]

DEFAULT_BASE_URL = "http://fake-scenario.invalid/v1"
DEFAULT_OWNER_ID = "proj_fakeDemoProject01"
AUTHOR_ID = "5cde0f7a1b2c3d4e5f60718293a4b5c6"
SEED_EPOCH = 1_748_854_800.0  # 2025-06-02T09:00:00Z
_ID_CHARS = string.ascii_letters + string.digits
_ID_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,128}")
_ASSET_KIND = {"3d": "3d", "audio": "audio", "video": "video", "text": "text"}  # else image
_ASSET_TYPE = {"3d": "uploaded-3d", "audio": "uploaded-audio", "video": "uploaded-video",
               "avatar": "uploaded-avatar", "text": "uploaded-text"}  # else "uploaded"
_DEFAULT_MIME = {"3d": "model/gltf-binary", "audio": "audio/wav", "video": "video/mp4",
                 "text": "text/plain", "model": "application/octet-stream"}  # else image/png



class _Reject(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class _Job:
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
class _Upload:
    id: str
    kind: str
    source: str
    file_name: str
    owner_id: str
    created_at: float
    updated_at: float
    job: _Job
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
class _Asset:
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


# --- seeded samples ----------------------------------------------------------------------------

_MB = 1024 * 1024
_SEEDS: list[dict[str, Any]] = [
    dict(id="up_demo_pending_1", status="pending", kind="image", file_name="hero-banner-final.png",
         content_type="image/png", file_size=2_483_117),
    dict(id="up_demo_pending_2", status="pending", kind="model",
         file_name="watercolor-style-lora.safetensors", content_type="application/octet-stream",
         file_size=151_202_816),
    dict(id="up_demo_pending_3", status="pending", kind="video", file_name="trailer-cut-v3.mp4",
         content_type="video/mp4", file_size=48_912_384),
    dict(id="up_demo_badfile_1", status="pending", kind="image", file_name="scan-0042.tiff",
         content_type="image/tiff", file_size=31_457_280,
         failure=("The file could not be decoded as an image: unexpected end of TIFF data at "
                  "byte 29360128.", "Re-export the image from its source and upload it again.")),
    dict(id="up_demo_validating_1", status="validating", kind="audio",
         file_name="forest-ambience-loop.wav", content_type="audio/wav", file_size=12_349_440),
    dict(id="up_demo_validated_1", status="validated", kind="3d", source="url",
         url="https://assets.example.com/models/robot-mech.glb", file_name="robot-mech.glb",
         content_type="model/gltf-binary", file_size=8_716_288),
    dict(id="up_demo_complete_1", status="complete", kind="image", source="url",
         url="https://images.example.com/moodboard/tileset-grass.jpg",
         file_name="tileset-grass.jpg", content_type="image/jpeg", file_size=734_002),
    dict(id="up_demo_imported_1", status="imported", kind="image",
         file_name="character-sheet-knight.jpg", content_type="image/jpeg", file_size=4_194_304,
         entity_id="asset_demo_knight_sheet"),
    dict(id="up_demo_imported_2", status="imported", kind="model", source="huggingface",
         file_name="black-forest-labs/FLUX.1-dev", entity_id="model_demo_flux_dev"),
    dict(id="up_demo_imported_3", status="imported", kind="audio", source="url",
         url="https://cdn.example.org/sfx/door-creak-02.mp3", file_name="door-creak-02.mp3",
         content_type="audio/mpeg", file_size=183_296, entity_id="asset_demo_door_creak"),
    dict(id="up_demo_failed_1", status="failed", kind="video", file_name="cutscene-intro.mov",
         content_type="video/quicktime", file_size=4 * 16 * _MB - 123_457,
         failure=("Part 3 of 4 was never received", "Upload the file again.")),
    dict(id="up_demo_failed_2", status="failed", kind="model", source="civitai",
         url="https://civitai.com/models/370194/translucent-subsurface-scattering-test"
             "?modelVersionId=413566",
         file_name="translucent-subsurface-scattering-test",
         failure=("Civitai answered 404 for model version 413566: the version was removed or is "
                  "private.", "Check the model URL on civitai.com.")),
]
SEEDED_IDS: tuple[str, ...] = tuple(s["id"] for s in _SEEDS)
SEEDED_STATUSES: dict[str, str] = {s["id"]: s["status"] for s in _SEEDS}
SEEDED_PENDING_IDS: tuple[str, ...] = tuple(
    i for i in SEEDED_IDS if SEEDED_STATUSES[i] == "pending"
)
BAD_FILE_ID = "up_demo_badfile_1"


def seeded_pending_ids(include_bad_file: bool = True) -> list[str]:
    """Seeded uploads whose status is ``pending`` (completing the bad file ends in ``failed``)."""
    return [i for i in SEEDED_PENDING_IDS if include_bad_file or i != BAD_FILE_ID]


# --- the fake ----------------------------------------------------------------------------------


class FakeScenario:
    """The fake API's state and behaviour. ``handle`` answers one request; thread-safe."""

    def __init__(
        self,
        *,
        step_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
        api_key: str | None = None,
        api_secret: str | None = None,
        seed: bool = True,
        base_url: str = DEFAULT_BASE_URL,
        part_url_ttl: float = 3600.0,
        rng_seed: int | None = None,
        timeout_fault_seconds: float = 30.0,
        seed_epoch: float = SEED_EPOCH,
    ) -> None:
        self.step_seconds = step_seconds
        self.clock = clock
        self.api_key, self.api_secret = api_key, api_secret
        self.seed = seed
        self.seed_epoch = seed_epoch  # when the seeded uploads were created (the demo: an hour ago)
        self.base_url = base_url
        self.part_url_ttl = part_url_ttl
        self.timeout_fault_seconds = timeout_fault_seconds
        self.faults = FaultQueue()
        self._lock = threading.RLock()
        self._rng = random.Random(rng_seed)
        self._key = bytes(self._rng.getrandbits(8) for _ in range(32))
        self.reset()

    # -- state ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything (uploads, jobs, assets, log, faults, latency) and reseed."""
        with self._lock:
            self.uploads: dict[str, _Upload] = {}
            self.jobs: dict[str, _Job] = {}
            self.assets: dict[str, _Asset] = {}
            self.requests: list[RecordedRequest] = []
            self.project_ids: list[str] = []
            self.latency = 0.0
            self.faults.clear()
            if self.seed:
                for i, spec in enumerate(_SEEDS):
                    self._seed_one(i, dict(spec))

    @property
    def seeded_ids(self) -> list[str]:
        return [i for i in SEEDED_IDS if i in self.uploads] if self.seed else []

    @property
    def root_url(self) -> str:
        return self.base_url[:-3] if self.base_url.endswith("/v1") else self.base_url.rstrip("/")

    def count(self, method: str, path_suffix: str) -> int:
        """How many logged requests had this method and a path ending with ``path_suffix``."""
        with self._lock:
            return sum(
                1 for r in self.requests
                if r.method == method.upper() and r.path.endswith(path_suffix)
            )

    def complete_count(self, upload_id: str | None = None) -> int:
        """How many ``complete`` POSTs arrived (for one upload, or all), faulted ones included."""
        with self._lock:
            return sum(
                1 for r in self.requests
                if r.method == "POST" and r.path.endswith("/action")
                and isinstance(r.json, dict) and r.json.get("action") == "complete"
                and (upload_id is None or r.path == f"/v1/uploads/{upload_id}/action")
            )

    def upload_json(self, upload_id: str) -> dict[str, Any]:
        """The upload as GET would answer it now (advancing its lifecycle first)."""
        with self._lock:
            upload = self.uploads[upload_id]
            self._advance(upload, self.clock())
            return self._upload_wire(upload, self.clock())

    def status_of(self, upload_id: str) -> str:
        return self.upload_json(upload_id)["status"]

    def mark_bad_file(self, upload_id: str, message: str, hint: str = "Check the file.") -> None:
        """Make completing this upload end in ``failed`` with ``message``."""
        with self._lock:
            self.uploads[upload_id].failure = (message, hint)

    def snapshot(self) -> list[dict[str, str]]:
        with self._lock:
            now = self.clock()
            for upload in self.uploads.values():
                self._advance(upload, now)
            return [{"id": u.id, "status": u.status} for u in self.uploads.values()]

    def transport(self) -> FakeTransport:
        """An httpx transport for ``httpx.Client`` and ``httpx.AsyncClient``."""
        return FakeTransport(self)

    # -- the request entry point ------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None, body: bytes = b"", peer: str | None = None,
    ) -> FakeResponse:
        method = method.upper()
        query = dict(query or {})
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        parsed: Any = None
        if body and not path.startswith("/_parts/"):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        record = RecordedRequest(method, path, query, headers, parsed, len(body), peer=peer)
        with self._lock:
            self.requests.append(record)
            if query.get("projectId"):
                self.project_ids.append(query["projectId"])
        fault = self.faults.take(method, path)
        response: FakeResponse | None = None
        if fault is None or fault.apply:
            with self._lock:
                response = self._route(method, path, query, headers, body)
        if fault is not None:
            record.fault, record.applied = fault.label, fault.apply
            response = fault.response(self._trace())
        assert response is not None
        record.status = response.status if response.action is None else None
        return response

    # -- routing ----------------------------------------------------------------------------

    def _trace(self) -> str:
        return "trace-" + "%032x" % self._rng.getrandbits(128)

    def _new_id(self, prefix: str) -> str:
        return prefix + "_" + "".join(self._rng.choice(_ID_CHARS) for _ in range(22))

    def _error(self, status: int, message: str) -> FakeResponse:
        return FakeResponse.json(status, {"message": message, "traceId": self._trace()})

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            return not (self.api_key and self.api_secret)
        if scheme.lower() != "basic" or not token:
            return False
        try:
            user, sep, password = b64decode(token, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        if not sep:
            return False
        if self.api_key and self.api_secret:
            return hmac.compare_digest(f"{user}:{password}", f"{self.api_key}:{self.api_secret}")
        return True

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: bytes) -> FakeResponse:
        if path.startswith("/_parts/"):
            return self._put_part(method, path, query, body)
        routes: list[tuple[str, str, Callable[..., FakeResponse]]] = [
            ("POST", r"/v1/uploads", lambda: self._create(query, body)),
            ("GET", r"/v1/uploads/(?P<id>[^/]+)", lambda id: self._get_upload(id)),
            ("POST", r"/v1/uploads/(?P<id>[^/]+)/action", lambda id: self._action(id, body)),
            ("GET", r"/v1/jobs/(?P<id>[^/]+)", lambda id: self._get_job(id)),
            ("GET", r"/v1/assets/(?P<id>[^/]+)", lambda id: self._get_asset(id)),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path.rstrip("/") or "/")
            if match is None:
                continue
            if route_method != method:
                return self._error(404, f"Cannot {method} {path}")
            if not self._authorized(headers):
                return self._error(401, "Unauthorized: send your API key and secret as HTTP "
                                        "Basic credentials, or a Bearer token")
            try:
                return handler(**match.groupdict())
            except _Reject as exc:
                return self._error(exc.status, exc.message)
        return self._error(404, f"Cannot {method} {path}")

    # -- uploads ----------------------------------------------------------------------------

    def _json_object(self, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError:
            raise _Reject(400, "The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise _Reject(400, "The request body must be a JSON object")
        return data

    def _lookup(self, upload_id: str) -> _Upload:
        upload = self.uploads.get(upload_id) if _ID_SEGMENT.fullmatch(upload_id) else None
        if upload is None:
            raise _Reject(404, "Upload not found")
        return upload

    def _create(self, query: dict[str, str], body: bytes) -> FakeResponse:
        spec = _parse_create(self._json_object(body))
        dry_run = query.get("dryRun")
        if dry_run is not None and dry_run not in ("true", "api", "false"):
            raise _Reject(400, "dryRun must be 'true' or 'api'")
        if dry_run in ("true", "api"):
            size = spec.get("file_size") or 0
            cost = 10 if spec["kind"] == "model" else max(1, math.ceil(size / (100 * _MB)))
            return FakeResponse.json(269, {"creativeUnitsCost": cost})
        now = self.clock()
        upload_id = self._new_id("up")
        owner = query.get("projectId") or DEFAULT_OWNER_ID
        job = _Job(self._new_id("job"), owner, upload_id, now, now)
        job.move("pending", now, 0.0)
        upload = _Upload(id=upload_id, owner_id=owner, created_at=now, updated_at=now, job=job,
                         **spec)
        if upload.source != "multipart":
            upload.started_at = now  # imports are fetched by the server: no complete needed
            host = urlsplit(upload.url or "").hostname or ""
            if host.endswith(".invalid"):
                upload.failure = (f"Could not download {upload.url}: host {host} not found",
                                  "Check that the URL is public and reachable.")
        elif "corrupt" in upload.file_name.lower():
            upload.failure = ("The file could not be decoded: it looks corrupt.",
                              "Re-export the file and upload it again.")
        self.uploads[upload_id] = upload
        self.jobs[job.job_id] = job
        return FakeResponse.json(200, {"upload": self._upload_wire(upload, now)})

    def _get_upload(self, upload_id: str) -> FakeResponse:
        upload = self._lookup(upload_id)
        now = self.clock()
        self._advance(upload, now)
        return FakeResponse.json(200, {"upload": self._upload_wire(upload, now)})

    def _action(self, upload_id: str, body: bytes) -> FakeResponse:
        upload = self._lookup(upload_id)
        action = self._json_object(body).get("action")
        if action is None:
            raise _Reject(400, "action is required; the only action is 'complete'")
        if action != "complete":
            raise _Reject(400, f"Unknown action {action!r}: the only action is 'complete'")
        now = self.clock()
        self._advance(upload, now)
        if upload.status != "pending":
            raise _Reject(409, f"Upload {upload.id} cannot be completed: its status is "
                               f"{upload.status}")
        upload.started_at = now
        upload.status, upload.updated_at = "validating", now
        if upload.failure is None and upload.source == "multipart":
            upload.failure = _check_parts(upload)
        upload.job.move("in-progress", now, 0.05)
        return FakeResponse.json(200, {"upload": self._upload_wire(upload, now)})

    def _advance(self, upload: _Upload, now: float) -> None:
        """Bring a started upload (and its job) to the state the clock says it is in."""
        if upload.frozen or upload.started_at is None or upload.status in ("imported", "failed"):
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

    def _import(self, upload: _Upload, at: float) -> None:
        if upload.kind == "model":
            upload.entity_id = self._new_id("model")
            upload.job.asset_ids, upload.job.output_model_id = [], upload.entity_id
        else:
            asset = self._make_asset(upload, self._new_id("asset"), at)
            upload.entity_id = asset.id
            upload.job.asset_ids = [asset.id]
        upload.status, upload.updated_at = "imported", at
        upload.job.move("success", at, 1.0)

    def _make_asset(self, upload: _Upload, asset_id: str, at: float) -> _Asset:
        options = upload.asset_options or {}
        mime = upload.content_type or mimetypes.guess_type(upload.file_name)[0]
        asset = _Asset(
            id=asset_id, kind=_ASSET_KIND.get(upload.kind, "image"), owner_id=upload.owner_id,
            name=upload.file_name, mime_type=mime or _DEFAULT_MIME.get(upload.kind, "image/png"),
            size=upload.file_size or 1_048_576, upload_kind=upload.kind, created_at=at,
            collection_ids=list(options.get("collectionIds") or []), hidden=options.get("hide"),
        )
        self.assets[asset.id] = asset
        return asset

    # -- presigned part URLs ----------------------------------------------------------------

    def _sign(self, upload_id: str, number: int, expires: int) -> str:
        return hmac.new(self._key, f"{upload_id}/{number}/{expires}".encode(), "sha256").hexdigest()

    def _part_urls(self, upload: _Upload, now: float) -> list[dict[str, Any]]:
        expires = int(now + self.part_url_ttl)
        return [
            {
                "number": n,
                "url": f"{self.root_url}/_parts/{upload.id}/{n}?expires={expires}"
                       f"&signature={self._sign(upload.id, n, expires)}",
                "expires": to_iso(expires),
            }
            for n in range(1, (upload.parts_count or 0) + 1)
        ]

    def _put_part(self, method: str, path: str, query: dict[str, str], body: bytes) -> FakeResponse:
        match = re.fullmatch(r"/_parts/([^/]+)/(\d{1,5})", path)
        if match is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        if method != "PUT":
            return _s3_error(405, "MethodNotAllowed", f"{method} is not allowed on a part URL.")
        upload_id, number = match.group(1), int(match.group(2))
        upload = self.uploads.get(upload_id)
        if upload is None or upload.status != "pending" or upload.source != "multipart":
            return _s3_error(404, "NoSuchUpload", "The specified upload does not exist. It may "
                             "have been completed or aborted.")
        expires = query.get("expires", "")
        expected = self._sign(upload_id, number, int(expires)) if expires.isdigit() else ""
        if not expected or not hmac.compare_digest(expected, query.get("signature", "")):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                             "does not match the signature you provided.")
        if int(expires) < self.clock():
            return _s3_error(403, "AccessDenied", "Request has expired")
        upload.received[number] = len(body)
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        return FakeResponse(200, b"", {"etag": etag})

    # -- jobs and assets --------------------------------------------------------------------

    def _get_job(self, job_id: str) -> FakeResponse:
        job = self.jobs.get(job_id) if _ID_SEGMENT.fullmatch(job_id) else None
        if job is None:
            raise _Reject(404, "Job not found")
        upload = self.uploads.get(job.upload_id)
        if upload is not None:
            self._advance(upload, self.clock())
        return FakeResponse.json(200, {"job": _job_wire(job)})

    def _get_asset(self, asset_id: str) -> FakeResponse:
        asset = self.assets.get(asset_id) if _ID_SEGMENT.fullmatch(asset_id) else None
        if asset is None:
            raise _Reject(404, "Asset not found")
        return FakeResponse.json(200, {"asset": self._asset_wire(asset, self.clock())})

    # -- wire format ------------------------------------------------------------------------

    def _upload_wire(self, u: _Upload, now: float) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "id": u.id, "authorId": AUTHOR_ID, "ownerId": u.owner_id,
            "createdAt": to_iso(u.created_at), "updatedAt": to_iso(u.updated_at), "fileName": u.file_name,
            "originalFileName": u.file_name, "kind": u.kind, "source": u.source,
            "status": u.status, "contentType": u.content_type, "fileSize": u.file_size,
            "partsCount": u.parts_count, "provider": u.provider, "url": u.url,
            "assetOptions": u.asset_options, "jobId": u.job.job_id, "entityId": u.entity_id,
            "errorMessage": u.error_message,
        }
        if u.status == "pending" and u.source == "multipart":
            wire["parts"] = self._part_urls(u, now)
        return {k: v for k, v in wire.items() if v is not None}

    def _asset_wire(self, a: _Asset, now: float) -> dict[str, Any]:
        expires = int(now + 3600)
        signature = hmac.new(self._key, f"{a.id}/{expires}".encode(), "sha256").hexdigest()
        properties: dict[str, Any] = {"size": a.size}
        if a.kind == "image":
            properties.update(width=1024, height=1024, format=a.mime_type.split("/")[-1])
        elif a.kind in ("audio", "video"):
            properties.update(duration=42.5 if a.kind == "audio" else 12.0)
            if a.kind == "video":
                properties.update(width=1920, height=1080, frameRate=24)
        wire: dict[str, Any] = {
            "id": a.id, "authorId": AUTHOR_ID, "ownerId": a.owner_id,
            "collectionIds": a.collection_ids, "createdAt": to_iso(a.created_at),
            "updatedAt": to_iso(a.created_at),
            "editCapabilities": ["DETECTION", "REFINE", "REMOVE_BACKGROUND", "UPSCALE"]
            if a.kind == "image" else [],
            "kind": a.kind,
            "metadata": {"kind": a.kind, "type": _ASSET_TYPE.get(a.upload_kind, "uploaded"),
                         "name": a.name, "size": a.size},
            "mimeType": a.mime_type, "privacy": "private", "properties": properties,
            "source": _ASSET_TYPE.get(a.upload_kind, "uploaded"), "status": "success",
            "tags": [],
            "url": f"https://cdn.fake-scenario.invalid/{a.owner_id}/{a.id}/{quote(a.name)}"
                   f"?Expires={expires}&Key-Pair-Id=KFAKESCENARIO&Signature={signature}",
        }
        if a.hidden is not None:
            wire["isHidden"] = a.hidden
        return wire

    # -- seeding ----------------------------------------------------------------------------

    def _seed_one(self, index: int, spec: dict[str, Any]) -> None:
        status = spec.pop("status")
        upload_id = spec.pop("id")
        failure = spec.pop("failure", None)
        entity_id = spec.pop("entity_id", None)
        spec.setdefault("source", "multipart")
        if spec["source"] in ("civitai", "huggingface"):
            spec["provider"] = spec["source"]
        elif spec["source"] == "url":
            spec["provider"] = "other"
        if spec["source"] == "multipart":
            spec["parts_count"] = max(1, math.ceil(spec["file_size"] / (16 * _MB)))
        created = self.seed_epoch + index * 420.0
        job = _Job(upload_id.replace("up_", "job_", 1), DEFAULT_OWNER_ID, upload_id, created,
                   created)
        job.move("pending", created, 0.0)
        upload = _Upload(id=upload_id, owner_id=DEFAULT_OWNER_ID, created_at=created,
                         updated_at=created, job=job, status=status, failure=failure,
                         frozen=status != "pending", **spec)
        if upload.source == "multipart" and upload.parts_count:
            size, count = int(upload.file_size or 0), upload.parts_count
            part = 16 * _MB
            upload.received = {n: part if n < count else size - part * (count - 1)
                               for n in range(1, count + 1)}
        if status != "pending":
            upload.started_at = created + 95.0
            job.move("in-progress", upload.started_at, 0.05)
        stage_at = created + 95.0 + 30.0
        if status in ("validating", "validated", "complete"):
            progress = {"validating": 0.35, "validated": 0.8, "complete": 0.95}[status]
            job.move("finalizing" if status == "complete" else "in-progress", stage_at, progress)
            upload.updated_at = stage_at
        elif status == "failed":
            upload.error_message = failure[0] if failure else "Upload failed"
            job.error, job.hint = failure or ("Upload failed", None)
            job.move("failure", stage_at, 0.35)
            upload.updated_at = stage_at
        elif status == "imported":
            upload.entity_id = entity_id
            if upload.kind == "model":
                job.asset_ids, job.output_model_id = [], entity_id
            else:
                self._make_asset(upload, entity_id, stage_at)
                job.asset_ids = [entity_id]
            job.move("success", stage_at, 1.0)
            upload.updated_at = stage_at
        self.uploads[upload_id] = upload
        self.jobs[job.job_id] = job


def _job_wire(job: _Job) -> dict[str, Any]:
    metadata: dict[str, Any] = {"input": {"uploadId": job.upload_id}}
    for key, value in (("error", job.error), ("hint", job.hint), ("assetIds", job.asset_ids),
                       ("outputModelId", job.output_model_id)):
        if value is not None:
            metadata[key] = value
    return {
        "jobId": job.job_id, "jobType": "upload", "status": job.status,
        "progress": job.progress, "metadata": metadata,
        "statusHistory": [{"date": to_iso(at), "status": status} for at, status in job.history],
        "createdAt": to_iso(job.created_at), "updatedAt": to_iso(job.updated_at),
        "authorId": AUTHOR_ID, "ownerId": job.owner_id,
    }


def _s3_error(status: int, code: str, message: str) -> FakeResponse:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")
    return FakeResponse(status, body.encode(), {"content-type": "application/xml"})


def _check_parts(upload: _Upload) -> tuple[str, str] | None:
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


def _parse_create(data: dict[str, Any]) -> dict[str, Any]:
    """The fields of a new upload from a create body, or ``_Reject`` (400) naming the problem."""
    sources = [k for k in ("url", "civitaiModelUrl", "huggingFaceModelName") if k in data]
    if len(sources) > 1:
        raise _Reject(400, "Set only one of url, civitaiModelUrl and huggingFaceModelName")
    kind = data.get("kind")
    if kind is not None and kind not in UPLOAD_KINDS:
        raise _Reject(400, f"kind must be one of {', '.join(UPLOAD_KINDS)}; got {kind!r}")
    if "huggingFaceModelName" in data:
        name = data["huggingFaceModelName"]
        if not isinstance(name, str) or not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
            raise _Reject(400, "huggingFaceModelName must look like 'owner/model'")
        return dict(kind="model", source="huggingface", provider="huggingface", file_name=name,
                    url=f"https://huggingface.co/{name}")
    if "civitaiModelUrl" in data:
        url = data["civitaiModelUrl"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.hostname not in ("civitai.com", "www.civitai.com") \
                or not parts.path.startswith("/models/"):
            raise _Reject(400, "civitaiModelUrl must be a https://civitai.com/models/... URL")
        slug = [s for s in parts.path.split("/") if s][-1]
        return dict(kind="model", source="civitai", provider="civitai", file_name=slug, url=url)
    if "url" in data:
        url = data["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Reject(400, "url must be an http(s) URL")
        if kind is None:
            raise _Reject(400, "kind is required when url is set")
        name = [s for s in parts.path.split("/") if s][-1:] or ["download"]
        return dict(kind=kind, source="url", provider="other", file_name=name[0], url=url,
                    content_type=mimetypes.guess_type(name[0])[0])
    required = ("fileName", "contentType", "fileSize", "parts", "kind")
    missing = [k for k in required if data.get(k) is None]
    if missing:
        raise _Reject(400, "Missing required field(s) for a multipart upload: "
                           + ", ".join(missing))
    name, ctype, size, parts_n = (data[k] for k in required[:4])
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _Reject(400, "fileName must be a non-empty string of at most 255 characters")
    if not isinstance(ctype, str) or "/" not in ctype:
        raise _Reject(400, "contentType must be a MIME type such as image/png")
    if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0:
        raise _Reject(400, "fileSize must be a positive number of bytes")
    if isinstance(parts_n, bool) or not isinstance(parts_n, (int, float)) \
            or parts_n != int(parts_n) or not 1 <= parts_n <= MAX_PARTS:
        raise _Reject(400, f"parts must be a whole number between 1 and {MAX_PARTS}")
    options = data.get("assetOptions")
    if options is not None:
        if kind == "model":
            raise _Reject(400, "assetOptions is not available for kind model")
        if not isinstance(options, dict):
            raise _Reject(400, "assetOptions must be an object")
        known = {"collectionIds", "hide", "parentId"}
        if set(options) - known:
            raise _Reject(400, f"Unknown assetOptions field(s): {sorted(set(options) - known)}")
    return dict(kind=kind, source="multipart", file_name=name, content_type=ctype,
                file_size=int(size) if float(size).is_integer() else size,
                parts_count=int(parts_n), asset_options=options or None)
