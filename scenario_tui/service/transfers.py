"""Upload local files to Scenario (multipart) and import files by reference, end to end.

Headless (no Textual): shared by the CLI and the TUI. The flow follows Scenario's own clients
(see /work/shared/scenario-api.md, "Multipart upload"):

1. check the local file, guess kind and content type, plan the parts (``part_plan``);
2. ``POST /uploads``; the new ID goes into the local store *immediately*, so it is never lost;
3. PUT the parts concurrently (at most ``concurrency`` at once) to their presigned URLs with a
   separate HTTP client that sends no Scenario credentials. Each part is streamed from disk in
   ``chunk_size`` reads, so memory stays around ``chunk_size x concurrency`` whatever the file
   size. A part whose URL expires within 30 s is sent with fresh URLs (the upload is re-read); a
   403 from storage re-reads once and retries; 408/429/5xx and network errors are retried with
   backoff (3 attempts: a PUT of the same bytes is safe to repeat). Each sent part is recorded;
4. ``complete`` exactly once, through ``UploadService.complete`` (never retried; an uncertain
   outcome is re-read), unless told not to; optionally follow it to ``imported`` or ``failed``.

An interrupted upload (cancelled task, Ctrl+C) stays in the store with the parts sent so far;
``resume`` sends only the missing ones. Presigned URLs never reach a message or the log.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import shlex
import stat
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, BinaryIO, Callable
from urllib.parse import urlsplit

import httpx

from scenario_tui import __version__
from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.retry import backoff, retry_after
from scenario_tui.core import errors
from scenario_tui.core.ids import validate_upload_id
from scenario_tui.core.inert import inert_text
from scenario_tui.core.models import Upload
from scenario_tui.core.part_plan import (
    DEFAULT_PART_SIZE,
    MIN_PART_SIZE,
    Part,
    plan_for_count,
    plan_parts,
)
from scenario_tui.core.redact import scrub, strip_query
from scenario_tui.core.timestamps import parse_time
from scenario_tui.core.units import MIB
from scenario_tui.service.uploads import CompleteResult, UpdateCallback, UploadService
from scenario_tui.store.sqlite import Store

CHUNK_SIZE = 1 * MIB
PART_ATTEMPTS = 3
URL_REFRESH_MARGIN = 30.0
MAX_PART_WAIT = 30.0
_RETRY_STATUSES = {408, 429}
_KIND_BY_EXT = {
    ".glb": "3d", ".gltf": "3d", ".fbx": "3d", ".obj": "3d", ".usdz": "3d", ".stl": "3d",
    ".safetensors": "model", ".ckpt": "model", ".pt": "model", ".pth": "model",
}
_TYPE_BY_EXT = {
    ".glb": "model/gltf-binary", ".gltf": "model/gltf+json", ".obj": "model/obj",
    ".fbx": "application/octet-stream", ".usdz": "model/vnd.usdz+zip", ".stl": "model/stl",
    ".safetensors": "application/octet-stream", ".ckpt": "application/octet-stream",
    ".pt": "application/octet-stream", ".pth": "application/octet-stream",
    ".webp": "image/webp", ".avif": "image/avif", ".heic": "image/heic",
    ".flac": "audio/flac", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".webm": "video/webm",
    ".mkv": "video/x-matroska", ".md": "text/markdown",
}
_MIME = mimetypes.MimeTypes()  # Python's built-in table only: same answer on every machine
_S3_FIELD = re.compile(r"<(Code|Message)>([^<]{0,300})</\1>")
_HF_NAME = re.compile(r"[\w.-]+/[\w.-]+")

ProgressCallback = Callable[["Progress"], None]


# --- errors ------------------------------------------------------------------------------------


class LocalFileError(errors.ScenarioTuiError):
    """The local file cannot be uploaded (missing, not a file, unreadable, empty, changed)."""

    title = "Cannot upload this file"


class UnknownKindError(errors.ScenarioTuiError):
    title = "Unknown kind"


class PartUploadError(errors.ApiError):
    """Storage refused a part, or it could not be reached, after the retries allowed."""

    title = "Part upload failed"


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


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where an upload stands. ``rate_bps`` is this run's average; ``eta_s`` None when unknown."""

    bytes_sent: int
    total: int
    rate_bps: float
    eta_s: float | None
    file_name: str
    parts_done: int
    parts_total: int

    @property
    def fraction(self) -> float:
        return self.bytes_sent / self.total if self.total else 1.0


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


