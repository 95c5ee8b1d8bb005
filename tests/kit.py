"""Shared pieces of the reliability tests (test_faults_*, test_hostile_input, test_secrets,
test_store_stress): the fault tables, misbehaving loopback servers, and secret needles.

Everything listens on 127.0.0.1 only; nothing here sends a byte anywhere else.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import os
import socket
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from scenario_tui.api.responses import UPLOAD_BODY_BYTES
from scenario_tui.cli import main as cli
from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.seeds import seeded_pending_ids

# --- credentials the tests plant, and the needles that must never show up ---------------------

API_KEY = "rel-key-0001"
SECRET = "rel-S3CR3T-value-7f3a9c"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWxpYWJpbGl0eSJ9.rel-jwt-signature-4b2d"
AUTH_VALUE = base64.b64encode(f"{API_KEY}:{SECRET}".encode()).decode()
PRESIGNED = "X-Amz-Signature=rel0presigned0deadbeef"
#: an error body that echoes every credential back (a careless gateway or a hostile server)
ECHO = (f"echo Authorization: Basic {AUTH_VALUE} ; secret {SECRET} ; Bearer {JWT} ; "
        f"part https://storage.test/bucket/p1?{PRESIGNED}&X-Amz-Credential=abc")
#: substrings that betray a leak; "signature=" catches the fake's presigned part URLs
NEEDLES = (SECRET, AUTH_VALUE, JWT, "rel-jwt-signature", "rel0presigned0deadbeef", "signature=",
           "X-Amz-Credential")

PENDING = seeded_pending_ids(include_bad_file=False)
MIB = 1024 * 1024


def leaks(*texts: str | bytes) -> list[str]:
    """The needles found in any of ``texts`` (str or bytes)."""
    found = []
    for text in texts:
        blob = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        found += [n for n in NEEDLES if n.encode() in blob]
    return sorted(set(found))


def store_files(path: Path) -> bytes:
    """The bytes of the store file and its -wal/-shm companions (whatever exists)."""
    blob = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            blob += p.read_bytes()
    return blob


def reuse_default_ssl_context(monkeypatch) -> None:
    """Build httpx's default (verifying) SSL context once instead of once per client.

    Loading the CA bundle costs ~50 ms per ``ScenarioClient``; the fault tests build hundreds of
    clients for plain-http loopback servers, where the context is never used. The cached context
    is the very one httpx would build (certifi, CERT_REQUIRED, hostname checks), so nothing about
    verification changes; test_secrets checks the real, uncached path.
    """
    import httpx._config as config
    import httpx._transports.default as default

    real = config.create_ssl_context
    cache: dict = {}

    def cached(verify=True, cert=None, trust_env=True):
        if verify is not True or cert is not None:
            return real(verify=verify, cert=cert, trust_env=trust_env)
        key = (trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        if key not in cache:
            cache[key] = real(verify=verify, cert=cert, trust_env=trust_env)
        return cache[key]

    monkeypatch.setattr(default, "create_ssl_context", cached)


# --- fault tables ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One fault the API can throw at us: the fake's fault kwargs, the title the user must see,
    and a phrase of the message that says specifically what happened."""

    name: str
    fault: dict[str, Any]
    title: str
    says: str
    #: True when the client cannot know whether a POST arrived (re-read expected)
    uncertain_on_post: bool = False


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


_UPLOAD = {
    "id": "up_shape", "authorId": "a", "createdAt": "2026-01-01T00:00:00Z", "fileName": "f.png",
    "kind": "image", "ownerId": "o", "source": "multipart", "status": "pending",
    "updatedAt": "2026-01-01T00:00:00Z",
}

