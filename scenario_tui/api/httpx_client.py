"""How the one ``httpx.AsyncClient`` of a ``ScenarioClient`` is made, with its two performance
hooks, measured in bench/RESULTS.md and each behind a switch below.

- ``ASYNCIO_TRANSPORT``: on the real network (no transport injected, no proxy in the
  environment), requests go through the lean HTTP/1.1 transport of ``api/transport.py``
  instead of httpx's own (httpcore over anyio), which spends about twice the CPU per request.
  That CPU is what a team of members completing from one queue on shared cores runs out of
  (bench/RESULTS.md, "The lean transport again"). False: httpx's default transport.
- ``NO_COOKIES``: the client keeps no cookies. The Scenario API authenticates each request by
  its Authorization header and needs none; httpx would copy every answer's headers into a
  standard-library cookie jar (an ``email`` message and a ``urllib`` request built per answer)
  only to find no cookie there: about a tenth of a member's CPU per complete
  (bench/RESULTS.md, "One announcement per transaction, and no cookies"). False: httpx's jar.

A benchmark switches them off by setting them before the client is built
(``scenario_tui.api.httpx_client.ASYNCIO_TRANSPORT = False``; ``--without transport,cookies``).
This module imports httpx, so the client imports it at its first request, not when it is built.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.request import getproxies

import httpx

from scenario_tui.api.transport import AsyncioTransport
from scenario_tui.core.errors import ConfigError

#: performance hook: the lean transport of ``api/transport.py`` on the real network
ASYNCIO_TRANSPORT = True
#: performance hook: no cookie jar (``_CookielessClient``)
NO_COOKIES = True

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
        return (_CookielessClient if NO_COOKIES else httpx.AsyncClient)(
            base_url=base_url + "/",
            headers=headers,
            transport=transport if transport is not None else _default_transport(
                base_url, max_connections),
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=MAX_KEEPALIVE
            ),
            follow_redirects=False,
        )
    except OSError as exc:  # ssl.SSLError is one too
        raise ConfigError(_ca_bundle_problem(exc)) from None


class _NoCookies(httpx.Cookies):
    """A jar that takes nothing from an answer (and so never sends anything)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _CookielessClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose ``cookies`` are an empty ``_NoCookies`` of its own: what
    an answer sets is dropped unread, and no request carries a cookie."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._jar = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("this client keeps no cookies")


def _default_transport(base_url: str, max_connections: int) -> httpx.AsyncBaseTransport | None:
    """The lean transport, or None (httpx's own) when it is switched off or the environment
    names a proxy: httpx reads the proxy variables only for its own transport."""
    if not ASYNCIO_TRANSPORT or any(
        scheme in getproxies() for scheme in ("http", "https", "all")
    ):
        return None
    secure = base_url.lower().startswith("https:")
    return AsyncioTransport(
        ssl_context=httpx.create_ssl_context() if secure else None,
        max_connections=max_connections, max_keepalive=MAX_KEEPALIVE,
    )


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
