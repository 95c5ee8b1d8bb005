"""Timestamps as the API writes them (ISO 8601, UTC, milliseconds, ``Z``), and spans of time
as messages say them."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(value: object) -> datetime | None:
    """An aware datetime from an ISO 8601 string (naive taken as UTC); None if unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def to_iso(moment: datetime | float) -> str:
    """``moment`` (a datetime, naive taken as UTC, or a POSIX time) in the API's own format."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, timezone.utc)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def human_duration(seconds: float) -> str:
    """A span of time for a message: ``0.3 s``, ``45 s``, ``5 min``, ``7.5 min``, ``2 h``."""
    if seconds < 120:
        return f"{round(seconds, 2):g} s"
    if seconds < 7200:
        return f"{round(seconds / 60, 1):g} min"
    return f"{round(seconds / 3600, 1):g} h"