@dataclass(frozen=True)
class LocalFile:
    path: Path
    name: str
    size: int
    mtime_ns: int

    def check_unchanged(self) -> None:
        try:
            now = self.path.stat()
        except OSError as exc:
            raise LocalFileError(f"{self.path} can no longer be read: {_os_reason(exc)}.") from None
        if now.st_size != self.size or now.st_mtime_ns != self.mtime_ns:
            raise LocalFileError(
                f"{self.path} changed while it was being uploaded (size or modification time); "
                "the parts no longer make one file. Start a new upload once it is stable."
            )


def inspect_file(path: str | os.PathLike[str]) -> LocalFile:
    """The file at ``path`` if it can be uploaded, else ``LocalFileError`` saying why."""
    p = Path(path).expanduser()
    try:
        info = p.stat()
    except FileNotFoundError:
        raise LocalFileError(f"No such file: {p}.") from None
    except OSError as exc:
        raise LocalFileError(f"Cannot read {p}: {_os_reason(exc)}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise LocalFileError(f"{p} is a directory; give the files inside it instead.")
    if not stat.S_ISREG(info.st_mode):
        raise LocalFileError(f"{p} is not a regular file (a pipe, socket or device cannot be "
                             "uploaded in parts).")
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise LocalFileError(f"Cannot read {p}: {_os_reason(exc)}.") from None
    if info.st_size == 0:
        raise LocalFileError(f"{p} is empty; Scenario only accepts files of at least 1 byte.")
    return LocalFile(p, p.name, info.st_size, info.st_mtime_ns)


def guess_content_type(file_name: str) -> str:
    """The MIME type for ``file_name`` (Python's table plus 3D/model formats), else binary."""
    ext = os.path.splitext(file_name)[1].lower()
    return _TYPE_BY_EXT.get(ext) or _MIME.guess_type(file_name)[0] or "application/octet-stream"


def guess_kind(file_name: str, content_type: str | None = None) -> str:
    """The upload kind: 3d/model from the extension, else image/audio/video/text from the MIME
    type; ``UnknownKindError`` when neither says."""
    ext = os.path.splitext(file_name)[1].lower()
    if ext in _KIND_BY_EXT:
        return _KIND_BY_EXT[ext]
    ctype = (content_type or guess_content_type(file_name)).split(";")[0].strip().lower()
    major = ctype.split("/")[0]
    if major in ("image", "audio", "video", "text"):
        return major
    if ctype.startswith("model/"):
        return "3d"
    raise UnknownKindError(
        f"Cannot tell what kind of upload {file_name} is (content type {ctype}); pass --kind "
        "(image, audio, video, 3d, model, text, asset or avatar)."
    )


def resume_command(upload_id: str, path: str | os.PathLike[str]) -> str:
    return f"scenario-tui upload --resume {upload_id} {shlex.quote(str(path))}"


# --- the uploader ------------------------------------------------------------------------------


@dataclass
class _Run:
    """Shared state of one upload's part transfers."""

    upload_id: str
    local: LocalFile
    parts_total: int
    started: float
    start_bytes: int
    done_bytes: int
    parts_done: int
    urls: dict[int, tuple[str, float | None]]
    on_progress: ProgressCallback | None
    inflight: dict[int, int] = field(default_factory=dict)
    version: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Uploader:
    """Uploads and imports. ``part_transport`` is the transport of the part PUT client (tests
    pass the fake's); ``sleep`` waits between retries and polls; ``clock`` measures rates and
    ``wall_clock`` judges URL expiry (epoch seconds)."""

    def __init__(
        self,
        client: ScenarioClient,
        store: Store,
        *,
        part_transport: httpx.AsyncBaseTransport | None = None,
        concurrency: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        profile: str = "default",
        read_only: bool = False,
        service: UploadService | None = None,
        chunk_size: int = CHUNK_SIZE,
        part_timeout: float = 120.0,
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
        self.profile = self.service.profile
        self.read_only = self.service.read_only
        self.concurrency, self.chunk_size = concurrency, chunk_size
        self.poll_min, self.poll_max = poll_min, poll_max
        self._part_transport = part_transport if part_transport is not None else getattr(
            client, "transport", None)
        self._part_timeout = part_timeout
        self._sleep, self._clock, self._wall = sleep, clock, wall_clock
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
            self._refuse_if_read_only("upload files")
        local = inspect_file(path)
        content_type = content_type or guess_content_type(local.name)
        kind = kind or guess_kind(local.name, content_type)
        plan = plan_parts(local.size, part_size)
        result = UploadResult(file=str(path), kind=kind, content_type=content_type,
                              file_size=local.size, parts_total=len(plan))
        fields = dict(file_name=local.name, content_type=content_type, file_size=local.size,
                      parts=len(plan), kind=kind, asset_options=asset_options)
        if dry_run:
            estimate = await self.client.create_upload(dry_run=True, **fields)
            result.status, result.estimate = "dry-run", dict(estimate)
            return result
        self.interruption = None
        started = self._clock()
        try:
            upload = await self.client.create_upload(**fields)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.interruption = UploadInterruptedError(
                f"Interrupted while creating the upload of {local.name}; if the API created it, "
                "it is not in the local store. Nothing needs resuming: upload the file again.")
            raise
        except errors.ApiError as exc:
            self._log("upload-create", "failed", None, exc=exc, prefix=f"{local.name}: ")
            raise
        assert isinstance(upload, Upload)
        self._remember(upload, note, "upload-create",
                       f"{local.name}: {local.size} bytes in {len(plan)} part(s), kind {kind}")
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
        self._refuse_if_read_only("resume uploads")
        validate_upload_id(upload_id)
        local = inspect_file(path)
        started = self._clock()
        upload = await self.client.get_upload(upload_id)
        if not self.store.contains(upload_id):
            self.store.add([upload_id], note=note)
        self.store.record_snapshot(upload_id, upload.to_wire())
        result = UploadResult(file=str(path), upload_id=upload_id, status=upload.status,
                              upload=upload, kind=upload.kind, content_type=upload.content_type,
                              file_size=local.size)
        if upload.source not in (None, "multipart"):
            raise errors.ConfigError(f"{upload_id} is an import from {upload.source}; it has "
                                     "no parts to send.")
        if upload.status != "pending":
            result.parts_total = int(upload.parts_count or 0)
            self._log("upload-resume", "skipped", upload_id,
                      message=f"nothing to send: it is already {upload.status}")
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
        sent = self.store.parts_sent(upload_id)
        plan = _resume_plan(local.size, count, sent, part_size)
        skip = {p.number for p in plan if sent.get(p.number) == p.size}
        result.parts_total = len(plan)
        self._log("upload-resume", "ok", upload_id,
                  message=f"{local.name}: {len(skip)} of {len(plan)} part(s) already sent")
        self.interruption = None
        await self._finish(upload, local, plan, skip, result, no_complete=no_complete,
                           wait=wait, on_progress=on_progress, on_update=on_update)
        result.seconds = self._clock() - started
        return result

    async def _finish(self, upload: Upload, local: LocalFile, plan: list[Part], skip: set[int],
                      result: UploadResult, *, no_complete: bool, wait: bool,
                      on_progress: ProgressCallback | None,
                      on_update: UpdateCallback | None) -> None:
        upload_id = upload.id
        todo = [p for p in plan if p.number not in skip]
        result.parts_skipped = len(plan) - len(todo)
        resume_hint = f"Upload {upload_id} is kept in the local store; resume with: " \
                      f"{resume_command(upload_id, local.path)}"
        try:
            await self._send_parts(upload, local, plan, todo, on_progress)
            result.parts_sent = len(todo)
            local.check_unchanged()
        except (asyncio.CancelledError, KeyboardInterrupt):
            self._interrupted(upload_id, local, len(plan))
            raise
        except errors.ScenarioTuiError as exc:
            self._log("upload-parts", "failed", upload_id, exc=exc)
            done = len(self.store.parts_sent(upload_id))
            raise UploadIncompleteError(
                upload_id, exc, f"{done} of {len(plan)} part(s) are sent. {resume_hint}",
                status="pending") from None
        self._log("upload-parts", "ok", upload_id,
                  message=f"{len(todo)} part(s) sent, {result.parts_skipped} already sent")
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

    # --- parts -------------------------------------------------------------------------------

    async def _send_parts(self, upload: Upload, local: LocalFile, plan: list[Part],
                          todo: list[Part], on_progress: ProgressCallback | None) -> None:
        done_bytes = sum(p.size for p in plan) - sum(p.size for p in todo)
        run = _Run(upload.id, local, len(plan), self._clock(), done_bytes, done_bytes,
                   len(plan) - len(todo), _part_urls(upload), on_progress)
        self._emit(run)
        if not todo:
            return
        queue = deque(todo)
        async with httpx.AsyncClient(
            transport=self._part_transport,
            headers={"User-Agent": f"scenario-tui/{__version__}"},
            timeout=httpx.Timeout(self._part_timeout, connect=10.0),
            limits=httpx.Limits(max_connections=self.concurrency,
                                max_keepalive_connections=self.concurrency),
            follow_redirects=False,
        ) as http:
            tasks = [asyncio.create_task(self._worker(http, run, queue))
                     for _ in range(min(self.concurrency, len(todo)))]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]

    async def _worker(self, http: httpx.AsyncClient, run: _Run, queue: deque[Part]) -> None:
        while queue:
            part = queue.popleft()
            await self._send_part(http, run, part)
            self.store.record_part(run.upload_id, part.number, part.size)
            run.done_bytes += part.size
            run.parts_done += 1
            self._emit(run)

    async def _send_part(self, http: httpx.AsyncClient, run: _Run, part: Part) -> None:
        where = f"part {part.number} of {run.parts_total}"
        refreshed_after_403 = False
        attempt = 0
        with open(run.local.path, "rb") as handle:
            while True:
                run.local.check_unchanged()
                url, version = await self._url_for(run, part.number)
                error: PartUploadError
                try:
                    response = await http.put(
                        url, content=self._read_slice(handle, part, run),
                        headers={"Content-Length": str(part.size)},
                    )
                except httpx.TimeoutException:
                    error = PartUploadError(f"Storage did not answer in time for {where}.")
                    error.retryable = True
                except httpx.HTTPError as exc:
                    error = PartUploadError(f"Could not send {where} to storage: {_reason(exc)}.")
                    error.retryable = True
                else:
                    if response.is_success:
                        return
                    status = response.status_code
                    if status == 403 and not refreshed_after_403:
                        refreshed_after_403 = True  # expired or revoked: one fresh URL, once
                        await self._refresh_urls(run, version)
                        continue
                    error = PartUploadError(
                        f"Storage refused {where}: {_storage_reason(response)}.", status=status)
                    error.retryable = status in _RETRY_STATUSES or status >= 500
                    error.wait_hint = retry_after(response.headers)
                finally:
                    run.inflight.pop(part.number, None)
                attempt += 1
                if not error.retryable or attempt >= PART_ATTEMPTS:
                    if attempt > 1:
                        error.message += f" (after {attempt} attempts)"
                    raise error
                await self._sleep(backoff(attempt - 1, error.wait_hint, cap=MAX_PART_WAIT))

    async def _read_slice(self, handle: BinaryIO, part: Part, run: _Run) -> AsyncIterator[bytes]:
        """Yield the part's bytes in ``chunk_size`` reads (never the whole part at once)."""
        run.inflight[part.number] = 0
        await asyncio.to_thread(handle.seek, part.offset)
        remaining = part.size
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(self.chunk_size, remaining))
            if not chunk:
                raise LocalFileError(f"{run.local.path} became shorter while it was being "
                                     "uploaded. Start a new upload once it is stable.")
            remaining -= len(chunk)
            run.inflight[part.number] = part.size - remaining
            self._emit(run)
            yield chunk

    async def _url_for(self, run: _Run, number: int) -> tuple[str, int]:
        """The part's URL (refreshed first when it expires within 30 s) and its version."""
        url, expires = run.urls.get(number, (None, None))
        if url is None or (expires is not None and expires - self._wall() < URL_REFRESH_MARGIN):
            await self._refresh_urls(run, run.version)
            url, _ = run.urls.get(number, (None, None))
        if url is None:
            raise errors.BadResponseError(
                f"The API gave no URL for part {number} of {run.parts_total} of {run.upload_id}.")
        return url, run.version

    async def _refresh_urls(self, run: _Run, seen_version: int) -> None:
        """Re-read the upload for fresh part URLs (once, however many workers ask at once)."""
        async with run.lock:
            if run.version != seen_version:
                return  # another worker refreshed them meanwhile
            upload = await self.client.get_upload(run.upload_id)
            self.store.record_snapshot(run.upload_id, upload.to_wire())
            if upload.status != "pending":
                raise PartUploadError(f"{run.upload_id} is now {upload.status}; parts can only "
                                      "be sent while an upload is pending.")
            run.urls = _part_urls(upload)
            run.version += 1

    def _emit(self, run: _Run) -> None:
        if run.on_progress is None:
            return
        sent = run.done_bytes + sum(run.inflight.values())
        elapsed = self._clock() - run.started
        rate = (sent - run.start_bytes) / elapsed if elapsed > 0 else 0.0
        total = run.local.size
        eta = (total - sent) / rate if rate > 0 else (0.0 if sent >= total else None)
        run.on_progress(Progress(sent, total, rate, eta, run.local.name, run.parts_done,
                                 run.parts_total))

    # --- imports by reference ----------------------------------------------------------------

    async def import_url(self, url: str, kind: str, *, note: str | None = None,
                         wait: bool = False, on_update: UpdateCallback | None = None
                         ) -> UploadResult:
        """Import the file at ``url`` (the API downloads it) as ``kind``."""
        _check_http_url(url, "The import URL")
        if not kind:
            raise errors.ConfigError("An import by URL needs a kind (--kind image, audio, ...).")
        return await self._import(strip_query(url), dict(url=url, kind=kind), note, wait,
                                  on_update)

    async def import_huggingface(self, name: str, *, note: str | None = None,
                                 wait: bool = False, on_update: UpdateCallback | None = None
                                 ) -> UploadResult:
        """Import the Hugging Face model ``owner/model``."""
        if not _HF_NAME.fullmatch(name or ""):
            raise errors.ConfigError(f"{inert_text(name, one_line=True)!r} is not a Hugging Face "
                                     "model name; write it as owner/model.")
        return await self._import(name, dict(hugging_face_model_name=name, kind="model"), note,
                                  wait, on_update)

    async def import_civitai(self, url: str, *, note: str | None = None, wait: bool = False,
                             on_update: UpdateCallback | None = None) -> UploadResult:
        """Import the Civitai model at ``url`` (https://civitai.com/models/...)."""
        _check_http_url(url, "The Civitai URL")
        return await self._import(strip_query(url), dict(civitai_model_url=url, kind="model"),
                                  note, wait, on_update)

    async def _import(self, label: str, fields: dict[str, Any], note: str | None, wait: bool,
                      on_update: UpdateCallback | None) -> UploadResult:
        self._refuse_if_read_only("import files")
        try:
            upload = await self.client.create_upload(**fields)
        except errors.ApiError as exc:
            self._log("import-create", "failed", None, exc=exc, prefix=f"{label}: ")
            raise
        assert isinstance(upload, Upload)
        self._remember(upload, note, "import-create", f"{upload.source or 'import'}: {label}")
        result = UploadResult(file=label, upload_id=upload.id, status=upload.status,
                              upload=upload, kind=upload.kind)
        if wait:
            await self._follow(upload.id, result, on_update)
        return result

    # --- helpers -----------------------------------------------------------------------------

    def _remember(self, upload: Upload, note: str | None, action: str, message: str) -> None:
        try:
            self.store.add([upload.id], note=note)
            self.store.record_snapshot(upload.id, upload.to_wire())
            self._log(action, "ok", upload.id, message=message)
        except errors.StoreError as exc:
            raise type(exc)(f"{exc.message} Upload {upload.id} was created but could not be "
                            "saved in the local store: note its ID.") from None

    def _interrupted(self, upload_id: str, local: LocalFile, parts_total: int) -> None:
        try:
            done = len(self.store.parts_sent(upload_id))
        except errors.StoreError:
            done = 0
        message = (f"Interrupted: {done} of {parts_total} part(s) of {local.name} are sent and "
                   f"upload {upload_id} is kept in the local store. Resume with: "
                   f"{resume_command(upload_id, local.path)}")
        self.interruption = UploadInterruptedError(message, upload_id)
        try:
            self._log("upload-interrupted", "interrupted", upload_id, message=message)
        except errors.StoreError:
            pass

    def _refuse_if_read_only(self, what: str) -> None:
        if self.read_only:
            raise errors.ReadOnlyError(f"Cannot {what}: scenario-tui runs with --read-only.")

    def _log(self, action: str, outcome: str, upload_id: str | None, *,
             exc: errors.ScenarioTuiError | None = None, message: str | None = None,
             prefix: str = "") -> None:
        status = None
        if exc is not None:
            message = f"{exc.title}: {exc.message}"
            status = getattr(exc, "status", None)
        self.store.log_event(action=action, outcome=outcome, upload_id=upload_id,
                             profile=self.profile, http_status=status,
                             message=scrub(prefix + message) if message else None)


