"""Pydantic models of the Scenario wire format.

snake_case in Python, camelCase on the wire, and every model keeps fields it does not know
(``model_extra``) so they can be shown. Enumerations (status, kind, source ...) are plain strings:
a value the API adds tomorrow is displayed as it came, never a validation failure.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from scenario_tui.core.vocabulary import FINAL_JOB_STATUSES, FINAL_UPLOAD_STATUSES


class WireModel(BaseModel):
    """Base: camelCase aliases, population by name too, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=False
    )

    def extra_fields(self) -> dict[str, Any]:
        """Fields the API sent that this model does not know, as they came."""
        return dict(self.model_extra or {})

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class UploadPart(WireModel):
    number: int | float
    url: str
    expires: str | None = None


class AssetOptions(WireModel):
    collection_ids: list[str] | None = None
    hide: bool | None = None
    parent_id: str | None = None


class Upload(WireModel):
    id: str
    status: str
    file_name: str | None = None
    kind: str | None = None
    source: str | None = None
    author_id: str | None = None
    owner_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    asset_options: AssetOptions | None = None
    config: Any = None
    content_type: str | None = None
    entity_id: str | None = None
    error_message: str | None = None
    file_size: int | float | None = None
    job_id: str | None = None
    original_file_name: str | None = None
    parts: list[UploadPart] | None = None
    parts_count: int | float | None = None
    provider: str | None = None
    url: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_UPLOAD_STATUSES

    @property
    def can_complete(self) -> bool:
        return self.status == "pending"


class JobStatusEntry(WireModel):
    date: str | None = None
    status: str | None = None


class JobMetadata(WireModel):
    error: Any = None
    hint: Any = None
    asset_ids: list[str] | None = None
    output: Any = None


class JobBilling(WireModel):
    cu_cost: float | None = None


class Job(WireModel):
    job_id: str
    status: str
    job_type: str | None = None
    progress: float | None = None
    status_history: list[JobStatusEntry] = Field(default_factory=list)
    metadata: JobMetadata | None = None
    created_at: str | None = None
    updated_at: str | None = None
    billing: JobBilling | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_JOB_STATUSES


class Asset(WireModel):
    id: str
    kind: str | None = None
    mime_type: str | None = None
    status: str | None = None
    url: str | None = None
    metadata: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    privacy: str | None = None
    tags: list[str] | None = None
    collection_ids: list[str] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    thumbnail: dict[str, Any] | None = None
