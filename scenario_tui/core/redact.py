"""Keep credentials out of everything the user or a log can see.

Presigned part URLs and signed asset URLs carry their credential in the query string, so a URL is
shown without it. Registered secrets (API secret, JWT, the Authorization header value, its bare
token, custom header values) are replaced wherever they appear: in error text, and in every
string of every answer the API sends (``scrub_json``, applied where answers are parsed), so a
server that echoes a credential back gets it neither stored nor shown.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from scenario_tui.core.inert import inert_text

_SECRETS: set[str] = set()
#: every registered secret in one pattern, longest first (so ``Basic TOKEN`` wins over ``TOKEN``)
_pattern: re.Pattern[str] | None = None
_URL_RE = re.compile(r"https?://[^\s\"'<>]+")
#: a token after "Basic" or "Bearer" (an Authorization value quoted in a text), but not one of
#: the words a server's message puts there ("Invalid Basic credentials" stays readable)
_AUTH_RE = re.compile(r"(?i)\b(basic|bearer)\s+(?!(?:credentials?|authentication|authorization|"
                      r"required|tokens?|scheme|header|realm|access|expected|missing|invalid)"
                      r"\b)[A-Za-z0-9._~+/=-]{8,}")
MASK = "[redacted]"
#: secrets shorter than this are not registered (they would mask ordinary words)
MIN_SECRET_LENGTH = 4


def register_secret(value: str | None, *, min_length: int = MIN_SECRET_LENGTH) -> None:
    """Remember a secret so ``scrub`` and ``scrub_json`` remove it from any text, in the form
    it was given and percent-encoded (as it reads in a URL). Values shorter than ``min_length``
    are ignored."""
    global _pattern
    if not value or len(value) < max(min_length, MIN_SECRET_LENGTH):
        return
    new = {value, quote(value, safe="")} - _SECRETS
    if new:
        _SECRETS.update(new)
        _pattern = None


def _secrets_pattern() -> re.Pattern[str] | None:
    global _pattern
    if _pattern is None and _SECRETS:
        ordered = sorted(_SECRETS, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))
    return _pattern


def redact_secrets(text: str) -> str:
    """``text`` with every registered secret replaced by ``[redacted]``.

    A secret cut in two by escape sequences or invisible characters (which a terminal would not
    show, so it would read whole) is found too: such a text is returned made inert.
    """
    pattern = _secrets_pattern()
    if pattern is None:
        return text
    text = pattern.sub(MASK, text)
    if not text.isprintable():
        shown = inert_text(text)
        if pattern.search(shown):
            return pattern.sub(MASK, shown)
    return text


def scrub_json(value: Any) -> Any:
    """Parsed JSON (an answer of the API) with every string in it, keys too, rid of registered
    secrets (in every form they were registered in: the Authorization value, its token, the JWT,
    custom header values) and of URL query strings: a server echoing a credential or a
    presigned URL in any field gets it neither stored nor shown. Unlike ``scrub``, a word
    that merely follows "Basic" or "Bearer" is kept: a file may be called "Basic Shapes.zip".

    The ``url`` of each item of a ``parts`` list is kept as it came: it is where that part is
    sent, and ``strip_query`` removes its credentials wherever it is shown or stored.
    """
    if isinstance(value, str):
        return _scrub_answer(value)
    if isinstance(value, list):
        return [scrub_json(item) for item in value]
    if isinstance(value, dict):
        return {_scrub_answer(key): _scrub_parts(item) if key == "parts" else scrub_json(item)
                for key, item in value.items()}
    return value


def scrub_json_read(raw: str, parsed: Any) -> Any:
    """``scrub_json(parsed)``, where ``parsed`` is the JSON read from ``raw``: ``parsed``
    itself when ``raw`` shows that nothing in it would change, at the cost of a few scans of
    the text instead of a call for each of its strings (about 30 in an upload).

    Without a backslash, every string of ``parsed`` (keys too) is a piece of ``raw`` as it
    stands, so none holds a registered secret that ``raw`` does not, none holds a URL where
    ``raw`` has no "://", and none has a character that is not printable where ``raw`` has
    none (a secret cut in two by one)."""
    pattern = _secrets_pattern()
    if ("\\" in raw or "://" in raw or not raw.isprintable()
            or (pattern is not None and pattern.search(raw))):
        return scrub_json(parsed)
    return parsed


def _scrub_answer(text: str) -> str:
    text = redact_secrets(text)
    if "://" not in text:  # no URL in it (most strings of an answer): no search needed
        return text
    return _URL_RE.sub(lambda m: strip_query(m.group(0)), text)


def _scrub_parts(parts: Any) -> Any:
    if not isinstance(parts, list):
        return scrub_json(parts)
    return [
        {_scrub_answer(key): item if key == "url" and isinstance(item, str)
         else scrub_json(item)
         for key, item in part.items()} if isinstance(part, dict) else scrub_json(part)
        for part in parts
    ]


def strip_query(url: str) -> str:
    """The URL without its query string and fragment (where presigned credentials live), and
    without any registered secret."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.query and not parts.fragment:
        return redact_secrets(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return redact_secrets(base) + "?" + MASK


def strip_upload_urls(data: dict) -> dict:
    """An upload's wire JSON with the query string of every URL in it (its own, its parts',
    any in its config or unknown fields) removed, in place."""
    for key, value in data.items():
        data[key] = strip_urls(value, key)
    return data


def strip_urls(value: Any, key: str | None = None) -> Any:
    """A copy of JSON ``value`` where every string that is an http(s) URL, or the value of a
    ``url`` key, has lost its query string (a part's presigned URL, an asset's signed URL, one
    in a job's output)."""
    if isinstance(value, str):
        if key == "url" or value[:8].lower().startswith(("http://", "https://")):
            return strip_query(value)
        return value
    if isinstance(value, list):
        return [strip_urls(item) for item in value]
    if isinstance(value, dict):
        return {name: strip_urls(item, name) for name, item in value.items()}
    return value


def scrub(text: str) -> str:
    """Remove registered secrets, Authorization values and URL query strings from ``text``."""
    text = redact_secrets(text)
    text = _AUTH_RE.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _URL_RE.sub(lambda m: strip_query(m.group(0)), text)