STATUS_CASES = [
    Case("400", dict(status=400), "Request rejected", "HTTP 400"),
    Case("401", dict(status=401), "Bad credentials", "HTTP 401"),
    Case("403", dict(status=403), "Forbidden", "HTTP 403"),
    Case("404", dict(status=404), "Not found", "HTTP 404"),
    # a conflict on ``complete`` is re-read too: someone else may have completed the upload
    Case("409", dict(status=409), "Invalid state", "HTTP 409", True),
    Case("422", dict(status=422), "Request rejected", "HTTP 422"),
    Case("429-no-hint", dict(status=429), "Rate limited", "Too many requests"),
    Case("429-retry-after", dict(status=429, retry_after=3), "Rate limited", "Try again in 3 s"),
    Case("429-retry-after-ms", dict(status=429, retry_after_ms=4000), "Rate limited",
         "Try again in 4 s"),
    Case("429-remaining-seconds", dict(status=429, remaining_seconds=7), "Rate limited",
         "Try again in 7 s"),
    Case("500", dict(status=500), "Server error", "HTTP 500", True),
    Case("502-html", dict(kind="html", status=502), "Server error", "HTML page", True),
    Case("503", dict(status=503), "Server error", "HTTP 503", True),
    Case("504", dict(status=504), "Server error", "HTTP 504", True),
]
BODY_CASES = [
    Case("timeout", dict(kind="timeout"), "Timed out", "did not answer in time", True),
    Case("drop", dict(kind="drop"), "Cannot connect", "dropped", True),
    Case("malformed-json", dict(kind="malformed_json"), "Unexpected response", "not JSON", True),
    Case("wrong-shape", dict(kind="wrong_shape"), "Unexpected response", "no 'upload' object",
         True),
    # beyond the cap of answers that carry an upload (sized for 10,000 parts' URLs)
    Case("huge-body", dict(status=200, body="x" * (UPLOAD_BODY_BYTES + 1024)),
         "Unexpected response", "larger than 47 MiB", True),
    Case("deeply-nested", dict(status=200, body="[" * 200_000), "Unexpected response",
         "nested", True),
    Case("deep-config", dict(status=200, body={"upload": {**_UPLOAD, "config": _deep(400)}}),
         "Unexpected response", "nested", True),
    Case("nan-number", dict(status=200, body='{"upload": {"id": "up_shape", "status": "pending",'
                                             ' "fileSize": NaN}}'),
         "Unexpected response", "not JSON", True),
    Case("overflowing-number", dict(status=200, body='{"upload": {"id": "up_shape", "status": '
                                                     '"pending", "fileSize": 1e999}}'),
         "Unexpected response", "not JSON", True),
]
ALL_CASES = STATUS_CASES + BODY_CASES
CASE_IDS = [c.name for c in ALL_CASES]


def unknown_values_body(upload_id: str) -> dict[str, Any]:
    """A success whose upload carries values and fields this version has never heard of."""
    return {"upload": {**_UPLOAD, "id": upload_id, "status": "quarantined", "kind": "hologram",
                       "source": "telepathy", "brandNewField": {"nested": [1, 2, 3]},
                       "anotherOne": "hello"},
            "meta": {"apiVersion": "v9"}}


# --- the CLI, in-process ------------------------------------------------------------------------


@dataclass
class CliRun:
    code: int
    out: str
    err: str


def run_cli(capsys, monkeypatch, *argv: str, stdin: str = "") -> CliRun:
    """``scenario-tui ARGV`` in this process (the real parser, settings, wiring and exit code).

    An exception escaping ``main`` fails the test: the user would have seen a traceback.
    """
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return CliRun(code, out, err)


def cli_environment(monkeypatch, tmp_path: Path, base_url: str, *, retries: int = 0,
                    timeout: float = 0.5, connect_timeout: float = 0.3, jwt: bool = False) -> Path:
    """Point the CLI at ``base_url`` with small timeouts; returns the store path."""
    monkeypatch.setenv("SCENARIO_BASE_URL", base_url)
    if jwt:
        monkeypatch.setenv("SCENARIO_SDK_JWT", JWT)
    else:
        monkeypatch.setenv("SCENARIO_SDK_API_KEY", API_KEY)
        monkeypatch.setenv("SCENARIO_SDK_API_SECRET", SECRET)
    config = tmp_path / "config.toml"
    config.write_text(f"max_retries = {retries}\ntimeout = {timeout}\n"
                      f"connect_timeout = {connect_timeout}\npoll_min_seconds = 0.01\n"
                      "poll_max_seconds = 0.05\n")
    monkeypatch.setenv("SCENARIO_TUI_CONFIG", str(config))
    return tmp_path / "data" / "uploads.db"


