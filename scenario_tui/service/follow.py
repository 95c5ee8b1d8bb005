"""Following an upload after ``complete`` until it is done, and never longer than a deadline.

Done means ``failed``, ``imported``, or an ``entityId`` set, whatever the status says
(Scenario's own TypeScript helper stops there too). ``complete``, an undocumented status, and
any status this version does not know are still processing. The wait ends at the deadline
(``follow_timeout``, 300 s unless set, as that helper) with ``StillProcessingError``.

Headless (no Textual); ``UploadService.follow`` runs it with the service's refresh.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Awaitable, Callable

from scenario_tui.core import errors
from scenario_tui.core.timestamps import human_duration

if TYPE_CHECKING:  # pydantic loads at the first API answer
    from scenario_tui.core.models import Upload

#: hears each new status of a followed upload; may be a coroutine function
UpdateCallback = Callable[["Upload"], "Awaitable[None] | None"]


class StillProcessingError(errors.ScenarioTuiError):
    """Following an upload reached its deadline before the upload was done; ``last_status`` is
    the status it was last seen in (None if no poll succeeded)."""

    title = "Still processing"

    def __init__(self, message: str, last_status: str | None) -> None:
        super().__init__(message)
        self.last_status = last_status


def is_done(upload: Upload) -> bool:
    """Whether following ``upload`` can stop: failed, imported, or its ``entityId`` is set."""
    return upload.is_final or bool(upload.entity_id)


async def follow_upload(
    refresh: Callable[[str], Awaitable[Upload]],
    upload_id: str,
    *,
    timeout: float,
    on_update: UpdateCallback | None,
    on_wait: Callable[[float], None] | None,
    poll_min: float,
    poll_max: float,
    sleep: Callable[[float], Awaitable[None]],
    clock: Callable[[], float],
) -> Upload:
    """``refresh`` the upload until it ``is_done`` (backoff ``poll_min`` .. ``poll_max``) and
    return it; ``StillProcessingError`` once ``timeout`` seconds of ``clock`` have passed.

    ``on_update`` hears each new status; ``on_wait`` each wait before the next poll. Transient
    errors (timeouts, 429, 5xx, dropped connections) only delay the next poll; errors that
    polling cannot get past (404, 401, 403, 400) are raised.
    """
    delay = poll_min
    ends = clock() + timeout
    last_status: str | None = None
    while True:
        try:
            upload: Upload | None = await refresh(upload_id)
        except errors.ApiError as exc:
            if not exc.retryable:
                raise
            upload = None
        if upload is not None:
            if upload.status != last_status:
                last_status = upload.status
                delay = poll_min
                if on_update is not None:
                    maybe = on_update(upload)
                    if asyncio.iscoroutine(maybe):
                        await maybe
            if is_done(upload):
                return upload
        left = ends - clock()
        if left <= 0:
            raise StillProcessingError(
                f"{upload_id} is still {last_status or 'unknown'} after "
                f"{human_duration(timeout)}; stopped waiting. It may yet finish: refresh it "
                "later.", last_status)
        wait = min(delay, left)  # so the last poll comes at the deadline
        if on_wait is not None:
            on_wait(wait)
        await sleep(wait)
        delay = min(delay * 1.5, poll_max)
