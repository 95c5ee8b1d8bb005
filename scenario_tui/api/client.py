"""Async client for the Scenario uploads API over one ``httpx.AsyncClient``.

Every httpx, JSON and validation failure is translated here into the ``errors`` tree; nothing
else in the app sees httpx exceptions. Reads are retried with backoff (as the official SDK does);
``complete`` is sent exactly once, and when its answer is lost the upload is re-read instead.

httpx, pydantic and the wire models are imported on first use, and the ``httpx.AsyncClient``
(with its TLS context) is made at the first request: building a client costs nothing, so the TUI
paints its first screen before any of that is loaded.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import quote

from scenario_tui import __version__
from scenario_tui.api.retry import (
    MAX_HONOURED_WAIT,
    backoff,
    finite_seconds,
    retry_after,
)
from scenario_tui.core import errors
from scenario_tui.core.ids import validate_upload_id
from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import register_secret, scrub

if TYPE_CHECKING:
    import httpx

    from scenario_tui.core.models import Asset, Job, Upload

MAX_BODY_BYTES = 8 * 1024 * 1024
#: JSON nested deeper than this is refused (no wire object is remotely this deep; deeper values
#: overflow the parser's recursion and pydantic's serializer)
MAX_JSON_DEPTH = 100
_MESSAGE_KEYS = ("reason", "message", "error", "detail")
_STATUS_ERRORS: dict[int, type[errors.ApiError]] = {
    400: errors.RequestRejectedError,
    401: errors.AuthError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    408: errors.ApiTimeoutError,
    409: errors.ConflictError,
    422: errors.RequestRejectedError,
    429: errors.RateLimitedError,
}
_RETRY_STATUSES = {408, 409, 429}


@dataclass(frozen=True)
class Credentials:
    """API key + secret (HTTP Basic) or a JWT (Bearer); Basic wins when both are set."""

    api_key: str | None = None
    api_secret: str | None = None
    jwt: str | None = None

    def header(self) -> str | None:
        if self.api_key and self.api_secret:
            token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
            return f"Basic {token}"
        if self.jwt:
            return f"Bearer {self.jwt}"
        return None

    def __repr__(self) -> str:  # never show a secret, even in a debugger or traceback
        return f"Credentials(api_key={'set' if self.api_key else None}, secret=..., jwt=...)"


@dataclass
class CompleteOutcome:
    """What a complete call led to.

    ``upload`` is the latest state known (None when even the re-read failed). When the POST's
    answer was lost (timeout, dropped connection, 5xx), ``uncertain_cause`` holds that error and
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
        if self.upload.status == "pending":
            return (
                f"Outcome uncertain: {cause} A re-read shows the upload still pending, so the "
                "complete most likely did not arrive; it was not sent again."
            )
        return (
            f"Outcome uncertain: {cause} A re-read shows it is now {self.upload.status}, so the "
            "complete went through."
        )


#: names of custom headers whose values are kept out of every text like the API secret
_CREDENTIAL_HEADER = re.compile(r"(?i)auth|token|key|secret|cookie|session|sign|pass|cred")


class _Pause:
    """A rate-limit pause, in the client's clock, shared by a client and its siblings."""

    __slots__ = ("until",)

    def __init__(self) -> None:
        self.until = 0.0


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
        #: the whole exchange (connect, send, read every byte) must end within this: httpx's own
        #: timeouts are per socket operation, so a server dripping bytes could hold us forever
        self._deadline = timeout + connect_timeout
        creds = credentials or Credentials()
        auth = creds.header()
        # the header value, and its bare token too (base64 of key:secret is the credential)
        for secret in (creds.api_secret, creds.jwt, auth, auth.partition(" ")[2] if auth else None):
            register_secret(secret)
        for name, value in (custom_headers or {}).items():  # a gateway's token, say
            if _CREDENTIAL_HEADER.search(name):
                register_secret(value)
        headers = {
            "Accept": "application/json",
            "User-Agent": f"scenario-tui/{__version__}",
            **(custom_headers or {}),
        }
        if auth:
            headers["Authorization"] = auth
        self._http_options = {
            "headers": headers, "timeout": timeout, "connect_timeout": connect_timeout,
            "max_connections": max_connections,
        }
        self._http_client: httpx.AsyncClient | None = None
        self._http_lock = threading.Lock()  # warm_up may run in a thread

    @property
    def _cooldown_until(self) -> float:
        return self._pause.until

    @_cooldown_until.setter
    def _cooldown_until(self, value: float) -> None:
        self._pause.until = value

    def sibling(self) -> "ScenarioClient":
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
        so the first request does not stall the event loop for these few hundred milliseconds.
        """
        import importlib

        importlib.import_module("scenario_tui.core.models")  # pydantic builds the validators here
        self._http  # noqa: B018  (made here, in the caller's thread)

    @property
    def _http(self) -> httpx.AsyncClient:
        """The one ``httpx.AsyncClient``, made at first use (importing httpx, loading CAs)."""
        if self._http_client is not None:
            return self._http_client
        with self._http_lock:
            if self._http_client is not None:
                return self._http_client
            import httpx

            opts = self._http_options
            self._http_client = _cookieless_client_class()(
                base_url=self.base_url + "/",
                headers=opts["headers"],
                transport=(self.transport if self.transport is not None
                           else _default_transport(self.base_url, opts)),
                timeout=httpx.Timeout(opts["timeout"], connect=opts["connect_timeout"]),
                limits=httpx.Limits(
                    max_connections=opts["max_connections"], max_keepalive_connections=20
                ),
                follow_redirects=False,
            )
        return self._http_client

    async def __aenter__(self) -> "ScenarioClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()

    # --- endpoints ---------------------------------------------------------------------------

    async def get_upload(self, upload_id: str) -> Upload:
        path = f"uploads/{_segment(validate_upload_id(upload_id))}"
        body = await self._call("GET", path, retry=True)
        return _unwrap(body, "upload")

    async def complete_upload(self, upload_id: str) -> CompleteOutcome:
        """POST the complete action once. Never retried: an uncertain answer is re-read."""
        path = f"uploads/{_segment(validate_upload_id(upload_id))}/action"
        try:
            body = await self._call("POST", path, json_body={"action": "complete"}, retry=False)
            upload = _unwrap(body, "upload")  # a 2xx we cannot read is uncertain too
        except (errors.ApiTimeoutError, errors.ServerError, errors.BadResponseError) as exc:
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
        payload = {_camel(k): v for k, v in fields.items() if v is not None}
        if "asset_options" in fields and fields["asset_options"]:
            payload["assetOptions"] = {
                _camel(k): v for k, v in fields["asset_options"].items() if v is not None
            }
        query = {"dryRun": "true"} if dry_run else None
        body = await self._call("POST", "uploads", json_body=payload, retry=False, query=query)
        if dry_run:
            return body if isinstance(body, dict) else {"estimate": body}
        return _unwrap(body, "upload")

    async def get_job(self, job_id: str) -> Job:
        body = await self._call("GET", f"jobs/{_segment(validate_upload_id(job_id))}", retry=True)
        return _unwrap(body, "job")

    async def get_asset(self, asset_id: str) -> Asset:
        path = f"assets/{_segment(validate_upload_id(asset_id))}"
        body = await self._call("GET", path, retry=True)
        return _unwrap(body, "asset")

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
    ) -> Any:
        params = dict(query or {})
        if self.project_id:
            params["projectId"] = self.project_id
        attempts = 1 + (self.max_retries if retry else 0)
        for attempt in range(attempts):
            await self._wait_for_cooldown()
            self.requests_sent += 1
            number = self.requests_sent
            try:
                response, body = await self._send(method, path, params, json_body)
                return _check(response, body)
            except errors.ApiError as exc:
                delay = backoff(attempt, exc.wait_hint)
                if isinstance(exc, errors.RateLimitedError):
                    self.last_rate_limited = max(self.last_rate_limited, number)
                    # one shared cooldown, with or without a hint: every request of this client
                    # waits, not just this one, so a bulk refresh backs off as a whole
                    pause = exc.retry_after or delay
                    self._cooldown_until = max(self._cooldown_until, self._clock() + pause)
                    if pause > MAX_HONOURED_WAIT:
                        raise  # a long pause: say so now ("try again in N s") instead of hanging
                last = attempt == attempts - 1
                hinted = exc.should_retry
                if last or not (exc.retryable if hinted is None else hinted):
                    raise
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_for_cooldown(self) -> None:
        remaining = self._cooldown_until - self._clock()
        if remaining > MAX_HONOURED_WAIT:
            raise errors.RateLimitedError(
                "The API asked for a pause before any further request; nothing was sent.",
                retry_after=remaining,
            )
        if remaining > 0:
            await self._sleep(remaining)

    async def _send(
        self, method: str, path: str, params: dict[str, str], json_body: Any
    ) -> tuple[httpx.Response, bytes]:
        import httpx

        where = f"{method} {path.split('/')[0]}"
        try:
            # an absolute URL: httpx parses it once, where a relative one is parsed, merged
            # with the base URL and parsed again (0.2 ms a request)
            request = self._http.build_request(
                method, f"{self.base_url}/{path}", params=params or None, json=json_body
            )
        except httpx.InvalidURL as exc:
            raise errors.ConfigError(f"Invalid request URL: {scrub(str(exc))}") from None
        sent = False
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._http.send(request, stream=True)
                sent = True
                try:
                    body = await _read_capped(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise errors.ApiTimeoutError(
                f"{self._host} did not finish answering within {self._deadline:g} s ({where})."
            ) from None
        except httpx.ConnectTimeout:
            raise errors.ApiTimeoutError(
                f"Could not connect to {self._host} within the connect timeout ({where})."
            ) from None
        except httpx.TimeoutException:
            raise errors.ApiTimeoutError(
                f"{self._host} did not answer in time ({where})."
            ) from None
        except httpx.ConnectError as exc:
            raise _connection_error(
                f"Cannot reach {self._host}: {_reason(exc)} ({where}).", maybe_sent=False
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise _connection_error(
                f"The connection to {self._host} dropped before the answer arrived ({where}).",
                maybe_sent=True,
            ) from None
        except httpx.HTTPError as exc:
            raise _connection_error(
                f"Network error talking to {self._host}: {_reason(exc)} ({where}).",
                maybe_sent=sent,
            ) from None
        return response, body

    @property
    def _host(self) -> str:
        return self._http.base_url.host or "the API"


_COOKIELESS: type | None = None


def _cookieless_client_class() -> type:
    """``httpx.AsyncClient`` without a cookie jar. The uploads API sets no cookies and the
    client sends credentials in a header; httpx would still hand every answer to the
    standard library's cookie jar (about 0.1 to 0.2 ms of Python a request, near a tenth of
    a bulk refresh's cost per upload). A ``Set-Cookie`` is ignored, never sent back."""
    global _COOKIELESS
    if _COOKIELESS is None:
        import httpx

        class _NoCookies(httpx.Cookies):
            def extract_cookies(self, response: httpx.Response) -> None:
                return None

        class CookielessAsyncClient(httpx.AsyncClient):
            _no_cookies = _NoCookies()

            @property
            def cookies(self) -> httpx.Cookies:
                return self._no_cookies

            @cookies.setter
            def cookies(self, value) -> None:
                if value:
                    raise ValueError("this client keeps no cookies")

        _COOKIELESS = CookielessAsyncClient
    return _COOKIELESS