def store_state(path: Path) -> tuple[list[tuple], list[tuple]]:
    """(uploads rows, activity rows) read straight from the file."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT id, note, snapshot, fetched_at, status, file_name FROM uploads"
                            " ORDER BY seq").fetchall()
        events = conn.execute("SELECT upload_id, action, outcome, http_status, message"
                              " FROM activity ORDER BY id").fetchall()
    finally:
        conn.close()
    return rows, events


# --- fake helpers --------------------------------------------------------------------------------


def clone_pending(fake: FakeScenario, count: int, prefix: str = "up_clone") -> list[str]:
    """Add ``count`` fresh pending uploads to the fake (copies of a seeded one)."""
    template = fake.uploads[PENDING[0]]
    ids = []
    with fake._lock:
        for i in range(count):
            clone = copy.deepcopy(template)
            clone.id = f"{prefix}_{i:05d}"
            clone.job.job_id = f"job_{prefix}_{i:05d}"
            clone.job.upload_id = clone.id
            fake.uploads[clone.id] = clone
            fake.jobs[clone.job.job_id] = clone.job
            ids.append(clone.id)
    return ids


def posts(fake: FakeScenario, upload_id: str) -> int:
    return fake.complete_count(upload_id)


def reread_after_post(fake: FakeScenario, upload_id: str) -> bool:
    """Whether a GET of the upload followed its complete POST."""
    seen_post = False
    for r in list(fake.requests):
        if r.method == "POST" and r.path == f"/v1/uploads/{upload_id}/action":
            seen_post = True
        elif seen_post and r.method == "GET" and r.path == f"/v1/uploads/{upload_id}":
            return True
    return False


# --- misbehaving loopback servers ------------------------------------------------------------


def count_requests(service, delay: float = 0.01) -> dict:
    """Wrap the client's two requests of a complete (the read before the POST, the POST; reads
    that follow the upload once posted are let through uncounted): each takes ``delay``
    longer; how many were in flight at most, and the order they started in."""
    seen: dict = {"inside": 0, "most": 0, "started": []}
    posted: set[str] = set()

    def wrap(name: str) -> None:
        real = getattr(service.client, name)

        async def counted(upload_id, *args, **kwargs):
            if upload_id in posted:  # following it after its complete
                return await real(upload_id, *args, **kwargs)
            if name == "complete_upload":
                posted.add(upload_id)
            seen["started"].append((name, upload_id))
            seen["inside"] += 1
            seen["most"] = max(seen["most"], seen["inside"])
            try:
                await asyncio.sleep(delay)
                return await real(upload_id, *args, **kwargs)
            finally:
                seen["inside"] -= 1

        setattr(service.client, name, counted)

    wrap("get_upload")
    wrap("complete_upload")
    return seen


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class Blackhole:
    """Loopback listeners that never answer.

    ``mode="read"``: connections are accepted and held open in silence (a read timeout).
    ``mode="connect"``: a backlog of 0, filled at once and never accepted, so a new connection's
    handshake never completes (a connect timeout).
    """

    def __init__(self, mode: str = "read") -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        if mode == "connect":
            self.sock.listen(0)
            for _ in range(3):
                filler = socket.socket()
                filler.setblocking(False)
                try:
                    filler.connect(("127.0.0.1", self.port))
                except BlockingIOError:
                    pass
                self.held.append(filler)
            time.sleep(0.05)
        else:
            self.sock.listen(64)
            self.sock.settimeout(0.1)
            self._thread = threading.Thread(target=self._accept, daemon=True)
            self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.held.append(conn)

    def close(self) -> None:
        self._stop.set()
        for s in self.held:
            s.close()
        self.sock.close()

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Misbehaviour:
    """What the raw server does to requests matching ``method`` and ``path_suffix``.

    ``mode``: "half-body" (headers announce the full length, half the body, then close),
    "drip" (the answer trickles out a byte every ``interval`` s), "endless" (the status and
    headers at once, then a body that never ends, a byte every ``interval`` s), "hold" (read
    the request, answer nothing), "garbage" (bytes that are not HTTP). ``apply``: whether the
    fake API processes the request (the state changes and only the answer is lost) or never
    sees it.
    """

    mode: str
    method: str | None = None
    path_suffix: str | None = None
    apply: bool = True
    count: int | None = None
    interval: float = 1.0
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.used >= self.count:
            return False
        if self.method and method != self.method:
            return False
        return self.path_suffix is None or path.endswith(self.path_suffix)


class RawServer:
    """A hand-written HTTP/1.1 server on 127.0.0.1 answering from ``fake`` (one request per
    connection, ``Connection: close``), except where a ``Misbehaviour`` says otherwise (the first
    matching one of ``rules``, which tests may change at any time)."""

    def __init__(self, fake: FakeScenario, *rules: Misbehaviour) -> None:
        self.fake = fake
        self.rules: list[Misbehaviour] = list(rules)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        fake.base_url = self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            head, _, body = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            split = urlsplit(target)
            path = unquote(split.path)
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            with self._lock:
                rule = next((r for r in self.rules if r.matches(method, path)), None)
                if rule is not None:
                    rule.used += 1
            if rule is not None and not rule.apply:
                # let the fake log the request without acting on it
                self.fake.faults.add(status=500, method=method, path=path, count=1)
            resp = self.fake.handle(method, path, query, headers, body, peer="raw")
            payload = resp.body
            head_out = [f"HTTP/1.1 {resp.status} X", f"Content-Length: {len(payload)}",
                        "Connection: close"]
            head_out += [f"{k}: {v}" for k, v in resp.headers.items()]
            raw = ("\r\n".join(head_out) + "\r\n\r\n").encode("latin-1") + payload
            if rule is None:
                conn.sendall(raw)
            elif rule.mode == "half-body":
                cut = raw.index(b"\r\n\r\n") + 4 + max(len(payload) // 2, 1)
                conn.sendall(raw[:cut])
            elif rule.mode == "drip":
                for i in range(len(raw)):
                    if self._stop.wait(rule.interval):
                        break
                    conn.sendall(raw[i:i + 1])
            elif rule.mode == "endless":
                conn.sendall((f"HTTP/1.1 {resp.status} X\r\nContent-Length: {10**12}\r\n"
                              "Connection: close\r\n\r\n").encode("latin-1"))
                while not self._stop.wait(rule.interval):
                    conn.sendall(b" ")
            elif rule.mode == "hold":
                self._stop.wait(30)
            elif rule.mode == "garbage":
                conn.sendall(b"\x00\x01 not HTTP at all \xff\r\n\r\n")
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self.sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class SocketCase:
    """A transport-level fault: how to build the server and what the user must be told."""

    name: str
    title: str
    says: str
    mode: str | None = None  # a Misbehaviour mode for RawServer; None: see ``kind``
    kind: str | None = None  # "refused" | "connect-timeout"
    uncertain_on_post: bool = True
    interval: float = 0.8  # for "drip": seconds between bytes (more than the read timeout)


SOCKET_CASES = [
    SocketCase("connection-refused", "Cannot connect", "Cannot reach", kind="refused",
               uncertain_on_post=False),
    SocketCase("connect-timeout", "Timed out", "connect timeout", kind="connect-timeout"),
    SocketCase("read-timeout", "Timed out", "did not answer in time", mode="hold"),
    SocketCase("dropped-mid-body", "Cannot connect", "dropped", mode="half-body"),
    SocketCase("slow-drip", "Timed out", "did not answer in time", mode="drip"),
    # a byte every 0.1 s never trips the per-read timeout; the whole-exchange deadline ends it
    SocketCase("fast-drip", "Timed out", "did not finish answering", mode="drip", interval=0.1),
    SocketCase("not-http", "Cannot connect", "dropped", mode="garbage"),
]
SOCKET_IDS = [c.name for c in SOCKET_CASES]


class SocketFault:
    """Context manager: a base URL where ``case`` happens for requests matching method/path."""

    def __init__(self, case: SocketCase, fake: FakeScenario, *, method: str | None = None,
                 path_suffix: str | None = None, apply: bool = True) -> None:
        self.case, self.fake = case, fake
        self.method, self.path_suffix, self.apply = method, path_suffix, apply
        self._closer: Any = None

    def __enter__(self) -> str:
        case = self.case
        if case.kind == "refused":
            return f"http://127.0.0.1:{closed_port()}/v1"
        if case.kind == "connect-timeout":
            self._closer = Blackhole("connect")
            return self._closer.base_url
        rule = Misbehaviour(case.mode, self.method, self.path_suffix, self.apply,
                            interval=case.interval)
        self._closer = RawServer(self.fake, rule)
        return self._closer.base_url

    def __exit__(self, *exc: object) -> None:
        if self._closer is not None:
            self._closer.close()




async def settle_until(app, pilot, predicate, *, timeout: float = 10.0) -> None:
    """Let the app run its workers until ``predicate()`` holds. Work started from a dialog's
    callback may begin a moment after the key that closed it, on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the app did not get there in time")
        await pilot.pause(0.05)
