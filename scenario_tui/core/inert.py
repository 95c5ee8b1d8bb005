"""Make text that came from elsewhere (the server, a pasted ticket) safe to display.

Terminal escape sequences (CSI, OSC 52 clipboard writes, cursor moves) and other control
characters are removed; newlines and tabs are kept only where asked. Rich/Textual markup is not
this module's concern: the UI renders such text with markup off.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI ... final byte, OSC ... BEL/ST, and two-byte escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[@-Z\\-_]"  # two-byte
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROLS_ONE_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def inert_text(value: object, *, one_line: bool = False, limit: int | None = None) -> str:
    """``value`` as a string with escape sequences and control characters removed.

    ``one_line`` also turns newlines and tabs into spaces; ``limit`` truncates with an ellipsis.
    """
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = _ESCAPES.sub("", text)
        text = (_CONTROLS_ONE_LINE if one_line else _CONTROLS).sub(" " if one_line else "", text)
        keep = "" if one_line else "\n\t"
        text = "".join(
            ch if ch.isprintable() or ch in keep else (" " if ch.isspace() else "") for ch in text
        )
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text