def _default_transport(base_url: str, opts: dict[str, Any]) -> httpx.AsyncBaseTransport | None:
    """The lean HTTP/1.1 transport (``transport.py``), or None (httpx's own) when the
    environment names a proxy: httpx reads those variables only for its own transport."""
    from urllib.request import getproxies

    if any(scheme in getproxies() for scheme in ("http", "https", "all")):
        return None
    import httpx

    from scenario_tui.api.transport import AsyncioTransport

    secure = base_url.lower().startswith("https:")
    return AsyncioTransport(
        ssl_context=httpx.create_ssl_context() if secure else None,
        max_connections=opts["max_connections"], max_keepalive=20,
    )


def _connection_error(message: str, *, maybe_sent: bool) -> errors.ApiConnectionError:
    exc = errors.ApiConnectionError(message)
    exc.maybe_sent = maybe_sent
    return exc


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise errors.BadResponseError(
                f"The answer was larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB; refusing it "
                f"(HTTP {response.status_code}).",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _check(response: httpx.Response, raw: bytes) -> Any:
    """Return the parsed JSON of a success, or raise the error the response stands for."""
    status = response.status_code
    parsed, problem = _parse_json(raw) if raw else (None, "empty")
    is_json = problem is None
    if 200 <= status < 300:
        if problem == "nested":
            raise errors.BadResponseError(
                f"The API answered HTTP {status} with JSON nested more than {MAX_JSON_DEPTH} "
                "levels deep; refusing it.",
                status=status,
            )
        if not is_json:
            raise errors.BadResponseError(
                f"The API answered HTTP {status} with a body that is not JSON "
                f"({_describe_body(response, raw)}).",
                status=status,
            )
        return parsed
    message, trace_id = _error_fields(parsed) if is_json else (None, None)
    if not message:
        message = _default_message(status, response, raw, is_json)
    message = inert_text(scrub(message), one_line=True, limit=500)
    trace_id = inert_text(scrub(trace_id), one_line=True, limit=100) if trace_id else None
    cls = _STATUS_ERRORS.get(status) or (errors.ServerError if status >= 500 else errors.ApiError)
    kwargs: dict[str, Any] = {"status": status, "trace_id": trace_id}
    wait = retry_after(response.headers)
    if cls is errors.RateLimitedError:
        if wait is None and isinstance(parsed, dict):
            wait = finite_seconds(parsed.get("remainingSeconds"))
        exc: errors.ApiError = errors.RateLimitedError(message, retry_after=wait, **kwargs)
    else:
        exc = cls(f"{message} (HTTP {status})", **kwargs)
    exc.wait_hint = wait
    if status in _RETRY_STATUSES or status >= 500:
        exc.retryable = True
    hint = response.headers.get("x-should-retry")
    if hint in ("true", "false"):
        exc.should_retry = hint == "true"
    raise exc


def _parse_json(raw: bytes) -> tuple[Any, str | None]:
    """(value, None), or (None, "invalid" | "nested") when the body is not usable JSON.

    NaN, Infinity and numbers too large for a float are not JSON (RFC 8259) and would break
    display and storage later, so they make the body invalid too.
    """
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        return None, "nested"
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return None, "invalid"
    if _nested_deeper_than(value, MAX_JSON_DEPTH):
        return None, "nested"
    return value, None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} does not fit a float")
    return number


