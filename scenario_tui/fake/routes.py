"""The fake API's endpoints: routing, authentication, request validation and the answers.

Routes (under ``/v1``, JSON, camelCase, one wrapped object per success body):
``POST /uploads`` (multipart, or ``url`` / ``civitaiModelUrl`` / ``huggingFaceModelName``
imports; ``?dryRun=true`` answers 269 with ``{"creativeUnitsCost": N}``),
``GET /uploads/{id}``, ``POST /uploads/{id}/action`` ``{"action": "complete"}``,
``GET /jobs/{id}``, ``GET /assets/{id}``; presigned-looking part URLs
``PUT /_parts/{uploadId}/{number}?expires=..&signature=..`` (no Scenario auth).

Validation errors are 400 ``{"message", "traceId"}``; unknown IDs 404; bad auth 401. A part URL
answers as S3 does: an XML error body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import mimetypes
import re
from base64 import b64decode
from typing import Any, Callable
from urllib.parse import urlsplit

from scenario_tui.core.ids import MAX_ID_LENGTH
from scenario_tui.core.part_plan import MAX_PARTS
from scenario_tui.core.units import MIB
from scenario_tui.core.vocabulary import UPLOAD_KINDS
from scenario_tui.fake.exchange import FakeResponse, Reject
from scenario_tui.fake.state import DEFAULT_OWNER_ID, FakeState, UploadState
from scenario_tui.fake.wire import asset_wire, job_wire, part_signature, upload_wire

_ID_SEGMENT = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_ID_LENGTH}}}")  # the API's own IDs: no . or :


class FakeApi:
    """The API as a client sees it, over a ``FakeState``: one call of ``answer`` per request.

    With ``api_key`` and ``api_secret`` set only those Basic credentials pass; without them any
    Basic credentials or Bearer token do. ``key`` signs the part and asset URLs.
    """

    def __init__(
        self, state: FakeState, *, key: bytes, base_url: str, part_url_ttl: float,
        api_key: str | None, api_secret: str | None,
    ) -> None:
        self.state = state
        self.base_url = base_url
        self.part_url_ttl = part_url_ttl
        self.api_key, self.api_secret = api_key, api_secret
        self._key = key

    @property
    def root_url(self) -> str:
        return self.base_url[:-3] if self.base_url.endswith("/v1") else self.base_url.rstrip("/")

    def upload_body(self, upload: UploadState, now: float) -> dict[str, Any]:
        """The upload as the API writes it at ``now`` (part URLs valid from then)."""
        return upload_wire(upload, root_url=self.root_url, key=self._key,
                           parts_expire=int(now + self.part_url_ttl))

    def error(self, status: int, message: str) -> FakeResponse:
        return FakeResponse.json(status, {"message": message, "traceId": self.state.trace_id()})

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: bytes) -> FakeResponse:
        if path.startswith("/_parts/"):
            return self._put_part(method, path, query, body)
        routes: list[tuple[str, str, Callable[..., FakeResponse]]] = [
            ("POST", r"/v1/uploads", lambda: self._create(query, body)),
            ("GET", r"/v1/uploads/(?P<ref>[^/]+)", lambda ref: self._get_upload(ref)),
            ("POST", r"/v1/uploads/(?P<ref>[^/]+)/action", lambda ref: self._action(ref, body)),
            ("GET", r"/v1/jobs/(?P<ref>[^/]+)", lambda ref: self._get_job(ref)),
            ("GET", r"/v1/assets/(?P<ref>[^/]+)", lambda ref: self._get_asset(ref)),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path.rstrip("/") or "/")
            if match is None:
                continue
            if route_method != method:
                return self.error(404, f"Cannot {method} {path}")
            if not self._authorized(headers):
                return self.error(401, "Unauthorized: send your API key and secret as HTTP "
                                       "Basic credentials, or a Bearer token")
            try:
                return handler(**match.groupdict())
            except Reject as exc:
                return self.error(exc.status, exc.message)
        return self.error(404, f"Cannot {method} {path}")

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

    # -- uploads ----------------------------------------------------------------------------

    def _lookup(self, upload_id: str) -> UploadState:
        found = self.state.uploads.get(upload_id) if _ID_SEGMENT.fullmatch(upload_id) else None
        if found is None:
            raise Reject(404, "Upload not found")
        return found

    def _create(self, query: dict[str, str], body: bytes) -> FakeResponse:
        spec = _parse_create(_json_object(body))
        dry_run = query.get("dryRun")
        if dry_run is not None and dry_run not in ("true", "api", "false"):
            raise Reject(400, "dryRun must be 'true' or 'api'")
        if dry_run in ("true", "api"):
            size = spec.get("file_size") or 0
            cost = 10 if spec["kind"] == "model" else max(1, math.ceil(size / (100 * MIB)))
            return FakeResponse.json(269, {"creativeUnitsCost": cost})
        upload = self.state.create(spec, owner=query.get("projectId") or DEFAULT_OWNER_ID)
        return FakeResponse.json(200, {"upload": self.upload_body(upload, upload.created_at)})

    def _get_upload(self, upload_id: str) -> FakeResponse:
        upload = self._lookup(upload_id)
        now = self.state.clock()
        self.state.advance(upload, now)
        return FakeResponse.json(200, {"upload": self.upload_body(upload, now)})

    def _action(self, upload_id: str, body: bytes) -> FakeResponse:
        upload = self._lookup(upload_id)
        action = _json_object(body).get("action")
        if action is None:
            raise Reject(400, "action is required; the only action is 'complete'")
        if action != "complete":
            raise Reject(400, f"Unknown action {action!r}: the only action is 'complete'")
        now = self.state.clock()
        self.state.complete(upload, now)
        return FakeResponse.json(200, {"upload": self.upload_body(upload, now)})

    def _put_part(self, method: str, path: str, query: dict[str, str], body: bytes) -> FakeResponse:
        match = re.fullmatch(r"/_parts/([^/]+)/(\d{1,5})", path)
        if match is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        if method != "PUT":
            return _s3_error(405, "MethodNotAllowed", f"{method} is not allowed on a part URL.")
        upload_id, number = match.group(1), int(match.group(2))
        upload = self.state.uploads.get(upload_id)
        if upload is None or upload.status != "pending" or upload.source != "multipart":
            return _s3_error(404, "NoSuchUpload", "The specified upload does not exist. It may "
                             "have been completed or aborted.")
        expires = query.get("expires", "")
        expected = part_signature(self._key, upload_id, number, int(expires)) \
            if expires.isdigit() else ""
        if not expected or not hmac.compare_digest(expected, query.get("signature", "")):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                             "does not match the signature you provided.")
        if int(expires) < self.state.clock():
            return _s3_error(403, "AccessDenied", "Request has expired")
        upload.received[number] = len(body)
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        return FakeResponse(200, b"", {"etag": etag})

    # -- jobs and assets --------------------------------------------------------------------

    def _get_job(self, job_id: str) -> FakeResponse:
        job = self.state.jobs.get(job_id) if _ID_SEGMENT.fullmatch(job_id) else None
        if job is None:
            raise Reject(404, "Job not found")
        upload = self.state.uploads.get(job.upload_id)
        if upload is not None:
            self.state.advance(upload, self.state.clock())
        return FakeResponse.json(200, {"job": job_wire(job)})

    def _get_asset(self, asset_id: str) -> FakeResponse:
        asset = self.state.assets.get(asset_id) if _ID_SEGMENT.fullmatch(asset_id) else None
        if asset is None:
            raise Reject(404, "Asset not found")
        return FakeResponse.json(200, {"asset": asset_wire(asset, self.state.clock(), self._key)})


def _s3_error(status: int, code: str, message: str) -> FakeResponse:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")
    return FakeResponse(status, body.encode(), {"content-type": "application/xml"})


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        raise Reject(400, "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Reject(400, "The request body must be a JSON object")
    return data


def _parse_create(data: dict[str, Any]) -> dict[str, Any]:
    """The fields of a new upload from a create body, or ``Reject`` (400) naming the problem."""
    sources = [k for k in ("url", "civitaiModelUrl", "huggingFaceModelName") if k in data]
    if len(sources) > 1:
        raise Reject(400, "Set only one of url, civitaiModelUrl and huggingFaceModelName")
    kind = data.get("kind")
    if kind is not None and kind not in UPLOAD_KINDS:
        raise Reject(400, f"kind must be one of {', '.join(UPLOAD_KINDS)}; got {kind!r}")
    if "huggingFaceModelName" in data:
        name = data["huggingFaceModelName"]
        if not isinstance(name, str) or not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
            raise Reject(400, "huggingFaceModelName must look like 'owner/model'")
        return dict(kind="model", source="huggingface", provider="huggingface", file_name=name,
                    url=f"https://huggingface.co/{name}")
    if "civitaiModelUrl" in data:
        url = data["civitaiModelUrl"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.hostname not in ("civitai.com", "www.civitai.com") \
                or not parts.path.startswith("/models/"):
            raise Reject(400, "civitaiModelUrl must be a https://civitai.com/models/... URL")
        slug = [s for s in parts.path.split("/") if s][-1]
        return dict(kind="model", source="civitai", provider="civitai", file_name=slug, url=url)
    if "url" in data:
        url = data["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise Reject(400, "url must be an http(s) URL")
        if kind is None:
            raise Reject(400, "kind is required when url is set")
        name = [s for s in parts.path.split("/") if s][-1:] or ["download"]
        return dict(kind=kind, source="url", provider="other", file_name=name[0], url=url,
                    content_type=mimetypes.guess_type(name[0])[0])
    required = ("fileName", "contentType", "fileSize", "parts", "kind")
    missing = [k for k in required if data.get(k) is None]
    if missing:
        raise Reject(400, "Missing required field(s) for a multipart upload: "
                          + ", ".join(missing))
    name, ctype, size, parts_n = (data[k] for k in required[:4])
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise Reject(400, "fileName must be a non-empty string of at most 255 characters")
    if not isinstance(ctype, str) or "/" not in ctype:
        raise Reject(400, "contentType must be a MIME type such as image/png")
    if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0:
        raise Reject(400, "fileSize must be a positive number of bytes")
    if isinstance(parts_n, bool) or not isinstance(parts_n, (int, float)) \
            or parts_n != int(parts_n) or not 1 <= parts_n <= MAX_PARTS:
        raise Reject(400, f"parts must be a whole number between 1 and {MAX_PARTS}")
    options = data.get("assetOptions")
    if options is not None:
        if kind == "model":
            raise Reject(400, "assetOptions is not available for kind model")
        if not isinstance(options, dict):
            raise Reject(400, "assetOptions must be an object")
        known = {"collectionIds", "hide", "parentId"}
        if set(options) - known:
            raise Reject(400, f"Unknown assetOptions field(s): {sorted(set(options) - known)}")
    return dict(kind=kind, source="multipart", file_name=name, content_type=ctype,
                file_size=int(size) if float(size).is_integer() else size,
                parts_count=int(parts_n), asset_options=options or None)
