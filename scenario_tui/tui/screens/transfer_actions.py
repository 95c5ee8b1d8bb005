"""Uploading files (``U``) and importing by reference (``I``) from the main screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual import work

from scenario_tui.core import errors
from scenario_tui.core.wording import plural
from scenario_tui.tui.screens.main_parts import ScreenParts

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from scenario_tui.service.parts import Progress
    from scenario_tui.service.upload_result import UploadResult
    from scenario_tui.service.uploader import Uploader
    from scenario_tui.tui.screens.import_screen import ImportRequest
    from scenario_tui.tui.screens.upload_screen import UploadRequest


class TransferHost(ScreenParts, Protocol):
    """What the transfer actions need from the main screen, besides ``ScreenParts``."""

    def follow_upload(self, upload_id: str) -> Worker[None]: ...


if TYPE_CHECKING:
    class _Screen(TransferHost, Screen): ...
else:
    _Screen = object


class TransferActions(_Screen):
    """Mixed into ``MainScreen``: the dialogs, the workers, and following what they created."""

    def action_upload(self, path: str | None = None) -> None:
        """The upload dialog; with ``path``, open again on that file to ask for its kind."""
        from scenario_tui.tui.screens.upload_screen import UploadScreen

        if self._refuse_read_only():
            return

        def start(request: UploadRequest | None) -> None:
            if request is not None:
                self.upload_file(request)

        self.app.push_screen(UploadScreen(path=path, ask_kind=path is not None), start)

    def action_import(self) -> None:
        from scenario_tui.tui.screens.import_screen import ImportScreen

        if self._refuse_read_only():
            return

        def start(request: ImportRequest | None) -> None:
            if request is not None:
                self.import_reference(request)

        self.app.push_screen(ImportScreen(), start)

    def _uploader(self) -> Uploader:
        from scenario_tui.service.uploader import Uploader

        return Uploader(
            self.service.client, self.service.store, service=self.service,
            poll_min=self.settings.poll_min_seconds, poll_max=self.settings.poll_max_seconds,
        )

    @work(group="upload", exit_on_error=False)
    async def upload_file(self, request: UploadRequest) -> None:
        """Multipart upload with progress; the new ID is listed as soon as it exists."""
        from scenario_tui.service.local_files import UnknownKindError
        from scenario_tui.service.upload_result import UploadIncompleteError

        uploader = self._uploader()
        key = request.path
        listed = False

        def on_progress(progress: Progress) -> None:
            nonlocal listed
            self.states.transfer_progress(key, progress)
            if not listed:
                listed = True
                self.table.reload()

        self.states.start_transfer(key)
        try:
            result = await uploader.upload_file(
                request.path, kind=request.kind, no_complete=not request.complete,
                on_progress=on_progress,
            )
        except UploadIncompleteError as exc:
            self._set_error(exc.upload_id, exc)
            return
        except UnknownKindError:  # nothing was sent: ask for the kind, the path kept
            self.action_upload(request.path)
            return
        except errors.ScenarioTuiError as exc:
            self._set_error(None, exc)
            return
        finally:
            self.states.end_transfer(key)
            self.table.reload()
        self._after_create(result, f"Uploaded {plural(result.parts_sent, 'part')} of {key}")

    @work(group="upload", exit_on_error=False)
    async def import_reference(self, request: ImportRequest) -> None:
        uploader = self._uploader()
        try:
            if request.source == "huggingface":
                result = await uploader.import_huggingface(request.target)
            elif request.source == "civitai":
                result = await uploader.import_civitai(request.target)
            else:
                result = await uploader.import_url(request.target, request.kind or "")
        except errors.ScenarioTuiError as exc:
            self._set_error(None, exc)
            return
        self.table.reload()
        self._after_create(result, "Import created", follow_pending=True)

    def _after_create(self, result: UploadResult, what: str, *,
                      follow_pending: bool = False) -> None:
        """Toast the outcome, select the new upload and follow it to a final status."""
        upload_id = result.upload_id
        if upload_id is None:
            self._toast("Nothing created", result.problem or what, "warning")
            return
        self.table.fresh.add(upload_id)
        self.states.set_outcome(upload_id, f"{what}: {result.status}.")
        self._toast(what, f"{upload_id}: {result.status}.")
        self._row_changed(upload_id)
        if result.status not in ("imported", "failed") and (
            follow_pending or result.status != "pending"
        ):
            self.follow_upload(upload_id)
