"""Byte sizes: read from what a person types (``8MiB``, ``16MB``) and written one way for people."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from scenario_tui.core.errors import ConfigError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
TIB = 1024 * GIB

_UNITS = {
    "": 1, "b": 1,
    "k": KIB, "kib": KIB, "kb": 1000,
    "m": MIB, "mib": MIB, "mb": 1000**2,
    "g": GIB, "gib": GIB, "gb": 1000**3,
    "t": TIB, "tib": TIB, "tb": 1000**4,
}
_SIZE_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)



def parse_size(text: str | int) -> int:
    """Bytes from ``"8MiB"``, ``"16MB"``, ``"1048576"``, ``"1.5GiB"`` (case-insensitive).

    KiB/MiB/GiB/TiB and the bare K/M/G/T are powers of 1024; KB/MB/GB/TB powers of 1000.
    Fractions are rounded down to whole bytes. Anything else raises ``ConfigError``.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ConfigError(f"A size cannot be negative: {text}.")
        return text
    raw = str(text)
    match = _SIZE_RE.fullmatch(raw)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise ConfigError(
            f"{shown!r} is not a size: write a number of bytes with an optional unit, such as "
            "1048576, 8MiB, 16MB or 1.5GiB."
        )
    try:
        value = Decimal(match.group(1)) * _UNITS[unit]
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise ConfigError(f"{raw!r} is not a size.") from None
    return int(value)


def human_size(size: float | None) -> str:
    """A short human size: ``512 B``, ``8.0 MiB``, ``1.5 GiB``; ``""`` when unknown."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover
