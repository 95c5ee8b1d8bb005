"""Imports by reference: the API fetches the file itself, from a URL, a Hugging Face model or a
Civitai model page. A reference is checked here before anything is sent; the new upload goes
into the local store as soon as it exists (through the service's ``io``: in a thread for the
TUI).

Headless (no Textual).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from scenario_tui.core import errors
from scenario_tui.core.ids import check_server_id
from scenario_tui.core.inert import inert_text
from scenario_tui.core.models import Upload
from scenario_tui.core.redact import strip_query
from scenario_tui.service.uploads import UploadService

_HF_NAME = re.compile(r"[\w.-]+/[\w.-]+")


@dataclass(frozen=True)
class Reference:
    """What to import: ``label`` is what messages and the log show (no query string, where a
    presigned credential would be), ``fields`` what ``create_upload`` is sent."""

    label: str
    fields: dict[str, Any]


def url_reference(url: str, kind: str) -> Reference:
    """The file at ``url`` (the API downloads it), as ``kind``."""
    _check_http_url(url, "The import URL")
    if not kind:
        raise errors.ConfigError("An import by URL needs a kind (--kind image, audio, ...).")
    return Reference(strip_query(url), dict(url=url, kind=kind))


def huggingface_reference(name: str) -> Reference:
    """The Hugging Face model ``owner/model``."""
    if not _HF_NAME.fullmatch(name or ""):
        raise errors.ConfigError(f"{inert_text(name, one_line=True)!r} is not a Hugging Face "
                                 "model name; write it as owner/model.")
    return Reference(name, dict(hugging_face_model_name=name, kind="model"))


def civitai_reference(url: str) -> Reference:
    """The Civitai model at ``url`` (https://civitai.com/models/...)."""
    _check_http_url(url, "The Civitai URL")
    return Reference(strip_query(url), dict(civitai_model_url=url, kind="model"))


async def create_import(service: UploadService, reference: Reference,
                        note: str | None) -> Upload:
    """Ask the API to import ``reference``; the new upload is stored (with ``note``) and logged."""
    service.refuse_if_read_only("import files")
    try:
        upload = await service.client.create_upload(**reference.fields)
        assert isinstance(upload, Upload)
        check_server_id(upload.id, "new import")  # refused: logged below, never stored
    except errors.ApiError as exc:
        await service.io(partial(service.log_action, "import-create", "failed", None, exc,
                                 note=f"{reference.label}: "))
        raise
    await service.io(partial(service.remember_created, upload, note, "import-create",
                             f"{upload.source or 'import'}: {reference.label}"))
    return upload


def _check_http_url(url: str, what: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        shown = inert_text(strip_query(url or ""), one_line=True, limit=80)
        raise errors.ConfigError(f"{what} must be an http(s) URL, not {shown!r}.")
