"""What an upload or an import led to, and how to go on when it stopped short: the result, the
two errors raised once the upload exists (its ID is in the store by then), and the command that
resumes it.

Headless (no Textual).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scenario_tui.core import errors

if TYPE_CHECKING:
    from scenario_tui.core.models import Upload
    from scenario_tui.service.completion import CompleteResult


class UploadIncompleteError(errors.ScenarioTuiError):
    """A failure after the upload was created: ``upload_id`` is in the store; the message says
    what to do next. ``cause`` is the underlying error (its title is used)."""

    def __init__(self, upload_id: str, cause: errors.ScenarioTuiError, hint: str,
                 status: str | None = None) -> None:
        super().__init__(f"{cause.message} {hint}", title=cause.title)
        self.upload_id, self.cause, self.status = upload_id, cause, status


class UploadInterruptedError(errors.ScenarioTuiError):
    """How an interrupted upload can be resumed (``Uploader.interruption`` after a cancel)."""

    title = "Interrupted"
    exit_code = 130

    def __init__(self, message: str, upload_id: str | None = None) -> None:
        super().__init__(message)
        self.upload_id = upload_id


@dataclass
class UploadResult:
    """What an upload or import led to. ``problem`` is set when it did not succeed fully."""

    file: str
    upload_id: str | None = None
    status: str = "unknown"
    upload: Upload | None = None
    kind: str | None = None
    content_type: str | None = None
    file_size: int | None = None
    parts_total: int = 0
    parts_sent: int = 0
    parts_skipped: int = 0
    complete: CompleteResult | None = None
    estimate: dict[str, Any] | None = None
    problem: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None and self.status != "failed"


def resume_command(upload_id: str, path: str | os.PathLike[str]) -> str:
    """The command line that sends the parts of ``upload_id`` not sent yet, from ``path``."""
    return f"scenario-tui upload --resume {upload_id} {shlex.quote(str(path))}"
