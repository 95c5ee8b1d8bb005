"""A fake of the Scenario uploads API for the demo, the tests and the screenshots.

``FakeScenario`` puts the pieces together: the state machine (``state``), the seeded demo
uploads (``seeds``), the endpoints (``routes``), injected faults (``faults``), a request log, a
latency, and one lock around all of it, so it is thread-safe. Serve it in-process with
``transport()`` or on loopback with ``server.serve(fake)``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from typing import Any, Callable

from scenario_tui.fake.exchange import FakeResponse, RecordedRequest
from scenario_tui.fake.faults import FaultQueue
from scenario_tui.fake.routes import FakeApi
from scenario_tui.fake.seeds import SEED_EPOCH, SEEDED_IDS, add_seeds
from scenario_tui.fake.server import FakeTransport
from scenario_tui.fake.state import FakeState, JobState, UploadState

DEFAULT_BASE_URL = "http://fake-scenario.invalid/v1"


class FakeScenario:
    """The fake Scenario API: ``handle`` answers a request, logged, faults applied; thread-safe."""

    def __init__(
        self,
        *,
        step_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
        api_key: str | None = None,
        api_secret: str | None = None,
        seed: bool = True,
        base_url: str = DEFAULT_BASE_URL,
        part_url_ttl: float = 3600.0,
        rng_seed: int | None = None,
        timeout_fault_seconds: float = 30.0,
        seed_epoch: float = SEED_EPOCH,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.seed_epoch = seed_epoch  # when the seeded uploads were created (the demo: just before)
        self.timeout_fault_seconds = timeout_fault_seconds
        self.faults = FaultQueue()
        self._lock = threading.RLock()
        rng = random.Random(rng_seed)
        key = bytes(rng.getrandbits(8) for _ in range(32))
        self.state = FakeState(clock=clock, step_seconds=step_seconds, rng=rng)
        self.api = FakeApi(self.state, key=key, base_url=base_url, part_url_ttl=part_url_ttl,
                           api_key=api_key, api_secret=api_secret)
        self.reset()

    # -- state ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything (uploads, jobs, assets, log, faults, latency) and reseed."""
        with self._lock:
            self.state.clear()
            self.requests: list[RecordedRequest] = []
            self.project_ids: list[str] = []
            self.latency = 0.0
            self.faults.clear()
            if self.seed:
                add_seeds(self.state, self.seed_epoch)

    @property
    def base_url(self) -> str:
        return self.api.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:  # set by the server that serves the fake
        self.api.base_url = value

    @property
    def uploads(self) -> dict[str, UploadState]:
        return self.state.uploads

    @property
    def jobs(self) -> dict[str, JobState]:
        return self.state.jobs

    @property
    def seeded_ids(self) -> list[str]:
        return [i for i in SEEDED_IDS if i in self.uploads] if self.seed else []

    def count(self, method: str, path_suffix: str) -> int:
        """How many logged requests had this method and a path ending with ``path_suffix``."""
        with self._lock:
            return sum(
                1 for r in self.requests
                if r.method == method.upper() and r.path.endswith(path_suffix)
            )

    def complete_count(self, upload_id: str | None = None) -> int:
        """How many ``complete`` POSTs arrived (for one upload, or all), faulted ones included."""
        with self._lock:
            return sum(
                1 for r in self.requests
                if r.method == "POST" and r.path.endswith("/action")
                and isinstance(r.json, dict) and r.json.get("action") == "complete"
                and (upload_id is None or r.path == f"/v1/uploads/{upload_id}/action")
            )

    def upload_json(self, upload_id: str) -> dict[str, Any]:
        """The upload as GET would answer it now (advancing its lifecycle first)."""
        with self._lock:
            upload = self.uploads[upload_id]
            self.state.advance(upload, self.clock())
            return self.api.upload_body(upload, self.clock())

    def status_of(self, upload_id: str) -> str:
        return self.upload_json(upload_id)["status"]

    def mark_bad_file(self, upload_id: str, message: str, hint: str = "Check the file.") -> None:
        """Make completing this upload end in ``failed`` with ``message``."""
        with self._lock:
            self.uploads[upload_id].failure = (message, hint)

    def snapshot(self) -> list[dict[str, str]]:
        with self._lock:
            now = self.clock()
            for upload in self.uploads.values():
                self.state.advance(upload, now)
            return [{"id": u.id, "status": u.status} for u in self.uploads.values()]

    def transport(self) -> FakeTransport:
        """An httpx transport for ``httpx.Client`` and ``httpx.AsyncClient``."""
        return FakeTransport(self)

    # -- the request entry point ------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None, body: bytes = b"", peer: str | None = None,
    ) -> FakeResponse:
        """Log the request, then answer it: through the API, or as a pending fault says."""
        method = method.upper()
        query = dict(query or {})
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        parsed: Any = None
        if body and not path.startswith("/_parts/"):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        record = RecordedRequest(method, path, query, headers, parsed, len(body), peer=peer)
        with self._lock:
            self.requests.append(record)
            if query.get("projectId"):
                self.project_ids.append(query["projectId"])
        fault = self.faults.take(method, path)
        response: FakeResponse | None = None
        if fault is None or fault.apply:
            with self._lock:
                response = self.api.answer(method, path, query, headers, body)
        if fault is not None:
            record.fault, record.applied = fault.label, fault.apply
            response = fault.response(self.state.trace_id())
        assert response is not None
        record.status = response.status if response.action is None else None
        return response
