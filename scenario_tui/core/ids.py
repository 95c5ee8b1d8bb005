"""Upload IDs: validation before an ID goes anywhere near a URL, and parsing pasted lists.

Scenario IDs are short tokens of letters, digits, ``_`` and ``-``. Anything else (a slash, a dot
segment, a percent sign, a query or fragment character, whitespace, control characters, non-ASCII)
is refused with a message naming what is wrong, so no ID can reach another endpoint. An ID the
API sends back (a new upload's) is held to the same rule before it is stored (``check_server_id``).
"""

from __future__ import annotations

import re
import unicodedata

from scenario_tui.core.errors import BadResponseError, InvalidUploadIdError

MAX_ID_LENGTH = 128
#: the characters an ID may hold, as the inside of a regex character class
ID_CHARACTERS = "A-Za-z0-9_.:-"
_ALLOWED = re.compile(f"[{ID_CHARACTERS}]+")
_SEPARATORS = re.compile(r"[\s,;]+")


def _describe(ch: str) -> str:
    if ch.isspace():
        return "whitespace"
    if unicodedata.category(ch).startswith("C"):
        return f"a control character (U+{ord(ch):04X})"
    return f"the character {ch!r}"


def validate_upload_id(raw: str) -> str:
    """Return ``raw`` if it is a well-formed upload ID, else raise ``InvalidUploadIdError``."""
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    shown = "".join(c if c.isprintable() else "?" for c in shown)
    if not raw:
        raise InvalidUploadIdError("An upload ID cannot be empty.")
    if len(raw) > MAX_ID_LENGTH:
        raise InvalidUploadIdError(
            f"{shown!r} is {len(raw)} characters long; upload IDs have at most {MAX_ID_LENGTH}."
        )
    if not _ALLOWED.fullmatch(raw):
        bad = next(c for c in raw if not _ALLOWED.fullmatch(c))
        raise InvalidUploadIdError(
            f"{shown!r} contains {_describe(bad)}; upload IDs use only letters, digits, "
            "'_', '-', '.' and ':'."
        )
    if raw.startswith(".") or ".." in raw:
        raise InvalidUploadIdError(f"{shown!r} contains a dot segment; that is not an upload ID.")
    return raw


def check_server_id(raw: str, what: str) -> str:
    """Return ``raw``, an ID the API sent (``what``: "new upload", say), if it is well-formed as
    ``validate_upload_id`` says; else ``BadResponseError``, whose message shows it only made
    printable. An ID that is refused is never stored, put in a URL or printed as it came."""
    try:
        return validate_upload_id(raw)
    except InvalidUploadIdError as exc:
        raise BadResponseError(
            f"The API answered with an invalid ID for the {what}: {exc.message} The API may "
            "have created it, but it was neither stored nor used."
        ) from None


def split_ids(text: str) -> list[str]:
    """Split pasted text on newlines, spaces, commas and semicolons, dropping blanks (a list of
    IDs; a ticket's prose goes through ``core.ticket.harvest_ids`` instead)."""
    return [tok for tok in _SEPARATORS.split(text) if tok]


class ParsedIds:
    """The outcome of parsing a pasted list: valid IDs in order, duplicates, and refusals."""

    def __init__(self) -> None:
        self.valid: list[str] = []
        self.duplicates: list[str] = []
        self.invalid: list[tuple[str, str]] = []


def parse_ids(tokens: list[str]) -> ParsedIds:
    """Validate each token; keep the first of duplicates, report the rest and the invalid ones."""
    parsed = ParsedIds()
    seen: set[str] = set()
    for tok in tokens:
        try:
            upload_id = validate_upload_id(tok)
        except InvalidUploadIdError as exc:
            parsed.invalid.append((tok, exc.message))
            continue
        if upload_id in seen:
            parsed.duplicates.append(upload_id)
        else:
            seen.add(upload_id)
            parsed.valid.append(upload_id)
    return parsed
