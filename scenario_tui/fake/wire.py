"""The fake's state as the API writes it: camelCase JSON, one object per body, ``None``s left out,
with presigned-looking part URLs and signed asset URLs."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from scenario_tui.core.timestamps import to_iso
from scenario_tui.fake.state import AssetState, JobState, UploadState

AUTHOR_ID = "5cde0f7a1b2c3d4e5f60718293a4b5c6"
_ASSET_TYPE = {"3d": "uploaded-3d", "audio": "uploaded-audio", "video": "uploaded-video",
               "avatar": "uploaded-avatar", "text": "uploaded-text"}  # else "uploaded"


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), "sha256").hexdigest()


def part_signature(key: bytes, upload_id: str, number: int, expires: int) -> str:
    """The ``signature`` query value of part ``number``'s URL, valid until ``expires``."""
    return _sign(key, f"{upload_id}/{number}/{expires}")


def upload_wire(u: UploadState, *, root_url: str, key: bytes, parts_expire: int) -> dict[str, Any]:
    """The upload object; a pending multipart one lists its part URLs (valid until
    ``parts_expire``, under ``root_url``)."""
    wire: dict[str, Any] = {
        "id": u.id, "authorId": AUTHOR_ID, "ownerId": u.owner_id,
        "createdAt": to_iso(u.created_at), "updatedAt": to_iso(u.updated_at),
        "fileName": u.file_name, "originalFileName": u.file_name, "kind": u.kind,
        "source": u.source, "status": u.status, "contentType": u.content_type,
        "fileSize": u.file_size, "partsCount": u.parts_count, "provider": u.provider,
        "url": u.url, "assetOptions": u.asset_options, "jobId": u.job.job_id,
        "entityId": u.entity_id, "errorMessage": u.error_message,
    }
    if u.status == "pending" and u.source == "multipart":
        wire["parts"] = [
            {
                "number": n,
                "url": f"{root_url}/_parts/{u.id}/{n}?expires={parts_expire}"
                       f"&signature={part_signature(key, u.id, n, parts_expire)}",
                "expires": to_iso(parts_expire),
            }
            for n in range(1, (u.parts_count or 0) + 1)
        ]
    return {k: v for k, v in wire.items() if v is not None}


def job_wire(job: JobState) -> dict[str, Any]:
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


def asset_wire(a: AssetState, now: float, key: bytes) -> dict[str, Any]:
    """The asset object; its download URL is signed for an hour from ``now``."""
    expires = int(now + 3600)
    signature = _sign(key, f"{a.id}/{expires}")
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
