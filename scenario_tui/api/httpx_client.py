"""How the one ``httpx.AsyncClient`` of a ``ScenarioClient`` is made.

httpx's own transport and cookie handling: the lean HTTP/1.1 transport and the cookie-less
client of earlier versions were re-measured against them and no longer earned their place
(bench/RESULTS.md, "Hooks re-measured"). This module imports httpx, so the client imports it at
its first request, not when it is built.
"""

from __future__ import annotations

import os
import re

import httpx

from scenario_tui.core.errors import ConfigError

#: idle keep-alive connections kept per client
MAX_KEEPALIVE = 20


def make_http_client(
    *,
    base_url: str,
    headers: dict[str, str],
    transport: httpx.AsyncBaseTransport | None,
    timeout: float,
    connect_timeout: float,
    max_connections: int,
) -> httpx.AsyncClient:
    """The client for ``base_url``: through ``transport`` when one is injected (the fake, a
    mock), else httpx's own (which honours the proxy variables); redirects not followed.
    A CA bundle that cannot be loaded (``SSL_CERT_FILE`` missing, or not certificates) is a
    ConfigError that says which file."""
    try:
        return httpx.AsyncClient(
            base_url=base_url + "/",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=MAX_KEEPALIVE
            ),
            follow_redirects=False,
        )
    except OSError as exc:  # ssl.SSLError is one too
        raise ConfigError(_ca_bundle_problem(exc)) from None


def _ca_bundle_problem(exc: OSError) -> str:
    """What went wrong loading the certificate authorities, and the file to fix."""
    reason = re.sub(r"\s*\(_ssl\.c:\d+\)$", "", exc.strerror or str(exc)) or type(exc).__name__
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        where = os.environ.get(name)
        if where:
            return (f"Cannot load the TLS certificate authorities from {name}={where!r} "
                    f"({reason}). Point {name} at a readable PEM file of CA certificates, "
                    "or unset it.")
    return f"Cannot load the TLS certificate authorities ({reason})."