def _nested_deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _error_fields(parsed: Any) -> tuple[str | None, str | None]:
    if not isinstance(parsed, dict):
        return None, None
    message = next(
        (str(parsed[k]) for k in _MESSAGE_KEYS if isinstance(parsed.get(k), (str, int, float))),
        None,
    )
    if message is None:
        nested = parsed.get("error")
        if isinstance(nested, dict):
            message, _ = _error_fields(nested)
    trace = parsed.get("traceId")
    return message, str(trace) if trace else None


def _default_message(status: int, response: httpx.Response, raw: bytes, is_json: bool) -> str:
    known = {
        401: "The API did not accept the credentials. Check SCENARIO_SDK_API_KEY and "
        "SCENARIO_SDK_API_SECRET (or SCENARIO_SDK_JWT), or the profile's settings.",
        403: "These credentials may not access this resource or project.",
        404: "The API does not know this resource.",
        429: "Too many requests.",
    }
    if status in known:
        return known[status]
    if not raw:
        return f"The API answered HTTP {status} with an empty body."
    return f"The API answered HTTP {status} ({_describe_body(response, raw)})."


def _describe_body(response: httpx.Response, raw: bytes) -> str:
    ctype = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    if "html" in ctype or raw.lstrip()[:1] == b"<":
        return f"an HTML page, {ctype}; probably a gateway or proxy error"
    if not raw:
        return "empty body"
    return f"{ctype}, {len(raw)} bytes"


def _unwrap(body: Any, key: str) -> Any:
    """The ``key`` object of a success body, validated as its wire model."""
    from pydantic import ValidationError

    from scenario_tui.core.models import Asset, Job, Upload

    model = {"upload": Upload, "job": Job, "asset": Asset}[key]
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise errors.BadResponseError(
            f"The API's answer has no {key!r} object; it may have changed shape."
        )
    try:
        return model.model_validate(body[key])
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(map(str, e["loc"])) for e in exc.errors()}))
        raise errors.BadResponseError(
            f"The API's {key} is missing or has invalid field(s): {fields}."
        ) from None


def _segment(value: str) -> str:
    return quote(value, safe="")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _reason(exc: Exception) -> str:
    import ssl

    cause: BaseException | None = exc
    for _ in range(10):  # httpx wraps the OS error a few levels down
        if cause is None:
            break
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = inert_text(scrub(cause.verify_message or str(cause)), one_line=True, limit=120)
            return (f"its TLS certificate was not accepted ({detail}); if your network uses its "
                    "own certificate authority, point SSL_CERT_FILE at its CA bundle")
        cause = cause.__cause__ or cause.__context__
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return inert_text(scrub(text), one_line=True, limit=200)
