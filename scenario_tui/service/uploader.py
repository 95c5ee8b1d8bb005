"""Upload local files to Scenario (multipart) and import files by reference, end to end.

Headless (no Textual): shared by the CLI and the TUI. The flow follows Scenario's own clients
(the API's "Multipart upload" guide):

1. check the local file, guess kind and content type (``local_files``), plan the parts;
2. ``POST /uploads``; the new ID goes into the local store *immediately*, so it is never lost;
3. send the parts (``parts``), each recorded once sent;
4. ``complete`` exactly once, through ``UploadService.complete`` (never retried; an uncertain
   outcome is re-read), unless told not to; optionally follow it to ``imported`` or ``failed``.

An interrupted upload (cancelled task, Ctrl+C) stays in the store with the parts sent so far;
``resume`` sends only the missing ones. The store and the ledger are called through the
service's ``io`` (in place; in a thread for the TUI), but for what an interruption writes.
"""

from __future__ import annotations

import asyncio
import os
import time
from functools import partial
from typing import Any, Awaitable, Callable

import httpx

from scenario_tui.api.client import ScenarioClient
from scenario_tui.core import errors
from scenario_tui.core.ids import check_server_id, validate_upload_id
from scenario_tui.core.models import Upload
from scenario_tui.core.part_plan import DEFAULT_PART_SIZE, Part, plan_parts
from scenario_tui.core.wording import plural
from scenario_tui.service.despite_cancel import opened_despite_cancel
from scenario_tui.service.fingerprint import different_file, source_of
from scenario_tui.service.follow import UpdateCallback
from scenario_tui.service.imports import (
    Reference,
    civitai_reference,
    create_import,
    huggingface_reference,
    url_reference,
)
from scenario_tui.service.local_files import (
    LocalFile,
    LocalFileError,
    guess_content_type,
    guess_kind,
    inspect_file,
)
from scenario_tui.service.parts import (
    CHUNK_SIZE,
    PartSender,
    Progress,
    ProgressCallback,
    resume_plan,
)
from scenario_tui.service.upload_result import (
    UploadIncompleteError,
    UploadInterruptedError,
    UploadResult,
    resume_command,
)
from scenario_tui.service.uploads import UploadService
from scenario_tui.store.intents import Intent
from scenario_tui.store.protocol import StoreProtocol


