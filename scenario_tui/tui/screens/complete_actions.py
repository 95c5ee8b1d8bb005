"""Completing uploads from the main screen: confirm, send once, then follow to a final status."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from textual import work

from scenario_tui.core import errors
from scenario_tui.tui.screens.main_parts import ScreenParts, Severity

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from scenario_tui.core.models import Upload


class CompleteHost(ScreenParts, Protocol):
    """What the complete actions need from the main screen, besides ``ScreenParts``."""

    def load_detail(self, upload_id: str) -> Worker[None]: ...


if TYPE_CHECKING:
    class _Screen(CompleteHost, Screen): ...
else:
    _Screen = object


class CompleteActions(_Screen):
    """Mixed into ``MainScreen``: ``c`` and the workers behind it (never exclusive: an in-flight
    complete is never cancelled)."""

    @work(group="complete", exit_on_error=False)
    async def complete_upload(self, upload_id: str) -> None:
        """Send complete once (never exclusive: an in-flight POST is never cancelled)."""
        states = self.states
        states.start(upload_id, "completing")
        states.clear_failure(upload_id)
        states.set_outcome(upload_id, "")
        self._row_changed(upload_id)
        try:
            result = await self.service.complete(upload_id)
        except errors.ScenarioTuiError as exc:
            self._set_error(upload_id, exc)
            return
        finally:  # whatever happened, this upload is no longer being completed
            states.finish(upload_id)
            self._row_changed(upload_id)
        states.set_outcome(upload_id, result.summary())
        self.table.fresh.add(upload_id)
        severity: Severity = ("warning" if (result.uncertain or result.skipped or result.warning)
                              else "information")
        self._toast("Complete" if not result.skipped else "Not sent",
                    f"{upload_id}: {result.summary()}", severity)
        self._row_changed(upload_id)
        upload = result.upload
        if upload is not None and not upload.is_final and upload.status != "pending":
            self.follow_upload(upload_id)

    @work(group="follow", exit_on_error=False)
    async def follow_upload(self, upload_id: str) -> None:
        """Poll until imported or failed, with backoff; then notify."""
        states = self.states
        if states.busy(upload_id) == "polling":
            return
        states.start(upload_id, "polling")

        def on_wait(delay: float) -> None:
            states.set_next_poll(upload_id, time.monotonic() + delay)

        def on_update(upload: Upload) -> None:
            self.table.fresh.add(upload_id)
            states.set_outcome(upload_id, f"Now {upload.status}.")
            self._row_changed(upload_id)

        try:
            final = await self.service.follow(
                upload_id, on_update=on_update, on_wait=on_wait,
                poll_min=self.settings.poll_min_seconds, poll_max=self.settings.poll_max_seconds,
            )
        except errors.ScenarioTuiError as exc:
            self._set_error(upload_id, exc)
            return
        finally:
            states.finish(upload_id)
            self._row_changed(upload_id)
        states.forget_follow(upload_id)
        if final.status == "failed":
            message = f"{upload_id} failed: {final.error_message or 'no reason given'}"
            states.set_outcome(upload_id, message)
            self._toast("Upload failed", message, "error")
        else:
            states.set_outcome(upload_id, f"{upload_id} is {final.status}.")
            self._toast("Upload finished", f"{upload_id} is {final.status}.")
        if self.table.highlighted_id == upload_id:
            self.load_detail(upload_id)

    def action_complete(self) -> None:
        from scenario_tui.tui.screens.complete_screen import CompleteConfirmScreen, CompleteItem

        if self._refuse_read_only():
            return
        targets = self._targets()
        if not targets:
            self._toast("Nothing to complete", "No upload is highlighted or marked.")
            return
        if len(targets) == 1 and self.states.busy(targets[0]) == "completing":
            self._toast("Already completing",
                        f"{targets[0]}: the complete is in flight; wait for its answer.")
            return
        rows = self._stored_rows(targets)
        if rows is None:
            return
        items = []
        for upload_id, row in zip(targets, rows, strict=True):
            status = row.status if row else None
            reason = None
            if self.states.busy(upload_id) == "completing":
                reason = "complete already in flight"
            elif status is None:
                reason = "status unknown: refresh it first"
            elif status != "pending":
                reason = f"status is {status}"
            items.append(CompleteItem(upload_id, status, row.file_name if row else None, reason))

        def send(ids: list[str] | None) -> None:
            for upload_id in ids or []:
                self.complete_upload(upload_id)

        self.app.push_screen(CompleteConfirmScreen(items), send)
