"""When to try a request again: the one backoff and ``Retry-After`` reading, for the API client
and for part uploads alike (the official SDK's schedule: doubling, capped, with jitter)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from typing import Any

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
#: the longest server wait hint honoured (the SDK's cap): a longer one is cut to this, and the
#: request that got it fails at once, saying so, instead of waiting
MAX_HONOURED_WAIT = 60.0


def backoff(attempt: int, wait_hint: float | None, *, cap: float = MAX_HONOURED_WAIT) -> float:
    """Seconds before retry ``attempt`` (from 0): the server's hint when it is usable (above 0,
    at most ``cap``), else exponential backoff with jitter."""
    if wait_hint is not None and 0 < wait_hint <= cap:
        return wait_hint
    return min(INITIAL_RETRY_DELAY * 2**attempt, MAX_RETRY_DELAY) * (1 - 0.25 * random.random())


def capped_wait(asked: float | None) -> tuple[float | None, str]:
    """A server's wait hint cut to ``MAX_HONOURED_WAIT``, and the words that say it was cut
    (empty when it was not): a ``Retry-After: 1e9`` must not hold every request for 31 years."""
    if asked is None or asked <= MAX_HONOURED_WAIT:
        return asked, ""
    cap = MAX_HONOURED_WAIT
    return cap, (f"The API asked for a pause of {asked:.0f} s; scenario-tui waits {cap:.0f} s "
                 "at most, as the official SDK does.")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, then ``Retry-After`` (seconds or
    an HTTP date); None when absent or unreadable."""
    ms = finite_seconds(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = finite_seconds(value)
    if seconds is not None:
        return seconds
    from email.utils import parsedate_to_datetime  # slow to import, and HTTP dates are rare

    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, IndexError):
        return None


def finite_seconds(value: Any) -> float | None:
    """A non-negative finite number of seconds from a header or JSON value; None otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 and math.isfinite(number) else None
