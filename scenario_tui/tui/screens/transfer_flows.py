"""Uploading files (``U``) and importing by reference (``I``) from the main screen."""

from __future__ import annotations

from textual import work

from scenario_tui.core import errors
from scenario_tui.tui.widgets.upload_progress import UploadProgress


class TransferFlows:
    """Mixed into ``MainScreen``: the dialogs, the workers, and following what they created."""

    def action_upload(self) -> None:
        from scenario_tui.tui.screens.upload_screen import UploadScreen

        if self._refuse_read_only():
            return

        def start(request) -> None:
            if request is not None:
                self.upload_file(request)

        self.app.push_screen(UploadScreen(), start)

    def action_import(self) -> None:
        from scenario_tui.tui.screens.import_screen import ImportScreen

        if self._refuse_read_only():
            return

        def start(request) -> None:
            if request is not None:
                self.import_reference(request)

        self.app.push_screen(ImportScreen(), start)

    def _uploader(self):
        from scenario_tui.service.transfers import Uploader

        return Uploader(
            self.service.client, self.service.store, service=self.service,
            poll_min=self.settings.poll_min_seconds, poll_max=self.settings.poll_max_seconds,
        )

    @work(group="upload", exit_on_error=False)
    async def upload_file(self, request) -> None:
        """Multipart upload with progress; the new ID is listed as soon as it exists."""
        from scenario_tui.service.transfers import UploadIncompleteError

        uploader = self._uploader()
        key = request.path
        listed = False

        def on_progress(progress) -> None:
            nonlocal listed
            self.uploading[key] = progress
            self.query_one(UploadProgress).show(self.uploading)
            if not listed:
                listed = True
                self.table.reload()

        self.uploading[key] = None
        try:
            result = await uploader.upload_file(
                request.path, kind=request.kind, no_complete=not request.complete,
                on_progress=on_progress,
            )
        except UploadIncompleteError as exc:
            self._set_error(exc.upload_id, exc)
            return
        except errors.ScenarioTuiError as exc:
            self._set_error(None, exc)
            return
        finally:
            self.uploading.pop(key, None)
            self.query_one(UploadProgress).show({k: v for k, v in self.uploading.items() if v})
            self.table.reload()
        self._after_create(result, f"Uploaded {result.parts_sent} part(s) of {key}")

    @work(group="upload", exit_on_error=False)
    async def import_reference(self, request) -> None:
        uploader = self._uploader()
        try:
            if request.source == "huggingface":
                result = await uploader.import_huggingface(request.target)
            elif request.source == "civitai":
                result = await uploader.import_civitai(request.target)
            else:
                result = await uploader.import_url(request.target, request.kind)
        except errors.ScenarioTuiError as exc:
            self._set_error(None, exc)
            return
        self.table.reload()
        self._after_create(result, "Import created", follow_pending=True)

    def _after_create(self, result, what: str, *, follow_pending: bool = False) -> None:
        """Toast the outcome, select the new upload and follow it to a final status."""
        upload_id = result.upload_id
        if upload_id is None:
            self._toast("Nothing created", result.problem or what, "warning")
            return
        self.table.fresh.add(upload_id)
        self.outcomes[upload_id] = f"{what}: {result.status}."
        self._toast(what, f"{upload_id}: {result.status}.")
        self._row_changed(upload_id)
        if result.status not in ("imported", "failed") and (
            follow_pending or result.status != "pending"
        ):
            self.follow_upload(upload_id)
