"""Injected failures: what a fault answers instead of the API, and the queue they wait in.

A fault with ``apply=False`` (default) stops the request before the API sees it; with
``apply=True`` the state change happens and only the answer is lost. Both are logged.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from scenario_tui.fake.exchange import FakeResponse

FAULT_KINDS = (None, "html", "malformed_json", "drop", "timeout", "wrong_shape")
_DEFAULT_STATUS = {None: 500, "html": 502, "malformed_json": 200, "wrong_shape": 200}
_HTML_PAGE = (
    "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>awselb/2.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class Fault:
    """One injected failure, used for the next ``count`` matching requests (None: forever).

    ``kind``: None (an error with ``status``, default 500, JSON body), "html" (an HTML gateway
    page, default 502), "malformed_json" (200 with truncated JSON), "wrong_shape" (200 with valid
    JSON of the wrong shape), "drop" (connection closed without an answer), "timeout" (no answer
    in time). ``apply``: when True the request still changes the fake's state and only the answer
    is lost or replaced (the uncertain outcome of a dropped ``complete``); when False (default)
    the request never reaches the API. Faulted requests are always recorded in the request log.
    """

    status: int | None = None
    count: int | None = 1
    path: str | None = None
    method: str | None = None
    retry_after: float | None = None
    retry_after_ms: float | None = None
    body: Any = None
    kind: str | None = None
    apply: bool = False
    x_should_retry: bool | None = None
    remaining_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        status = self.status
        if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
            raise ValueError(f"fault status must be an HTTP status code, not {self.status!r}")
        if self.count is not None and (not isinstance(self.count, int) or self.count < 1):
            raise ValueError(f"fault count must be a positive integer or None, not {self.count!r}")
        if self.method is not None:
            self.method = self.method.upper()

    @property
    def label(self) -> str:
        return self.kind or f"status:{self.effective_status}"

    @property
    def effective_status(self) -> int:
        return self.status if self.status is not None else _DEFAULT_STATUS.get(self.kind, 500)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or self.path in path

    def response(self, trace_id: str) -> FakeResponse:
        if self.kind in ("drop", "timeout"):
            return FakeResponse(0, action=self.kind)
        status = self.effective_status
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["retry-after"] = _number(self.retry_after)
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = _number(self.retry_after_ms)
        if self.x_should_retry is not None:
            headers["x-should-retry"] = "true" if self.x_should_retry else "false"
        if self.kind == "html":
            page = self.body if isinstance(self.body, str) else _HTML_PAGE.format(status=status)
            return FakeResponse(status, page.encode(), {"content-type": "text/html", **headers})
        if self.kind == "malformed_json":
            text = self.body if isinstance(self.body, str) else '{"upload": {"id": "up_trunc'
            headers["content-type"] = "application/json"
            return FakeResponse(status, text.encode(), headers)
        if self.kind == "wrong_shape":
            shape = self.body if self.body is not None else {"data": [{"unexpected": True}]}
            return FakeResponse.json(status, shape, headers)
        if isinstance(self.body, str):
            headers["content-type"] = "text/plain"
            return FakeResponse(status, self.body.encode(), headers)
        if self.body is not None:
            return FakeResponse.json(status, self.body, headers)
        payload: dict[str, Any] = {"message": _default_message(status), "traceId": trace_id}
        if self.remaining_seconds is not None:
            payload["remainingSeconds"] = self.remaining_seconds
        return FakeResponse.json(status, payload, headers)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _default_message(status: int) -> str:
    return {
        400: "Bad request (injected fault)",
        401: "Unauthorized (injected fault)",
        403: "Forbidden (injected fault)",
        404: "Not found (injected fault)",
        408: "Request timeout (injected fault)",
        409: "Conflict (injected fault)",
        429: "Too many requests, slow down (injected fault)",
        500: "Internal server error (injected fault)",
        502: "Bad gateway (injected fault)",
        503: "Service unavailable (injected fault)",
        504: "Gateway timeout (injected fault)",
    }.get(status, f"HTTP {status} (injected fault)")


class FaultQueue:
    """Thread-safe, ordered faults: the first pending fault matching a request is used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        status: int | None = None,
        count: int | None = 1,
        path: str | None = None,
        method: str | None = None,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        body: Any = None,
        kind: str | None = None,
        *,
        apply: bool = False,
        x_should_retry: bool | None = None,
        remaining_seconds: float | None = None,
    ) -> Fault:
        fault = Fault(
            status=status, count=count, path=path, method=method, retry_after=retry_after,
            retry_after_ms=retry_after_ms, body=body, kind=kind, apply=apply,
            x_should_retry=x_should_retry, remaining_seconds=remaining_seconds,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.matches(method, path):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            del self._faults[i]
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
