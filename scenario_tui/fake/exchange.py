"""What passes between a client and the fake: the answer, a refusal, and the request log's entry."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from scenario_tui.core.redact import MASK

_SENSITIVE_HEADERS = ("authorization", "cookie", "proxy-authorization")


@dataclass
class FakeResponse:
    """What the fake answers. ``action`` "drop" or "timeout" means: send no response at all."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> FakeResponse:
        body = json.dumps(payload, separators=(",", ":")).encode()
        content_type = {"content-type": "application/json; charset=utf-8"}
        return cls(status, body, {**content_type, **(headers or {})})

    def parsed(self) -> Any:
        return json.loads(self.body)


class Reject(Exception):
    """The API refuses the request: answered ``status`` with ``{"message", "traceId"}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class RecordedRequest:
    """One request as the fake received it. ``applied`` is False when a fault swallowed it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    body_size: int = 0
    fault: str | None = None
    applied: bool = True
    status: int | None = None
    peer: str | None = None
    #: when it was answered (``time.monotonic``, after any latency): in-process tests only
    at: float = field(default_factory=time.monotonic)

    def to_dict(self, redact: bool = True) -> dict[str, Any]:
        data = asdict(self)
        data.pop("at")
        if redact:
            data["headers"] = {
                k: (MASK if k in _SENSITIVE_HEADERS else v) for k, v in self.headers.items()
            }
        return data
