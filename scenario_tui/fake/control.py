"""The front door of the fake: the control endpoint under ``/_fake/``, or the API itself.

Control endpoint (no auth; answered by the loopback server and the in-process transport alike):
``POST /_fake/faults`` (a JSON object with ``Fault``'s keys, or a list of them),
``DELETE /_fake/faults``, ``POST /_fake/reset``, ``GET /_fake/requests`` (Authorization values
redacted), ``POST /_fake/latency`` ``{"seconds": x}``, ``GET /_fake/uploads`` (id and status).
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Protocol

from scenario_tui.fake.exchange import FakeResponse, RecordedRequest
from scenario_tui.fake.faults import Fault, FaultQueue

_FAULT_KEYS = {f.name for f in fields(Fault)}


class ServedFake(Protocol):
    """What the delivery side needs of a fake (``FakeScenario`` is one): it never imports it."""

    faults: FaultQueue
    requests: list[RecordedRequest]
    latency: float
    base_url: str
    timeout_fault_seconds: float

    def handle(
        self, method: str, path: str, query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None, body: bytes = b"", peer: str | None = None,
    ) -> FakeResponse: ...

    def reset(self) -> None: ...

    def snapshot(self) -> list[dict[str, str]]: ...


def is_control(path: str) -> bool:
    return path.startswith("/_fake/")


def _control(fake: ServedFake, method: str, path: str, body: bytes) -> FakeResponse:
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return FakeResponse.json(400, {"message": "control body must be JSON"})
    route = (method, path.rstrip("/"))
    if route == ("POST", "/_fake/faults"):
        specs = data if isinstance(data, list) else [data]
        try:
            for spec in specs:
                unknown = set(spec) - _FAULT_KEYS if isinstance(spec, dict) else {"<not an object>"}
                if unknown:
                    raise ValueError(f"unknown fault keys: {sorted(unknown)}")
                fake.faults.add(**spec)
        except (TypeError, ValueError) as exc:
            return FakeResponse.json(400, {"message": str(exc)})
        return FakeResponse.json(200, {"faults": len(fake.faults)})
    if route == ("DELETE", "/_fake/faults"):
        fake.faults.clear()
        return FakeResponse.json(200, {"faults": 0})
    if route == ("POST", "/_fake/reset"):
        fake.reset()
        return FakeResponse.json(200, {"ok": True})
    if route == ("GET", "/_fake/requests"):
        return FakeResponse.json(200, {"requests": [r.to_dict() for r in list(fake.requests)]})
    if route == ("GET", "/_fake/uploads"):
        return FakeResponse.json(200, {"uploads": fake.snapshot()})
    if route == ("POST", "/_fake/latency"):
        seconds = data.get("seconds") if isinstance(data, dict) else None
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            return FakeResponse.json(400, {"message": "latency needs {\"seconds\": x} with x >= 0"})
        fake.latency = float(seconds)
        return FakeResponse.json(200, {"latency": fake.latency})
    return FakeResponse.json(404, {"message": f"no control route {method} {path}"})


def dispatch(
    fake: ServedFake, method: str, path: str, query: dict[str, str], headers: dict[str, str],
    body: bytes, peer: str | None = None,
) -> FakeResponse:
    """Answer one request: the control endpoint, or the fake (which logs it and applies faults)."""
    try:
        if is_control(path):
            return _control(fake, method.upper(), path, body)
        return fake.handle(method, path, query, headers, body, peer=peer)
    except Exception as exc:  # a bug in the fake must show up as an answer, not a hang
        return FakeResponse.json(500, {"message": f"fake API internal error: {exc!r}"})
