"""The parts of a multipart upload: which ones a resume still sends, and sending them.

Parts are PUT concurrently (at most ``concurrency`` at once) to their presigned URLs, with an
HTTP client of their own that sends no Scenario credentials. Each part is streamed from disk in
``chunk_size`` reads, so memory stays around ``chunk_size x concurrency`` whatever the file
size. A part whose URL expires within ``URL_REFRESH_MARGIN`` is sent with fresh URLs (the upload
is re-read); a 403 from storage re-reads once and retries; 408, 429, 5xx and network errors are
retried with the one backoff of ``api.retry`` (``PART_ATTEMPTS`` in all: a PUT of the same bytes
is safe to repeat). Each PUT has a deadline (``api.deadline``): the time to send its bytes at
``MIN_SEND_RATE``, and the whole answer within ``timeout`` of its last byte, however the storage
server drips it. Each sent part is recorded in the store, so that a resume skips it (through
``io``: in place, or in a thread for the TUI, whose loop is the UI's).
Presigned URLs never reach a message or the log.

Headless (no Textual).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any, AsyncIterator, Awaitable, BinaryIO, Callable

import httpx

from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import USER_AGENT
from scenario_tui.api.deadline import Deadline, answer_within
from scenario_tui.api.failures import network_reason
from scenario_tui.api.responses import read_capped
from scenario_tui.api.retry import backoff, retry_after
from scenario_tui.core import errors
from scenario_tui.core.inert import inert_text
from scenario_tui.core.models import Upload
from scenario_tui.core.part_plan import MIN_PART_SIZE, Part, plan_for_count, plan_parts
from scenario_tui.core.redact import scrub
from scenario_tui.core.timestamps import parse_time
from scenario_tui.core.units import MIB
from scenario_tui.service.fingerprint import Digest, read_hashed
from scenario_tui.service.local_files import LocalFile, LocalFileError
from scenario_tui.store.protocol import StoreProtocol

CHUNK_SIZE = 1 * MIB
PART_ATTEMPTS = 3
URL_REFRESH_MARGIN = 30.0  # seconds: a URL closer than this to its expiry is refreshed first
MAX_PART_WAIT = 30.0  # the longest Retry-After from storage that is waited for
#: the slowest a PUT may take its bytes (512 kbit/s) before its deadline ends it
MIN_SEND_RATE = 64 * 1024
#: storage answers a part with a few headers: a body longer than this is refused
MAX_STORAGE_ANSWER = 1 * MIB
_RETRY_STATUSES = {408, 429}
_S3_FIELD = re.compile(r"<(Code|Message)>([^<]{0,300})</\1>")


class PartUploadError(errors.ApiError):
    """Storage refused a part, or it could not be reached, after the retries allowed."""

    title = "Part upload failed"


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


ProgressCallback = Callable[[Progress], None]
#: how a store call is made (``UploadService.io``): awaited, in place or in a thread
StoreIo = Callable[[Callable[[], Any]], Awaitable[Any]]


async def in_place(call: Callable[[], Any]) -> Any:
    """``StoreIo`` on the caller's loop (the CLI's)."""
    return call()


def resume_plan(size: int, count: int, sent: dict[int, int], part_size: int | None) -> list[Part]:
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
    #: the hash of the bytes of each part being sent (the ledger records it with the part)
    digests: dict[int, Digest] = field(default_factory=dict)
    version: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class PartSender:
    """Sends the parts of multipart uploads (see the module). ``transport`` is the transport of
    the part PUT client (tests pass the fake's); ``timeout`` bounds each socket operation and
    the answer to each PUT (the client's setting when None); ``sleep`` waits between retries;
    ``clock`` measures rates and ``wall_clock`` judges URL expiry (epoch seconds); ``io``
    makes the store calls."""

    def __init__(
        self,
        client: ScenarioClient,
        store: StoreProtocol,
        *,
        transport: httpx.AsyncBaseTransport | None,
        concurrency: int,
        chunk_size: int,
        timeout: float | None,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        io: StoreIo = in_place,
    ) -> None:
        self.client, self.store = client, store
        self.concurrency, self.chunk_size = concurrency, chunk_size
        self._io = io
        self._transport = transport
        self._timeout = client.timeout if timeout is None else timeout
        self._connect_timeout = client.connect_timeout
        self._sleep, self._clock, self._wall = sleep, clock, wall_clock

    async def send(self, upload: Upload, local: LocalFile, plan: list[Part], todo: list[Part],
                   on_progress: ProgressCallback | None) -> None:
        """Send the parts ``todo`` of ``plan``; the others count as sent already."""
        done_bytes = sum(p.size for p in plan) - sum(p.size for p in todo)
        run = _Run(upload.id, local, len(plan), self._clock(), done_bytes, done_bytes,
                   len(plan) - len(todo), _part_urls(upload), on_progress)
        self._emit(run)
        if not todo:
            return
        queue = deque(todo)
        async with httpx.AsyncClient(
            transport=self._transport,
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(self._timeout, connect=self._connect_timeout),
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
            digest = run.digests.pop(part.number, None)
            sha256 = digest.hexdigest() if digest is not None else None
            await self._io(partial(self.store.record_part, run.upload_id, part.number,
                                   part.size, sha256))
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
                    response, answer = await self._put(http, url, handle, part, run, where)
                except PartUploadError as exc:  # its deadline ran out, or a huge answer
                    error = exc
                except httpx.TimeoutException:
                    error = PartUploadError(f"Storage did not answer in time for {where}.")
                    error.retryable = True
                except httpx.HTTPError as exc:
                    error = PartUploadError(
                        f"Could not send {where} to storage: {network_reason(exc)}.")
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
                        f"Storage refused {where}: {_storage_reason(response, answer)}.",
                        status=status)
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

    async def _put(self, http: httpx.AsyncClient, url: str, handle: BinaryIO, part: Part,
                   run: _Run, where: str) -> tuple[httpx.Response, bytes]:
        """PUT the part and read the whole answer, within the part's deadline: its bytes sent at
        ``MIN_SEND_RATE`` at least, then the answer within ``timeout`` of the last byte."""
        deadline = Deadline(self._connect_timeout + part.size / MIN_SEND_RATE + self._timeout)
        answering = False
        try:
            async with deadline.running() as scope:

                def sent() -> None:
                    nonlocal answering
                    answering = True
                    answer_within(scope, self._timeout)

                request = http.build_request(
                    "PUT", url, content=self._read_slice(handle, part, run, on_sent=sent),
                    headers={"Content-Length": str(part.size)})
                response = await http.send(request, stream=True)
                try:
                    answer = await read_capped(response, MAX_STORAGE_ANSWER)
                finally:
                    await response.aclose()
        except TimeoutError:
            error = PartUploadError(
                f"Storage did not finish answering within {self._timeout:g} s of receiving "
                f"{where}." if answering else
                f"Storage did not take {where} within {deadline.seconds:.0f} s.")
            error.retryable = True
            raise error from None
        except errors.BadResponseError:
            error = PartUploadError(f"Storage answered {where} with more than "
                                    f"{MAX_STORAGE_ANSWER // MIB} MiB; refusing it.")
            error.retryable = True
            raise error from None
        return response, answer

    async def _read_slice(self, handle: BinaryIO, part: Part, run: _Run,
                          on_sent: Callable[[], None] | None = None) -> AsyncIterator[bytes]:
        """Yield the part's bytes in ``chunk_size`` reads (never the whole part at once);
        ``on_sent`` is called once the last one is taken."""
        run.inflight[part.number] = 0
        run.digests[part.number] = digest = hashlib.sha256()  # each attempt hashes afresh
        await asyncio.to_thread(handle.seek, part.offset)
        remaining = part.size
        while remaining > 0:
            chunk = await asyncio.to_thread(read_hashed, handle, min(self.chunk_size, remaining),
                                            digest)
            if not chunk:
                raise LocalFileError(f"{run.local.path} became shorter while it was being "
                                     "uploaded. Start a new upload once it is stable.")
            remaining -= len(chunk)
            run.inflight[part.number] = part.size - remaining
            self._emit(run)
            yield chunk
        if on_sent is not None:
            on_sent()

    async def _url_for(self, run: _Run, number: int) -> tuple[str, int]:
        """The part's URL (refreshed first when it expires within the margin) and its version."""
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
            await self._io(partial(self.store.record_snapshot, run.upload_id, upload.to_wire()))
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


def _part_urls(upload: Upload) -> dict[int, tuple[str, float | None]]:
    """Part number -> (URL, expiry in epoch seconds or None); BadResponseError for a URL that
    cannot be sent to (said without the URL: it is a credential)."""
    urls: dict[int, tuple[str, float | None]] = {}
    for part in upload.parts or ():
        expires = parse_time(part.expires)
        url = _usable_url(part.url, int(part.number), upload.id)
        urls[int(part.number)] = (url, expires.timestamp() if expires else None)
    return urls


def _usable_url(url: str, number: int, upload_id: str) -> str:
    problem = None
    if not url.isprintable() or any(ch.isspace() for ch in url):
        problem = "it holds a control character or a space"
    else:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:  # a port out of range, say
            problem = inert_text(scrub(str(exc)), one_line=True, limit=80)
        else:
            if parsed.scheme not in ("http", "https") or not parsed.host:
                problem = "it is not an http(s) URL"
            elif parsed.port is not None and not 0 < parsed.port < 65536:
                problem = f"port {parsed.port} is out of range"
    if problem is not None:
        raise errors.BadResponseError(
            f"The API gave an unusable URL for part {number} of {upload_id} ({problem}); "
            "no part was sent.")
    return url


def _storage_reason(response: httpx.Response, answer: bytes) -> str:
    text = answer[:2000].decode("utf-8", "replace")
    found = dict(_S3_FIELD.findall(text)) if answer else {}
    detail = ": ".join(v for v in (found.get("Code"), found.get("Message")) if v)
    text = f"HTTP {response.status_code}" + (f" {detail}" if detail else "")
    return inert_text(scrub(text), one_line=True, limit=300)