class Uploader:
    """Uploads and imports. ``part_transport`` is the transport of the part PUT client (tests
    pass the fake's); ``sleep`` waits between retries and polls; ``clock`` measures rates and
    ``wall_clock`` judges URL expiry (epoch seconds)."""

    def __init__(
        self,
        client: ScenarioClient,
        store: StoreProtocol,
        *,
        part_transport: httpx.AsyncBaseTransport | None = None,
        concurrency: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        profile: str = "default",
        read_only: bool = False,
        service: UploadService | None = None,
        chunk_size: int = CHUNK_SIZE,
        part_timeout: float | None = None,  # None: the client's timeout
        poll_min: float = 1.5,
        poll_max: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1 or chunk_size < 1:
            raise errors.ConfigError("concurrency and chunk size must be at least 1.")
        self.client, self.store = client, store
        self.service = service or UploadService(
            client, store, profile=profile, read_only=read_only, sleep=sleep
        )
        self.parts = PartSender(
            client, store,
            transport=part_transport if part_transport is not None else getattr(
                client, "transport", None),
            concurrency=concurrency, chunk_size=chunk_size, timeout=part_timeout,
            sleep=sleep, clock=clock, wall_clock=wall_clock, io=self.service.io,
        )
        self.poll_min, self.poll_max = poll_min, poll_max
        self._clock = clock
        #: set when an upload was interrupted: its message says how to resume
        self.interruption: UploadInterruptedError | None = None

    # --- multipart uploads -------------------------------------------------------------------

    async def upload_file(
        self,
        path: str | os.PathLike[str],
        *,
        kind: str | None = None,
        content_type: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        note: str | None = None,
        no_complete: bool = False,
        wait: bool = False,
        dry_run: bool = False,
        asset_options: dict[str, Any] | None = None,
        on_progress: ProgressCallback | None = None,
        on_update: UpdateCallback | None = None,
    ) -> UploadResult:
        """Upload one file. Errors before the upload exists raise ``ScenarioTuiError``; errors
        after raise ``UploadIncompleteError`` (the ID is in the store). ``dry_run`` only asks
        the API for its estimate: nothing is uploaded or stored."""
        if not dry_run:
            self.service.refuse_if_read_only("upload files")
        local = inspect_file(path)
        content_type = content_type or guess_content_type(local.name)
        kind = kind or guess_kind(local.name, content_type)
        plan = plan_parts(local.size, part_size)
        result = UploadResult(file=str(path), kind=kind, content_type=content_type,
                              file_size=local.size, parts_total=len(plan))
        fields: dict[str, Any] = dict(
            file_name=local.name, content_type=content_type, file_size=local.size,
            parts=len(plan), kind=kind, asset_options=asset_options)
        if dry_run:
            estimate = await self.client.create_upload(dry_run=True, **fields)
            result.status, result.estimate = "dry-run", dict(estimate)
            return result
        self.interruption = None
        started = self._clock()
        try:
            upload = await self.client.create_upload(**fields)
            assert isinstance(upload, Upload)
            check_server_id(upload.id, "new upload")  # refused: logged below, never stored
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.interruption = UploadInterruptedError(
                f"Interrupted while creating the upload of {local.name}; if the API created it, "
                "it is not in the local store. Nothing needs resuming: upload the file again.")
            raise
        except errors.ApiError as exc:
            await self.service.io(partial(self.service.log_action, "upload-create", "failed",
                                          None, exc, note=f"{local.name}: "))
            raise
        await self.service.io(partial(
            self.service.remember_created, upload, note, "upload-create",
            f"{local.name}: {local.size} bytes in {plural(len(plan), 'part')}, kind {kind}"))
        result.upload_id, result.upload, result.status = upload.id, upload, upload.status
        await self._finish(upload, local, plan, set(), result, no_complete=no_complete,
                           wait=wait, on_progress=on_progress, on_update=on_update)
        result.seconds = self._clock() - started
        return result

    async def resume(
        self,
        upload_id: str,
        path: str | os.PathLike[str],
        *,
        part_size: int | None = None,
        note: str | None = None,
        no_complete: bool = False,
        wait: bool = False,
        on_progress: ProgressCallback | None = None,
        on_update: UpdateCallback | None = None,
    ) -> UploadResult:
        """Send the parts of ``upload_id`` not recorded as sent, then complete it (as
        ``upload_file``). Nothing is sent when the upload is no longer pending."""
        self.service.refuse_if_read_only("resume uploads")
        validate_upload_id(upload_id)
        local = inspect_file(path)
        started = self._clock()
        upload = await self.client.get_upload(upload_id)

        def keep() -> None:
            if not self.store.contains(upload_id):
                self.store.add([upload_id], note=note)
            self.store.record_snapshot(upload_id, upload.to_wire())

        await self.service.io(keep)
        result = UploadResult(file=str(path), upload_id=upload_id, status=upload.status,
                              upload=upload, kind=upload.kind, content_type=upload.content_type,
                              file_size=local.size)
        if upload.source not in (None, "multipart"):
            raise errors.ConfigError(f"{upload_id} is an import from {upload.source}; it has "
                                     "no parts to send.")
        if upload.status != "pending":
            result.parts_total = int(upload.parts_count or 0)
            await self.service.io(partial(
                self.service.log_action, "upload-resume", "skipped", upload_id,
                message=f"nothing to send: it is already {upload.status}"))
            if upload.status == "failed":
                result.problem = upload.error_message or "The upload failed."
            elif wait:
                await self._follow(upload_id, result, on_update)
            return result
        if upload.file_size is not None and int(upload.file_size) != local.size:
            raise LocalFileError(
                f"{local.path} is {local.size} bytes but upload {upload_id} was created for "
                f"{int(upload.file_size)} bytes: it is not the same file.")
        count = int(upload.parts_count or len(upload.parts or ()) or 1)
        sent, source, digests = await self.service.io(lambda: (
            self.store.parts_sent(upload_id), self.store.source_file(upload_id),
            self.store.part_digests(upload_id)))
        plan = resume_plan(local.size, count, sent, part_size)
        skip = {p.number for p in plan if sent.get(p.number) == p.size}
        problem = await asyncio.to_thread(different_file, local, upload_id, source, digests,
                                          plan)
        if problem is not None:
            raise LocalFileError(problem)
        result.parts_total = len(plan)
        await self.service.io(partial(
            self.service.log_action, "upload-resume", "ok", upload_id,
            message=f"{local.name}: {len(skip)} of {plural(len(plan), 'part')} already sent"))
        self.interruption = None
        await self._finish(upload, local, plan, skip, result, no_complete=no_complete,
                           wait=wait, on_progress=on_progress, on_update=on_update)
        result.seconds = self._clock() - started
        return result

    async def _finish(self, upload: Upload, local: LocalFile, plan: list[Part], skip: set[int],
                      result: UploadResult, *, no_complete: bool, wait: bool,
                      on_progress: ProgressCallback | None,
                      on_update: UpdateCallback | None) -> None:
        """Send the parts not in ``skip``, then complete (unless ``no_complete``) and follow."""
        upload_id = upload.id
        todo = [p for p in plan if p.number not in skip]
        result.parts_skipped = len(plan) - len(todo)
        resume_hint = f"Upload {upload_id} is kept in the store; resume with: " \
                      f"{resume_command(upload_id, local.path)}"
        try:
            await self._send_parts(upload, local, plan, todo, on_progress)
            result.parts_sent = len(todo)
        except errors.ScenarioTuiError as exc:
            done = len(await self.service.io(partial(self.store.parts_sent, upload_id)))
            raise UploadIncompleteError(
                upload_id, exc, f"{done} of {plural(len(plan), 'part')} sent. {resume_hint}",
                status="pending") from None
        result.status = "pending"
        if no_complete:
            return
        try:
            completed = await self.service.complete(upload_id)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self._interrupted(upload_id, local, len(plan))
            raise
        except errors.ScenarioTuiError as exc:
            raise UploadIncompleteError(
                upload_id, exc, f"Every part is sent; check it with scenario-tui show "
                f"{upload_id} --refresh and complete it with scenario-tui complete {upload_id}.",
                status="pending") from None
        result.complete = completed
        if completed.upload is not None:
            result.upload, result.status = completed.upload, completed.upload.status
        if completed.skipped or (completed.uncertain and (completed.upload is None
                                                          or completed.upload.can_complete)):
            result.problem = (f"{completed.summary()} Check it with scenario-tui show "
                              f"{upload_id} --refresh.")
            return
        if wait:
            await self._follow(upload_id, result, on_update)

    async def _send_parts(self, upload: Upload, local: LocalFile, plan: list[Part],
                          todo: list[Part], on_progress: ProgressCallback | None) -> None:
        """Send ``todo`` under a transfer intent, so that no process completes the upload while
        its parts go up: opened before the first PUT (with the file's fingerprint), beating while
        they are sent, settled (and logged) however it ends."""
        upload_id, ledger, io = upload.id, self.service.ledger, self.service.io
        if not todo:
            await self.parts.send(upload, local, plan, todo, on_progress)
            return
        interrupted = partial(self._interrupted, upload_id, local, len(plan))
        opened: list[Intent] = []
        try:
            source = await asyncio.to_thread(source_of, local)

            def open_transfer() -> Intent:
                self.store.record_source_file(upload_id, source)
                return ledger.begin(upload_id, "transfer")

            # stopped while it is opened in a thread: settled as interrupted once it is open
            transfer = await opened_despite_cancel(io(open_transfer), opened.append)
        except (asyncio.CancelledError, KeyboardInterrupt):
            interrupted(*opened)
            raise
        except errors.ScenarioTuiError as exc:  # nothing sent
            await io(partial(self.service.log_action, "upload-parts", "failed", upload_id, exc))
            raise
        beat = ledger.beater(transfer, self._clock, start=self._beats_aside())

        def progress(update: Progress) -> None:
            beat()
            if on_progress is not None:
                on_progress(update)

        try:
            await self.parts.send(upload, local, plan, todo, progress)
            local.check_unchanged()
        except (asyncio.CancelledError, KeyboardInterrupt):
            interrupted(transfer)
            raise
        except errors.ScenarioTuiError as exc:
            await io(partial(ledger.settle, transfer, "rejected", log_outcome="failed",
                             message=f"{exc.title}: {exc.message}",
                             http_status=getattr(exc, "status", None)))
            raise
        except BaseException as exc:  # a bug: say so (here: this must be written), let it through
            ledger.settle(transfer, "interrupted",
                          message=f"Stopped by an unexpected {type(exc).__name__}.")
            raise
        await io(partial(ledger.settle, transfer, "done", log_outcome="ok", message=(
            f"{plural(len(todo), 'part')} sent, {len(plan) - len(todo)} already sent")))

    def _beats_aside(self) -> Callable[[Callable[[], None]], object] | None:
        """How the transfer's heartbeats are written: in place (None), or, when the service
        keeps its loop free (the TUI), each in a thread, not waited for (a late one is a no-op
        once the intent is settled)."""
        if not self.service.keep_loop_free:
            return None
        loop = asyncio.get_running_loop()
        return lambda heartbeat: loop.run_in_executor(None, heartbeat)

    def _interrupted(self, upload_id: str, local: LocalFile, parts_total: int,
                     transfer: Intent | None = None) -> None:
        """Say how to resume, and write it (in place, never in a thread: the task is being
        cancelled, and this must be written before it ends)."""
        try:
            done = len(self.store.parts_sent(upload_id))
        except errors.StoreError:
            done = 0
        message = (f"Interrupted: {done} of {plural(parts_total, 'part')} of {local.name} sent; "
                   f"upload {upload_id} is kept in the store. Resume with: "
                   f"{resume_command(upload_id, local.path)}")
        self.interruption = UploadInterruptedError(message, upload_id)
        if transfer is not None:
            self.service.ledger.settle(transfer, "interrupted", message=message,
                                       log_action="upload-interrupted")
            return
        try:
            self.service.log_action("upload-interrupted", "interrupted", upload_id,
                                    message=message)
        except errors.StoreError:
            pass

    # --- imports by reference ----------------------------------------------------------------

    async def import_url(self, url: str, kind: str, *, note: str | None = None,
                         wait: bool = False, on_update: UpdateCallback | None = None
                         ) -> UploadResult:
        """Import the file at ``url`` (the API downloads it) as ``kind``."""
        return await self._import(url_reference(url, kind), note, wait, on_update)

    async def import_huggingface(self, name: str, *, note: str | None = None,
                                 wait: bool = False, on_update: UpdateCallback | None = None
                                 ) -> UploadResult:
        """Import the Hugging Face model ``owner/model``."""
        return await self._import(huggingface_reference(name), note, wait, on_update)

    async def import_civitai(self, url: str, *, note: str | None = None, wait: bool = False,
                             on_update: UpdateCallback | None = None) -> UploadResult:
        """Import the Civitai model at ``url`` (https://civitai.com/models/...)."""
        return await self._import(civitai_reference(url), note, wait, on_update)

    async def _import(self, reference: Reference, note: str | None, wait: bool,
                      on_update: UpdateCallback | None) -> UploadResult:
        upload = await create_import(self.service, reference, note)
        result = UploadResult(file=reference.label, upload_id=upload.id, status=upload.status,
                              upload=upload, kind=upload.kind)
        if wait:
            await self._follow(upload.id, result, on_update)
        return result

    # --- both --------------------------------------------------------------------------------

    async def _follow(self, upload_id: str, result: UploadResult,
                      on_update: UpdateCallback | None) -> None:
        try:
            final = await self.service.follow(upload_id, on_update=on_update,
                                              poll_min=self.poll_min, poll_max=self.poll_max)
        except errors.ScenarioTuiError as exc:
            raise UploadIncompleteError(
                upload_id, exc, f"Follow it with scenario-tui show {upload_id} --refresh.",
                status=result.status) from None
        result.upload, result.status = final, final.status
        if final.status == "failed":
            result.problem = final.error_message or "The upload failed."
