"""Where the store lives: a local file (the default, for one person) or a team's PostgreSQL
database, named by a ``postgresql://`` URL.

The password of a team store never travels in the URL: it comes from libpq's own sources
(``PGPASSWORD``, ``~/.pgpass``, a service file), so that it is never on a command line (where
``ps`` shows it to every user), in a config file or in any output. A URL that holds one is
refused; ``safe_url`` is what may be printed of any URL.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")
#: the environment variable that names the store (a file path or a database URL)
ENV_STORE = "SCENARIO_TUI_STORE"
_MASK = "***"
_CONNINFO_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)", re.IGNORECASE)


def is_database_url(text: str) -> bool:
    """Whether ``text`` names a team store (``postgresql://...`` or ``postgres://...``)."""
    scheme, sep, _ = text.strip().partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def has_password(url: str) -> bool:
    """Whether the URL carries a password (in its user part or as a ``password`` parameter)."""
    try:
        parts = urlsplit(url)
        in_user = parts.password is not None
    except ValueError:
        return True  # not parseable: treat as unsafe, never print it
    return in_user or any(key.lower() == "password"
                          for key, _ in parse_qsl(parts.query, keep_blank_values=True))


def safe_url(url: str) -> str:
    """``url`` as it may be shown: any password replaced by ``***``. Text that is not a URL
    (a libpq ``key=value`` string) has its ``password=`` value masked."""
    if "://" not in url:
        return _CONNINFO_PASSWORD.sub(lambda m: m.group(1) + _MASK, url)
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(a database URL that cannot be read)"
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{_MASK}@{hostinfo}"
    query = "&".join(
        f"{key}={_MASK if key.lower() == 'password' else value}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def describe(url: str) -> str:
    """A short name for the team store at ``url``: "db on host" (no user, no password)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return safe_url(url)
    query = dict(parse_qsl(parts.query))
    database = parts.path.lstrip("/") or query.get("dbname") or "(default database)"
    host = host or query.get("host") or "the local socket"
    if query.get("service"):
        return f"service {query['service']}"
    return f"{database} on {host}"
