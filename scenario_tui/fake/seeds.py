"""The demo's seeded uploads: every status, kind and source, under fixed IDs.

Seeded uploads that are not ``pending`` are frozen in their status, so demos and screenshots
look the same on every run; the pending ones go through the lifecycle when completed.
"""

from __future__ import annotations

import math
from typing import Any

from scenario_tui.core.units import MIB
from scenario_tui.fake.state import DEFAULT_OWNER_ID, FakeState, JobState, UploadState

SEED_EPOCH = 1_748_854_800.0  # 2025-06-02T09:00:00Z
_PART_SIZE = 16 * MIB  # the part size the seeded multipart uploads were cut with
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
         content_type="video/quicktime", file_size=4 * _PART_SIZE - 123_457,
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


def add_seeds(state: FakeState, epoch: float) -> None:
    """Add the seeded uploads (with their jobs and assets) to ``state``, created from ``epoch``."""
    for index, spec in enumerate(_SEEDS):
        _seed_one(state, index, dict(spec), epoch)


def _seed_one(state: FakeState, index: int, spec: dict[str, Any], epoch: float) -> None:
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
        spec["parts_count"] = max(1, math.ceil(spec["file_size"] / _PART_SIZE))
    created = epoch + index * 420.0
    job = JobState(upload_id.replace("up_", "job_", 1), DEFAULT_OWNER_ID, upload_id, created,
                   created)
    job.move("pending", created, 0.0)
    upload = UploadState(id=upload_id, owner_id=DEFAULT_OWNER_ID, created_at=created,
                         updated_at=created, job=job, status=status, failure=failure,
                         frozen=status != "pending", **spec)
    if upload.source == "multipart" and upload.parts_count:
        size, count = int(upload.file_size or 0), upload.parts_count
        upload.received = {n: _PART_SIZE if n < count else size - _PART_SIZE * (count - 1)
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
            state.make_asset(upload, entity_id, stage_at)
            job.asset_ids = [entity_id]
        job.move("success", stage_at, 1.0)
        upload.updated_at = stage_at
    state.add(upload)
