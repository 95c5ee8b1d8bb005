"""Turning a request that got no answer (httpx's exceptions) into the errors of ``core.errors``.

Whether the request may have reached the server matters to the caller: ``complete`` re-reads
the upload after a failure that may have been sent, and reports the others plainly.
"""

from __future__ import annotations

import ssl

import httpx

from scenario_tui.core import errors
from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import scrub


def network_error(exc: httpx.HTTPError, *, host: str, where: str, sent: bool) -> errors.ApiError:
    """The error for ``exc``, raised while sending ``where`` ("GET uploads") to ``host``.
    ``sent`` says whether the request had gone out when it was raised."""
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.ApiTimeoutError(
            f"Could not connect to {host} within the connect timeout ({where})."
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.ApiTimeoutError(f"{host} did not answer in time ({where}).")
    if isinstance(exc, httpx.ConnectError):
        return _connection_error(
            f"Cannot reach {host}: {network_reason(exc)} ({where}).", maybe_sent=False
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return _connection_error(
            f"The connection to {host} dropped before the answer arrived ({where}).",
            maybe_sent=True,
        )
    return _connection_error(
        f"Network error talking to {host}: {network_reason(exc)} ({where}).", maybe_sent=sent
    )


def network_reason(exc: BaseException) -> str:
    """Why a connection failed, in words a user can act on: "connection refused", a TLS
    certificate not accepted (and what to do about it), else the exception's own text; scrubbed
    of secrets and made inert."""
    cause: BaseException | None = exc
    for _ in range(10):  # httpx wraps the OS error a few levels down
        if cause is None:
            break
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = inert_text(scrub(cause.verify_message or str(cause)), one_line=True, limit=120)
            return (f"its TLS certificate was not accepted ({detail}); if your network uses its "
                    "own certificate authority, point SSL_CERT_FILE at its CA bundle")
        cause = cause.__cause__ or cause.__context__
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return inert_text(scrub(text), one_line=True, limit=200)


def _connection_error(message: str, *, maybe_sent: bool) -> errors.ApiConnectionError:
    exc = errors.ApiConnectionError(message)
    exc.maybe_sent = maybe_sent
    return exc
