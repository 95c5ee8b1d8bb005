"""How the one ``httpx.AsyncClient`` of a ``ScenarioClient`` is made, with its two performance
hooks, each measured in bench/RESULTS.md and each behind one switch below.

- ``ASYNCIO_TRANSPORT``: on the real network (no transport injected, no proxy in the
  environment), requests go through the lean HTTP/1.1 transport of ``api/transport.py``
  instead of httpx's own (httpcore over anyio), whose per-request bookkeeping would make the
  event loop the bottleneck of a bulk refresh. False: httpx's default transport.
- ``COOKIELESS``: the client class has no cookie jar. The uploads API sets no cookies and the
  client sends its credentials in a header, yet httpx would hand every answer to the standard
  library's cookie jar. False: a plain ``httpx.AsyncClient`` (which also sends back any cookie
  a server or load balancer sets).

A benchmark switches one off by setting it before the client's first request, for example
``scenario_tui.api.httpx_client.ASYNCIO_TRANSPORT = False``. This module imports httpx, so the
client imports it at its first request, not when it is built.
"""

from __future__ import annotations

from typing import Any
from urllib.request import getproxies

import httpx

from scenario_tui.api.transport import AsyncioTransport

#: performance hook: the lean transport of ``api/transport.py`` on the real network
ASYNCIO_TRANSPORT = True
#: performance hook: no cookie jar
COOKIELESS = True
#: idle keep-alive connections kept per client
MAX_KEEPALIVE = 20


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class CookielessAsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` without a cookie jar: a ``Set-Cookie`` is ignored, never sent
    back, and setting cookies on it is refused."""

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, value: Any) -> None:
        if value:
            raise ValueError("this client keeps no cookies")


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
    mock), else through the default one (see ``ASYNCIO_TRANSPORT``); redirects not followed."""
    client_class = CookielessAsyncClient if COOKIELESS else httpx.AsyncClient
    return client_class(
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
