"""Keep credentials out of everything the user or a log can see.

Presigned part URLs and signed asset URLs carry their credential in the query string, so a URL is
shown without it. Registered secrets (API secret, JWT, the Authorization header value) are
replaced wherever they appear in text built from other sources.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_SECRETS: set[str] = set()
_URL_RE = re.compile(r"https?://[^\s\"'<>]+")
_AUTH_RE = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
MASK = "[redacted]"


def register_secret(value: str | None) -> None:
    """Remember a secret so ``scrub`` removes it from any text. Short values are ignored."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def strip_query(url: str) -> str:
    """The URL without its query string and fragment (where presigned credentials live)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.query and not parts.fragment:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + "?" + MASK


def strip_upload_urls(data: dict) -> dict:
    """An upload's wire JSON with the query strings of its URL and part URLs removed, in place."""
    if isinstance(data.get("url"), str):
        data["url"] = strip_query(data["url"])
    parts = data.get("parts")
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, dict) and isinstance(part.get("url"), str):
            part["url"] = strip_query(part["url"])
    return data


def scrub(text: str) -> str:
    """Remove registered secrets, Authorization values and URL query strings from ``text``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _AUTH_RE.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _URL_RE.sub(lambda m: strip_query(m.group(0)), text)
