"""Async client for the Scenario uploads API: its endpoints and when a request is tried again.

Every httpx, JSON and validation failure becomes an error of ``core.errors`` (``responses.py``
for answers, ``failures.py`` for requests that got none); nothing else in the app sees httpx
exceptions. Reads are retried with backoff (as the official SDK does); ``complete`` is sent
exactly once, and when its answer is lost (or refused as a conflict) the upload is re-read
instead. Each call ends within its deadline (``transport.Deadline``), all attempts together, and
an answer about another object than the one asked for is refused.

httpx, pydantic and the wire models are imported on first use, and the ``httpx.AsyncClient``
(with its TLS context, ``httpx_client.py``) is made at the first request: building a client
costs nothing, so the TUI paints its first screen before any of that is loaded.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import quote

from scenario_tui.api.credentials import Credentials, request_headers
from scenario_tui.api.deadline import Deadline
from scenario_tui.api.responses import (
    MAX_BODY_BYTES,
    UPLOAD_BODY_BYTES,
    json_or_error,
    read_capped,
    unwrap,
)
from scenario_tui.api.retry import MAX_HONOURED_WAIT, backoff
from scenario_tui.core import errors
from scenario_tui.core.ids import validate_upload_id
from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import scrub

if TYPE_CHECKING:
    import httpx

    from scenario_tui.core.models import Asset, Job, Upload


@dataclass
class CompleteOutcome:
    """What a complete call led to.

    ``upload`` is the latest state known (None when even the re-read failed). When the POST's
    answer was lost (timeout, dropped connection, 5xx, an answer about another upload) or was a
    conflict (409: someone else may have completed it), ``uncertain_cause`` holds that error and
    ``upload`` comes from a re-read; ``reread_error`` is set if that re-read failed too.
    """

    upload: Upload | None
    uncertain_cause: errors.ApiError | None = None
    reread_error: errors.ApiError | None = None

    @property
    def uncertain(self) -> bool:
        return self.uncertain_cause is not None

    def summary(self) -> str:
        if not self.uncertain:
            return f"Complete accepted: now {self.upload.status}." if self.upload else "Done."
        cause = self.uncertain_cause.message if self.uncertain_cause else ""
        if self.upload is None:
            return (
                f"Outcome unknown: {cause} Re-reading the upload failed too; refresh it before "
                "trying again."
            )
        conflict = isinstance(self.uncertain_cause, errors.ConflictError)
        if self.upload.status == "pending":
            return (
                f"Outcome uncertain: {cause} A re-read shows the upload still pending, so the "
                f"complete {'was not applied' if conflict else 'most likely did not arrive'}; "
                "it was not sent again."
            )
        if conflict:  # refused, yet no longer pending: a complete went through before ours
            return (
                f"Outcome uncertain: the API refused this complete as a conflict ({cause}). "
                f"A re-read shows it is now {self.upload.status}: it was already completed, by "
                "someone else or by an earlier request, so a complete went through."
            )
        return (
            f"Outcome uncertain: {cause} A re-read shows it is now {self.upload.status}, so the "
            "complete went through."
        )


class _Pause:
    """A rate-limit pause, in the client's clock, shared by a client and its siblings: until
    ``until`` every request waits, or, when ``refuse`` (the server asked for more than the cap),
    fails at once, unsent."""

    __slots__ = ("until", "refuse")

    def __init__(self) -> None:
        self.until = 0.0
        self.refuse = False

    def extend(self, until: float, *, refuse: bool, now: float) -> None:
        if refuse or now >= self.until:  # a refusal under way is not turned into a wait
            self.refuse = refuse
        self.until = max(self.until, until)


class ScenarioClient:
    """The uploads API. Construct with a transport to talk to the fake or a mock."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials | None = None,
        project_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 5.0,
        max_retries: int = 2,
        custom_headers: dict[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_connections: int = 100,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.project_id = project_id
        #: the injected transport (None: real network); the part uploader reuses it
        self.transport = transport
        self.max_retries = max_retries
        self._sleep = sleep
        self._clock = clock
        #: until when every request waits after a 429 (shared with ``sibling()`` clients)
        self._pause = _Pause()
        #: requests sent so far (every attempt counts), and the number of the latest-sent one
        #: answered 429: a bulk caller compares them to tell a new rate limit from one it has
        #: already reacted to (``service.refresh_many`` halves its window once per new one)
        self.requests_sent = 0
        self.last_rate_limited = 0
        #: every call (connect, send, read every byte, all its attempts) ends within this:
        #: httpx's own timeouts are per socket operation, so a dripping server could hold us
        self._deadline = timeout + connect_timeout
        self._headers = request_headers(credentials, custom_headers)
        #: httpx's per-operation timeouts (the part uploader uses them too)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._max_connections = max_connections
        self._http_client: httpx.AsyncClient | None = None
        self._http_lock = threading.Lock()  # warm_up may run in a thread

    @property
    def _cooldown_until(self) -> float:
        return self._pause.until

    @_cooldown_until.setter
    def _cooldown_until(self, value: float) -> None:
        self._pause.until = value

    def sibling(self) -> ScenarioClient:
        """A client like this one, for use on another event loop: the same settings, an
        injected transport if any, and its own HTTP connections (made at its first request, in
        its loop). The pause after a 429 is shared: a rate limit seen by either makes both
        wait. Its request counters start at zero."""
        twin = copy.copy(self)
        twin._http_client = None
        twin._http_lock = threading.Lock()
        twin.requests_sent = 0
        twin.last_rate_limited = 0
        return twin

    def warm_up(self) -> None:
        """Import httpx and the wire models and make the HTTP client (TLS context included).

        Blocking, and safe to call from a thread: the TUI calls it in one after its first paint,
        so the first request does not stall the event loop while these load.
        """
        importlib.import_module("scenario_tui.core.models")  # pydantic builds the validators here
        self._http  # noqa: B018  (made here, in the caller's thread)

    @property
    def _http(self) -> httpx.AsyncClient:
        """The one ``httpx.AsyncClient``, made at first use (importing httpx, loading CAs)."""
        if self._http_client is not None:
            return self._http_client
        with self._http_lock:
            if self._http_client is None:
                from scenario_tui.api.httpx_client import make_http_client

                self._http_client = make_http_client(
                    base_url=self.base_url, headers=self._headers, transport=self.transport,
                    timeout=self.timeout, connect_timeout=self.connect_timeout,
                    max_connections=self._max_connections,
                )
            return self._http_client

    async def __aenter__(self) -> ScenarioClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()

    # --- endpoints ---------------------------------------------------------------------------

    async def get_upload(self, upload_id: str) -> Upload:
        path = f"uploads/{_segment(validate_upload_id(upload_id))}"
        body = await self._call("GET", path, retry=True, limit=UPLOAD_BODY_BYTES)
        return _the_one_asked(unwrap(body, "upload"), upload_id, "upload")

    async def complete_upload(self, upload_id: str) -> CompleteOutcome:
        """POST the complete action once. Never retried: an uncertain answer, or a conflict
        (someone else may have completed it), is re-read and reported with what it shows."""
        path = f"uploads/{_segment(validate_upload_id(upload_id))}/action"
        try:
            body = await self._call("POST", path, json_body={"action": "complete"}, retry=False,
                                    limit=UPLOAD_BODY_BYTES)
            # a 2xx we cannot read, or about another upload, is uncertain too
            upload = _the_one_asked(unwrap(body, "upload"), upload_id, "upload")
        except (errors.ApiTimeoutError, errors.ServerError, errors.BadResponseError,
                errors.ConflictError) as exc:
            return await self._reread_after(upload_id, exc)
        except errors.ApiConnectionError as exc:
            if not exc.maybe_sent:
                raise
            return await self._reread_after(upload_id, exc)
        return CompleteOutcome(upload)

    async def create_upload(self, *, dry_run: bool = False, **fields: Any) -> Upload | dict:
        """POST /uploads. ``fields`` are snake_case (file_name, parts, kind, url ...).

        With ``dry_run`` the API answers HTTP 269 with a cost estimate, returned as a dict.
        Creating is not retried: a lost answer could leave an upload behind.
        """
        # the wire models' own alias generator names the fields as the API does
        from pydantic.alias_generators import to_camel

        payload = {to_camel(k): v for k, v in fields.items() if v is not None}
        if "asset_options" in fields and fields["asset_options"]:
            payload["assetOptions"] = {
                to_camel(k): v for k, v in fields["asset_options"].items() if v is not None
            }
        query = {"dryRun": "true"} if dry_run else None
        body = await self._call("POST", "uploads", json_body=payload, retry=False, query=query,
                                limit=UPLOAD_BODY_BYTES)
        if dry_run:
            return body if isinstance(body, dict) else {"estimate": body}
        return unwrap(body, "upload")

    async def get_job(self, job_id: str) -> Job:
        body = await self._call("GET", f"jobs/{_segment(validate_upload_id(job_id))}", retry=True)
        job = unwrap(body, "job")
        _the_one_asked(job, job_id, "job", job.job_id)
        return job

    async def get_asset(self, asset_id: str) -> Asset:
        path = f"assets/{_segment(validate_upload_id(asset_id))}"
        body = await self._call("GET", path, retry=True)
        return _the_one_asked(unwrap(body, "asset"), asset_id, "asset")

    # --- plumbing ----------------------------------------------------------------------------

    async def _reread_after(self, upload_id: str, cause: errors.ApiError) -> CompleteOutcome:
        try:
            upload = await self.get_upload(upload_id)
        except errors.ApiError as exc:
            return CompleteOutcome(None, uncertain_cause=cause, reread_error=exc)
        return CompleteOutcome(upload, uncertain_cause=cause)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        json_body: Any = None,
        query: dict[str, str] | None = None,
        limit: int = MAX_BODY_BYTES,
    ) -> Any:
        """Send the request (again after a retryable failure, when ``retry``) and return the
        parsed answer; every attempt together within the call's deadline."""
        params = dict(query or {})
        if self.project_id:
            params["projectId"] = self.project_id
        attempts = 1 + (self.max_retries if retry else 0)
        deadline = Deadline(self._deadline)
        for attempt in range(attempts):
            await self._wait_for_cooldown()
            self.requests_sent += 1
            number = self.requests_sent
            try:
                response, body = await self._send(method, path, params, json_body, deadline,
                                                  limit)
                return json_or_error(response, body)
            except errors.ApiError as exc:
                delay = backoff(attempt, exc.wait_hint)
                if isinstance(exc, errors.RateLimitedError):
                    self.last_rate_limited = max(self.last_rate_limited, number)
                    # one shared cooldown, with or without a hint: every request of this client
                    # waits, not just this one, so a bulk refresh backs off as a whole
                    pause = exc.retry_after or delay  # never above the cap (``capped_wait``)
                    # asked for more than we wait: every request fails at once for the capped
                    # pause, and this one says so now instead of hanging
                    over = (exc.wait_hint or 0) > MAX_HONOURED_WAIT
                    now = self._clock()
                    self._pause.extend(now + pause, refuse=over, now=now)
                    if over:
                        raise
                last = attempt == attempts - 1 or deadline.left <= 0
                hinted = exc.should_retry
                if last or not (exc.retryable if hinted is None else hinted):
                    raise
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_for_cooldown(self) -> None:
        remaining = self._cooldown_until - self._clock()
        if remaining > 0 and self._pause.refuse:
            raise errors.RateLimitedError(
                "The API asked for a pause before any further request; nothing was sent.",
                retry_after=remaining,
            )
        if remaining > 0:
            await self._sleep(min(remaining, MAX_HONOURED_WAIT))

    async def _send(
        self, method: str, path: str, params: dict[str, str], json_body: Any,
        deadline: Deadline, limit: int,
    ) -> tuple[httpx.Response, bytes]:
        import httpx

        from scenario_tui.api.failures import network_error

        where = f"{method} {path.split('/')[0]}"
        try:
            # an absolute URL: httpx parses it once, where a relative one is parsed, merged
            # with the base URL and parsed again (bench/RESULTS.md)
            request = self._http.build_request(
                method, f"{self.base_url}/{path}", params=params or None, json=json_body
            )
        except httpx.InvalidURL as exc:
            raise errors.ConfigError(f"Invalid request URL: {scrub(str(exc))}") from None
        sent = False
        try:
            async with deadline.running():
                response = await self._http.send(request, stream=True)
                sent = True
                try:
                    body = await read_capped(response, limit)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise errors.ApiTimeoutError(
                f"{self._host} did not finish answering within {deadline.seconds:g} s ({where})."
            ) from None
        except httpx.HTTPError as exc:
            raise network_error(exc, host=self._host, where=where, sent=sent) from None
        return response, body

    @property
    def _host(self) -> str:
        return self._http.base_url.host or "the API"


def _segment(value: str) -> str:
    return quote(value, safe="")


def _the_one_asked(found: Any, asked: str, what: str, got: str | None = None) -> Any:
    """``found`` when its ID (``got``, else ``found.id``) is the one asked for; else the answer
    is about another object and is refused: never stored under, or decided from, the asked ID."""
    got = found.id if got is None else got
    if got != asked:
        shown = inert_text(scrub(str(got)), one_line=True, limit=80)
        raise errors.BadResponseError(
            f"Asked for {what} {asked}, the API answered with {what} {shown}; the answer was "
            "not used."
        )
    return found
