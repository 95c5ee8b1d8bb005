"""Turning the API's answer into a value, or into the error of ``core.errors`` it stands for.

The body is read with a size cap, parsed as strict JSON (no NaN or Infinity, no absurd nesting),
and a success is unwrapped into its wire model, every string in it first scrubbed of secrets and
presigned queries (``scrub_json``). A failure becomes the error of its status, with the API's own
message when it sent one, else a default message that says what came back (an HTML page from a
proxy, say); every text taken from the answer is scrubbed of secrets and made inert before it can
be shown. httpx and pydantic are not imported here at module level, so the client can be built
before either is loaded.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from scenario_tui.api.retry import capped_wait, finite_seconds, retry_after
from scenario_tui.core import errors
from scenario_tui.core.inert import inert_text
from scenario_tui.core.part_plan import MAX_PARTS
from scenario_tui.core.redact import scrub, scrub_json_read
from scenario_tui.core.units import KIB, MIB

if TYPE_CHECKING:
    import httpx

    from scenario_tui.core.models import WireModel

MAX_BODY_BYTES = 8 * MIB
#: the cap for answers that carry an upload: a pending one lists a presigned URL per part (a
#: credential-laden URL of 1 to 2 KiB), so room for 4 KiB for each of the 10,000 parts allowed
UPLOAD_BODY_BYTES = MAX_BODY_BYTES + MAX_PARTS * 4 * KIB
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
#: what a 401 adds to the server's words: which settings to check
_CREDENTIALS_HINT = ("Set SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET (or SCENARIO_SDK_JWT), "
                     "or choose a profile with --profile.")
_DEFAULT_MESSAGES = {
    401: "The API did not accept the credentials.",
    403: "These credentials may not access this resource or project.",
    404: "The API does not know this resource.",
    429: "Too many requests.",
}


async def read_capped(response: httpx.Response, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body of a streamed answer; BadResponseError once it exceeds ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise errors.BadResponseError(
                f"The answer was larger than {limit // MIB} MiB; refusing it "
                f"(HTTP {response.status_code}).",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def json_or_error(response: httpx.Response, raw: bytes) -> Any:
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
        # a server may echo a credential back in any field (an errorMessage quoting the
        # Authorization header, say): it goes here, before anything is stored or shown
        return scrub_json_read(raw.decode("utf-8", "replace"), parsed)
    message, trace_id = _error_fields(parsed) if is_json else (None, None)
    if not message:
        message = _default_message(status, response, raw)
    message = inert_text(scrub(message), one_line=True, limit=500)
    if status == 401 and _CREDENTIALS_HINT not in message:  # the server's words, then ours
        message = f"{message.rstrip('.')}. {_CREDENTIALS_HINT}"
    trace_id = inert_text(scrub(trace_id), one_line=True, limit=100) if trace_id else None
    cls = _STATUS_ERRORS.get(status) or (errors.ServerError if status >= 500 else errors.ApiError)
    wait = retry_after(response.headers)
    exc: errors.ApiError
    if cls is errors.RateLimitedError:
        plan_limit = _plan_limit(parsed)
        if plan_limit:  # not a rate limit: no retry, no pause, no slowing down
            raise errors.PlanLimitError(f"{message} {plan_limit} (HTTP {status})",
                                        status=status, trace_id=trace_id)
        if wait is None and isinstance(parsed, dict):
            wait = finite_seconds(parsed.get("remainingSeconds"))
        capped, note = capped_wait(wait)  # the hint as asked stays in ``wait_hint``
        exc = errors.RateLimitedError(f"{message} {note}" if note else message,
                                      retry_after=capped, status=status, trace_id=trace_id)
    else:
        exc = cls(f"{message} (HTTP {status})", status=status, trace_id=trace_id)
    exc.wait_hint = wait
    if status in _RETRY_STATUSES or status >= 500:
        exc.retryable = True
    hint = response.headers.get("x-should-retry")
    if hint in ("true", "false"):
        exc.should_retry = hint == "true"
    raise exc


def _plan_limit(parsed: Any) -> str | None:
    """What a 429's body says of a plan limit (``details.actionName``, ``details.actionLimit``,
    as Scenario documents them), in words; None when it names none (a plain rate limit)."""
    details = parsed.get("details") if isinstance(parsed, dict) else None
    if not isinstance(details, dict):
        return None
    name, limit = details.get("actionName"), details.get("actionLimit")
    if name in (None, "") and limit in (None, ""):
        return None
    what = inert_text(scrub(str(name)), one_line=True, limit=80) if name else "this action"
    of = f" ({inert_text(scrub(str(limit)), one_line=True, limit=40)})" if limit else ""
    return (f"The plan's limit on {what}{of} is reached: not a rate limit, so it was not "
            "retried, and waiting will not help until the plan allows more.")


def unwrap(body: Any, key: str) -> Any:
    """The ``key`` object ("upload", "job" or "asset") of a success body, validated as its wire
    model; BadResponseError when it is missing or does not fit."""
    from pydantic import ValidationError

    from scenario_tui.core.models import Asset, Job, Upload

    models: dict[str, type[WireModel]] = {"upload": Upload, "job": Job, "asset": Asset}
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise errors.BadResponseError(
            f"The API's answer has no {key!r} object; it may have changed shape."
        )
    try:
        return models[key].model_validate(body[key])
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(map(str, e["loc"])) for e in exc.errors()}))
        raise errors.BadResponseError(
            f"The API's {key} is missing or has invalid field(s): {fields}."
        ) from None


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
    """(message, trace ID) of an error body, each None when it has none."""
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


def _default_message(status: int, response: httpx.Response, raw: bytes) -> str:
    if status in _DEFAULT_MESSAGES:
        return _DEFAULT_MESSAGES[status]
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