# --- module helpers ----------------------------------------------------------------------------


def _resume_plan(size: int, count: int, sent: dict[int, int], part_size: int | None) -> list[Part]:
    """The plan the upload was created with: from a recorded non-last part when there is one
    (every non-last part has the same size), else ``part_size`` if it makes ``count`` parts."""
    known = next((s for n, s in sorted(sent.items()) if n < count and s), None)
    if known is not None:
        return plan_for_count(size, count, known)
    last = sent.get(count)
    if last and count > 1 and (size - last) % (count - 1) == 0:
        # only the last part went up: the others were all (size - last) / (count - 1) bytes
        return plan_for_count(size, count, (size - last) // (count - 1))
    if part_size is not None:
        try:
            plan = plan_parts(size, part_size)
        except errors.ConfigError:
            plan = []
        if len(plan) == count:
            return plan
    # nothing recorded (interrupted before the first answer was saved): the smallest whole-MiB
    # part size that cuts the file into ``count`` parts, as our own plans use whole MiB
    whole = max(MIN_PART_SIZE, -(-size // count))
    whole = -(-whole // MIB) * MIB
    if count > 1 and whole * (count - 1) < size <= whole * count:
        return plan_for_count(size, count, whole)
    return plan_for_count(size, count)


def _timestamp(value: str | None) -> float | None:
    moment = parse_time(value)
    return moment.timestamp() if moment else None


def _part_urls(upload: Upload) -> dict[int, tuple[str, float | None]]:
    urls: dict[int, tuple[str, float | None]] = {}
    for part in upload.parts or ():
        urls[int(part.number)] = (part.url, _timestamp(part.expires))
    return urls



def _storage_reason(response: httpx.Response) -> str:
    found = dict(_S3_FIELD.findall(response.text[:2000])) if response.content else {}
    detail = ": ".join(v for v in (found.get("Code"), found.get("Message")) if v)
    text = f"HTTP {response.status_code}" + (f" {detail}" if detail else "")
    return inert_text(scrub(text), one_line=True, limit=300)




def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return inert_text(scrub(text), one_line=True, limit=200)


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _check_http_url(url: str, what: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        shown = inert_text(strip_query(url or ""), one_line=True, limit=80)
        raise errors.ConfigError(f"{what} must be an http(s) URL, not {shown!r}.")
