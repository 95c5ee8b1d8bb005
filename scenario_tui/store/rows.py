"""The values the store hands out (``KnownUpload``, ``AddResult``) and the ``uploads`` row behind
them: the columns read, a row as a ``KnownUpload`` and back, and an API answer as column values.

The models (pydantic) are imported only when a snapshot is turned into an ``Upload``, so the
scripting commands that only list the store start without them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, NamedTuple

from scenario_tui.core.redact import strip_upload_urls

if TYPE_CHECKING:
    from scenario_tui.core.models import Upload

#: the columns of ``uploads`` in the order of KnownUpload's fields
COLUMNS = ("id, note, added_at, snapshot, fetched_at, status, file_name, kind, file_size, "
           "updated_at, error_message, not_found_at, note_by, seq")
#: the same, without reading the snapshot's text (a page of the list shows only columns)
COLUMNS_NO_SNAPSHOT = COLUMNS.replace("snapshot", "NULL")


@dataclass(frozen=True)
class KnownUpload:
    """One upload ID in the store, with what the API last said about it (if anything)."""

    id: str
    note: str
    added_at: str
    #: the last answer as stored (JSON text); parsed when ``snapshot`` is first read: a page
    #: of the list needs only the columns, and is re-read several times a second while a
    #: bulk refresh answers
    snapshot_json: str | None = field(repr=False)
    fetched_at: str | None
    status: str | None
    file_name: str | None
    kind: str | None
    file_size: int | None
    updated_at: str | None
    error_message: str | None
    #: when the API last answered 404 for this ID (None once it answers again, or never)
    not_found_at: str | None
    #: who wrote the note (the database user, in a team store; None in a local store)
    note_by: str | None
    seq: int

    @property
    def snapshot(self) -> dict[str, Any] | None:
        """The last answer as a JSON object, or None (never fetched, or not readable)."""
        try:
            return self.__dict__["_snapshot"]
        except KeyError:
            pass
        import json  # not before the first frame: rows show their columns, not the snapshot

        try:
            value = None if self.snapshot_json is None else json.loads(self.snapshot_json)
        except ValueError:
            value = None
        value = value if isinstance(value, dict) else None
        self.__dict__["_snapshot"] = value  # frozen: cached past the dataclass's __setattr__
        return value

    @property
    def upload(self) -> Upload | None:
        """The snapshot as a model, or None when never fetched or no longer valid."""
        if self.snapshot is None:
            return None
        from scenario_tui.core.models import Upload  # pydantic: only when a snapshot is shown

        try:
            return Upload.model_validate(self.snapshot)
        except Exception:  # noqa: BLE001 - a stale snapshot must never crash a caller
            return None


class AddResult(NamedTuple):
    added: list[str]
    existing: list[str]


KNOWN_FIELDS = tuple(f.name for f in fields(KnownUpload))


def known(row: tuple) -> KnownUpload:
    """A row read with ``COLUMNS`` (or ``COLUMNS_NO_SNAPSHOT``) as a KnownUpload."""
    # the frozen dataclass's __init__ sets each field through object.__setattr__: filling the
    # instance dict directly builds the same object much faster (a page of the list is many rows)
    upload = object.__new__(KnownUpload)
    upload.__dict__.update(zip(KNOWN_FIELDS, row, strict=True))
    return upload


def row_values(upload: KnownUpload) -> tuple:
    """The values of ``COLUMNS`` that store ``upload`` exactly as it was read."""
    return (upload.id, upload.note, upload.added_at, upload.snapshot_json, upload.fetched_at,
            upload.status, upload.file_name, upload.kind, upload.file_size, upload.updated_at,
            upload.error_message, upload.not_found_at,
            upload.note_by, upload.seq)


def snapshot_values(upload_id: str, snapshot: dict[str, Any], fetched_at: str) -> tuple:
    """The values of ``SET snapshot, fetched_at, status, file_name, kind, file_size, updated_at,
    error_message WHERE id`` for an API answer (``not_found_at`` is cleared by it): a JSON copy,
    presigned URL queries stripped."""
    import json

    data = json.loads(_dumps(snapshot))
    if not isinstance(data, dict):
        raise TypeError(f"an upload snapshot is a JSON object, not {type(snapshot).__name__}")
    strip_upload_urls(data)
    return (_dumps(data), fetched_at, _text(data.get("status")), _text(data.get("fileName")),
            _text(data.get("kind")), _int(data.get("fileSize")), _text(data.get("updatedAt")),
            _text(data.get("errorMessage")), upload_id)


def _dumps(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    """``value`` as a SQLite integer column holds it, or None (not a number, or out of range)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None
