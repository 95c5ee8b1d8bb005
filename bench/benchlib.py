"""Helpers shared by the benchmark scripts in this directory (not part of the package).

Every script measures a ratio against a baseline in the same run, so the figures hold on a noisy
machine; each prints one ``ratio ...`` line per figure (the smoke test looks for them).
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KEY, SECRET = "bench-key", "bench-secret-value"


def machine() -> str:
    """One line naming the machine's core count, Python and SQLite versions."""
    import platform
    import sqlite3

    return (f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else math.nan


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q`` percentile (0..100), nearest-rank: the value at or above q% of the samples."""
    data = sorted(values)
    if not data:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(data)))
    return data[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio_line(label: str, value: float, baseline: float, *, limit: float | None,
               quick: bool, unit: str = "x") -> bool:
    """Print ``ratio LABEL: R (target <= limit): met|MISSED``; return whether it was met."""
    ratio = value / baseline if baseline else math.inf
    if quick or limit is None:
        why = "no threshold in quick mode" if quick else "informative"
        print(f"ratio {label}: {ratio:.2f}{unit} ({why})")
        return True
    met = ratio <= limit
    print(f"ratio {label}: {ratio:.2f}{unit} (target <= {limit:g}{unit}): "
          f"{'met' if met else 'MISSED'}")
    return met


def check_line(label: str, value: float, limit: float, *, quick: bool, what: str = "") -> bool:
    """Print an absolute check (``value`` seconds against ``limit`` seconds)."""
    if quick:
        print(f"check {label}: {ms(value)}{what} (no threshold in quick mode)")
        return True
    met = value < limit
    print(f"check {label}: {ms(value)}{what} (target < {ms(limit)}): {'met' if met else 'MISSED'}")
    return met


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes (Linux /proc)."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(rest.split()[0]) * 1024
    return found


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc); 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_ids(n: int, seed: int = 1) -> list[str]:
    """``n`` distinct upload IDs shaped like the API's (``up_`` and 22 random letters and
    digits), the same for the same ``seed``."""
    import random
    import string

    rng, chars = random.Random(seed), string.ascii_letters + string.digits
    ids, seen = [], set()
    while len(ids) < n:
        upload_id = "up_" + "".join(rng.choices(chars, k=22))
        if upload_id not in seen:
            seen.add(upload_id)
            ids.append(upload_id)
    return ids


def _auth_header() -> str:
    import base64

    return "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def _create_body(i: int) -> bytes:
    import json

    return json.dumps({"fileName": f"bench_{i:06d}.png", "contentType": "image/png",
                       "fileSize": 1000 + i, "parts": 1, "kind": "image"}).encode()


class FakeProcess:
    """The fake Scenario API served by ``scenario-tui fake-api`` in a child process, so that its
    work (and its share of the GIL) is not charged to the process being measured.

    ``create(n)`` makes ``n`` pending uploads over HTTP and returns their IDs; ``latency(s)``
    sets the per-request latency (the fake sleeps in each request's own server thread).
    """

    def __init__(self, log_dir: Path) -> None:
        import subprocess
        from urllib.parse import urlsplit

        self.log = open(log_dir / "fake-api.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scenario_tui", "fake-api", "--no-seed", "--step-seconds",
             "0", "--api-key", KEY, "--api-secret", SECRET],
            stdout=subprocess.PIPE, stderr=self.log, cwd=ROOT)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            self.close()
            raise RuntimeError(f"fake-api did not start: {line!r}")
        self.base_url = line
        parts = urlsplit(line)
        self.host, self.port, self.prefix = parts.hostname, parts.port, parts.path

    def _request(self, conn, method: str, path: str, body: bytes | None = None) -> bytes:
        headers = {"Authorization": _auth_header(), "Content-Type": "application/json"}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status} {data[:200]!r}")
        return data

    def create(self, n: int) -> list[str]:
        import http.client
        import json

        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            return [json.loads(self._request(conn, "POST", f"{self.prefix}/uploads",
                                             _create_body(i)))["upload"]["id"]
                    for i in range(n)]
        finally:
            conn.close()

    def latency(self, seconds: float) -> None:
        import http.client
        import json

        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            body = json.dumps({"seconds": seconds}).encode()
            self._request(conn, "POST", "/_fake/latency", body)
        finally:
            conn.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the child this object started
            try:
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()

    def __enter__(self) -> "FakeProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fill_store(path: Path, n: int, *, snapshot_share: float = 0.1, newest: list[str] = (),
               note_every: int = 50) -> list[str]:
    """A store at ``path`` with ``n`` known uploads, oldest first.

    ``newest`` IDs (for example uploads the fake knows) are added last, so they are listed first.
    A ``snapshot_share`` of the others gets a recorded snapshot with a final status (imported or
    failed) and a file name, and every ``note_every``-th one a note, so filtering has something
    realistic to look at. Returns every ID in the order added.
    """
    from scenario_tui.store.sqlite import Store

    newest = list(newest)
    ids = bench_ids(max(n - len(newest), 0)) + newest
    with Store.open(path) as store:
        store.add(ids)
        every = max(1, round(1 / snapshot_share)) if snapshot_share > 0 else 0
        for i, upload_id in enumerate(ids[: len(ids) - len(newest)]):
            if every and i % every == 0:
                failed = i % (every * 7) == 0
                store.record_snapshot(upload_id, {
                    "id": upload_id, "status": "failed" if failed else "imported",
                    "fileName": f"render_{i:06d}.png", "kind": "image", "source": "multipart",
                    "fileSize": 50_000 + i, "contentType": "image/png",
                    "createdAt": "2026-01-01T00:00:00.000Z",
                    "updatedAt": "2026-01-01T00:05:00.000Z",
                    "errorMessage": "The file could not be decoded." if failed else None,
                    "ownerId": "proj_bench", "jobId": f"job_{upload_id[3:]}",
                })
            if note_every and i % note_every == 1:
                store.set_note(upload_id, f"ticket #{i}: customer waiting")
    return ids


PYCACHE = Path(tempfile.gettempdir()) / "scenario-tui-bench-pycache"


def python_env() -> dict[str, str]:
    """Our environment, as an installed app would run: bytecode cached (in ``PYCACHE``: the
    repository is not written to) and stdout buffered, whatever PYTHONDONTWRITEBYTECODE and
    PYTHONUNBUFFERED say here (containers often set both)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONUNBUFFERED", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def bench_env(base_url: str, tmp: Path) -> dict[str, str]:
    """Environment for running scenario-tui against the served fake, isolated from the user."""
    env = python_env()
    for name in ("SCENARIO_SDK_JWT", "SCENARIO_PROJECT_ID", "SCENARIO_TUI_PROFILE",
                 "SCENARIO_CUSTOM_HEADERS"):
        env.pop(name, None)
    env.update(SCENARIO_BASE_URL=base_url, SCENARIO_SDK_API_KEY=KEY,
               SCENARIO_SDK_API_SECRET=SECRET, SCENARIO_TUI_CONFIG=str(tmp / "no-config.toml"),
               SCENARIO_TUI_DATA_DIR=str(tmp / "data"))
    return env


class Stopwatch:
    def __enter__(self) -> "Stopwatch":
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


#: the performance hooks a benchmark can switch off (``--without NAME,...``), each a module flag
#: that the product reads; each must keep earning its place in RESULTS.md
HOOKS = {
    "key-handover": ("scenario_tui.tui.internals", "KEY_HANDOVER"),
    "frame-resume": ("scenario_tui.tui.internals", "FRAME_RESUME"),
    "quiet-input": ("scenario_tui.tui.internals", "QUIET_INPUT_SIZE"),
    "transport": ("scenario_tui.api.httpx_client", "ASYNCIO_TRANSPORT"),
    "cookies": ("scenario_tui.api.httpx_client", "NO_COOKIES"),
}


def switch_off(names: str) -> list[str]:
    """Turn off the hooks named (comma-separated) in this process; the names switched off."""
    import importlib

    off = [name for name in names.split(",") if name]
    unknown = sorted(set(off) - set(HOOKS))
    if unknown:
        raise SystemExit(f"unknown hook(s) {unknown}; known: {', '.join(HOOKS)}")
    for name in off:
        module, flag = HOOKS[name]
        setattr(importlib.import_module(module), flag, False)
    return off
