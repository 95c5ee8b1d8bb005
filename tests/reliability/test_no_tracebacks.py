"""No tracebacks, ever (issue 16, section 6): whatever the configuration, the CA bundle, the part
URLs a server hands out or the state of the store, the user gets a clear message and a
documented exit code, never a Python traceback.

- Settings of the wrong type or an impossible value (negative, zero or non-finite durations,
  NaN, inf, empty text, control characters, a port out of range), from the config file, a flag
  or the environment: ``Configuration error``, exit code 2, and a secret never shown.
- ``SSL_CERT_FILE`` naming a missing file or one that holds no certificate: exit code 2 with
  the variable and the file named.
- A part URL with a control character, a port out of range or another scheme: that upload
  fails with "unusable URL", and nothing is sent.
- A store in a directory the user cannot write: read commands and ``--read-only`` work (the
  file opened read-only, immutable), writes fail clearly, nothing is created or changed.
- A store damaged while the TUI runs: the TUI says so and stays up, showing what it had read;
  and a TUI that ends on an error exits non-zero.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import httpx
import pytest
from textual.worker import WorkerFailed

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.units import MIB
from scenario_tui.service.upload_result import UploadIncompleteError
from scenario_tui.service.uploader import Uploader
from scenario_tui.tui import internals
from scenario_tui.tui.widgets.status_panel import StatusPanel
from tests.conftest import make_app, make_settings, settle
from tests.kit import PENDING, cli_environment, closed_port, run_cli
from tests.reliability.test_store_stress import (
    ROOT,
    _drop_file_permission_override,
    _scenario_tui,
    make_store,
)

SECRET_VALUE = "no-tracebacks-S3CR3T-9d1e"

# --- configuration -------------------------------------------------------------------------

#: (config file text, a phrase the error must hold); every one is refused with exit code 2
BAD_CONFIGS = [
    ("profiles = 1\n", "'profiles'"),
    ("store = 5\n", "'store'"),
    ("timeout = nan\n", "'timeout'"),
    ("timeout = inf\n", "'timeout'"),
    ("timeout = -inf\n", "'timeout'"),
    ("timeout = -1.0\n", "'timeout'"),
    ("timeout = 0\n", "'timeout'"),
    ("connect_timeout = 1e300\n", "'connect_timeout'"),
    ('timeout = "60"\n', "'timeout'"),
    ("timeout = 1979-05-27\n", "'timeout'"),
    ("poll_min_seconds = nan\n", "'poll_min_seconds'"),
    ("poll_min_seconds = 5.0\npoll_max_seconds = 1.0\n", "'poll_min_seconds'"),
    ("max_retries = true\n", "'max_retries'"),
    ("max_retries = 1.5\n", "'max_retries'"),
    ("max_retries = -1\n", "'max_retries'"),
    ("max_retries = 100000\n", "'max_retries'"),
    ("refresh_concurrency = 0\n", "'refresh_concurrency'"),
    ("startup_refresh_cap = -5\n", "'startup_refresh_cap'"),
    ("startup_refresh_cap = 99999999999\n", "'startup_refresh_cap'"),
    ('base_url = ""\n', "'base_url'"),
    ("base_url = 5\n", "'base_url'"),
    ('base_url = "https://api.example:99999/v1"\n', "not a valid base URL"),
    ('base_url = "https://api.exa mple/v1"\n', "not a valid base URL"),
    ('base_url = "https://api.example/v1\\u001b[2J"\n', "'base_url'"),
    ("project_id = 7\n", "'project_id'"),
    ('project_id = ""\n', "'project_id'"),
    ('store = ""\n', "'store'"),
    ('store = "a\\u0000b.db"\n', "'store'"),
    ("api_key_env = []\n", "'api_key_env'"),
    (f'api_secret = ["{SECRET_VALUE}"]\n', "'api_secret'"),
    (f'api_key = "k"\napi_secret = "{SECRET_VALUE}\\u0007"\n', "api_secret"),
    ('jwt = "\u00e9t\u00e9-token"\n', "jwt"),
    ("profile = 3\n", "Profile"),
    ('profile = ""\n', "Profile"),
    ("[profiles]\ndefault = 1\n", "[profiles.default]"),
]


@pytest.mark.parametrize(("text", "says"), BAD_CONFIGS, ids=[t for t, _ in BAD_CONFIGS])
def test_a_bad_setting_in_the_config_file_is_a_config_error(tmp_path, monkeypatch, capsys,
                                                            text, says):
    """Each was accepted (and every request then failed) or raised a traceback before."""
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    os.chmod(config, 0o600)
    monkeypatch.setenv("SCENARIO_TUI_CONFIG", str(config))
    run = run_cli(capsys, monkeypatch, "list")
    assert run.code == 2, run.err
    assert run.err.startswith("Configuration error: ") and says in run.err
    assert "Traceback" not in run.err and SECRET_VALUE not in run.err


@pytest.mark.parametrize("argv", [["--store", ""], ["--base-url", ""], ["--profile", ""],
                                  ["--project-id", ""], ["--base-url", "https://h:70000/v1"]])
def test_an_empty_or_impossible_flag_is_a_config_error(monkeypatch, capsys, argv):
    """An empty flag used to be ignored silently (the default was used instead)."""
    run = run_cli(capsys, monkeypatch, *argv, "list")
    assert run.code == 2 and run.err.startswith("Configuration error: "), run.err


@pytest.mark.parametrize(("name", "value"), [
    ("SCENARIO_CUSTOM_HEADERS", "Bad Name: x"),
    ("SCENARIO_CUSTOM_HEADERS", f"X-Gateway: caf\u00e9-{SECRET_VALUE}"),
    ("SCENARIO_SDK_JWT", f"tok\u00e9n-{SECRET_VALUE}"),
    ("SCENARIO_BASE_URL", "https://api.example:99999/v1"),
])
def test_an_environment_value_no_request_can_carry_is_a_config_error(monkeypatch, capsys, name,
                                                                     value):
    """A header value outside ASCII made httpx raise UnicodeEncodeError at the first request."""
    monkeypatch.setenv(name, value)
    run = run_cli(capsys, monkeypatch, "list")
    assert run.code == 2 and run.err.startswith("Configuration error: "), run.err
    assert SECRET_VALUE not in run.err


# --- TLS certificate authorities -----------------------------------------------------------


@pytest.mark.parametrize("bundle", ["missing", "not-a-certificate", "a-directory"])
def test_a_broken_ssl_cert_file_is_a_clear_error(tmp_path, monkeypatch, capsys, server, bundle):
    """The certificate authorities are loaded when a client for an https:// API is made: a
    missing SSL_CERT_FILE raised FileNotFoundError, garbage ssl.SSLError, both as a traceback.
    An http:// API needs none, and is not refused for it."""
    cli_environment(monkeypatch, tmp_path, "https://127.0.0.1:9/v1")
    path = tmp_path / "ca.pem"
    if bundle == "not-a-certificate":
        path.write_text("this is not a certificate\n")
    elif bundle == "a-directory":
        path.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    run = run_cli(capsys, monkeypatch, "show", PENDING[0], "--refresh")
    assert run.code == 2, run.err
    assert "Configuration error: Cannot load the TLS certificate authorities" in run.err
    assert "SSL_CERT_FILE" in run.err and str(path) in run.err and "Traceback" not in run.err
    cli_environment(monkeypatch, tmp_path, server.base_url)
    assert run_cli(capsys, monkeypatch, "show", PENDING[0], "--refresh").code == 0


# --- part URLs from the server -------------------------------------------------------------


class PartUrls(httpx.AsyncBaseTransport):
    """The fake API, with every part URL it hands out replaced by ``url``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, url: str) -> None:
        self.inner, self.url = inner, url

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        upload = data.get("upload") if isinstance(data, dict) else None
        if isinstance(upload, dict):
            for part in upload.get("parts") or ():
                part["url"] = self.url
            body = json.dumps(data).encode()
        return httpx.Response(response.status_code, content=body,
                              headers={"content-type": "application/json"})


HOSTILE_PART_URLS = {
    "control-character": "https://storage.test/bucket/p1\x07?X-Amz-Signature=abc",
    "escape-sequence": "https://storage.test/bucket/\x1b]52;c;aGk=\x07p1",
    "port-99999": "https://storage.test:99999/bucket/p1?X-Amz-Signature=abc",
    "not-http": "file:///etc/passwd",
    "no-host": "https:///bucket/p1",
}


@pytest.mark.parametrize("name", list(HOSTILE_PART_URLS))
async def test_an_unusable_part_url_fails_that_upload_clearly(fake, tmp_path, name):
    """The PUT raised httpx.InvalidURL or OverflowError (neither an httpx.HTTPError), which
    escaped as a traceback. Now the upload stops before any part is sent, says why without
    showing the URL (a credential), and keeps the upload ID for a resume."""
    settings = make_settings(tmp_path)
    service = build_service(settings, transport=PartUrls(fake.transport(),
                                                        HOSTILE_PART_URLS[name]))
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x01" * (6 * MIB))

    async def no_sleep(seconds: float) -> None:
        return None

    uploader = Uploader(service.client, service.store, service=service,
                        part_transport=fake.transport(), sleep=no_sleep, poll_min=0.0,
                        poll_max=0.0)
    try:
        with pytest.raises(UploadIncompleteError) as caught:
            await uploader.upload_file(path, part_size=5 * MIB)
        error = caught.value
        assert error.title == errors.BadResponseError.title
        assert "unusable URL for part 1" in error.message
        assert "storage.test" not in error.message and "\x1b" not in error.message
        assert service.store.contains(error.upload_id)
        assert not [r for r in fake.requests if r.method == "PUT"]
    finally:
        service.store.close()


# --- a store in a directory the user cannot write ------------------------------------------


@pytest.fixture
def locked_dir_store(tmp_path):
    """A store of 300 uploads (WAL mode, no -wal/-shm left) in a directory made read-only."""
    folder = tmp_path / "stores"
    folder.mkdir()
    path = folder / "uploads.db"
    make_store(path)
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    yield path
    os.chmod(folder, stat.S_IRWXU)


def test_a_store_in_a_read_only_directory_can_be_read(locked_dir_store, proc_env):
    """SQLite needs to create -wal and -shm beside a WAL store: ``list`` failed with "unable to
    open database file", even with ``--read-only``. Now reads work, a write says the store is
    read-only here, and nothing is created or changed (as a user without root's override)."""
    path = locked_dir_store
    before = path.read_bytes()
    for argv in (["list"], ["--read-only", "list"], ["list", "--json"], ["log"],
                 ["--read-only", "log", "--json"]):
        run = _scenario_tui(["--store", str(path), *argv], proc_env,
                            preexec=_drop_file_permission_override)
        assert run.returncode == 0, (argv, run.stderr)
        assert "Traceback" not in run.stderr
        if argv[-1] == "list":
            assert len(run.stdout.splitlines()) == 300
        if "--read-only" not in argv:
            assert "not writable" in run.stderr  # said, as a warning
    write = _scenario_tui(["--store", str(path), "add", "up_new"], proc_env,
                          preexec=_drop_file_permission_override)
    assert write.returncode == 1 and "Traceback" not in write.stderr
    assert "Cannot write the local store: " in write.stderr and "read-only" in write.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["uploads.db"]


@pytest.fixture
def proc_env(tmp_path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "SCENARIO_TUI_DATA_DIR": str(tmp_path / "data"),
            "SCENARIO_TUI_CONFIG": str(tmp_path / "config.toml"),
            "SCENARIO_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"}


# --- a store that breaks while the TUI runs ------------------------------------------------


def damage_under_a_reader(path) -> None:
    """What another program (or a failing disk) does to the file while the TUI has it open:
    a write from another connection (so the TUI's connection drops its page cache at its next
    read), its WAL folded into the main file, then every byte of the main file overwritten."""
    other = sqlite3.connect(path)
    other.execute("UPDATE counters SET value = value")
    other.commit()
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    other.close()
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.write(bytes((i * 131 + 7) % 251 for i in range(size)))
    fresh = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            fresh.execute("SELECT count(*) FROM uploads").fetchall()
    finally:
        fresh.close()


async def settle_past_failures(app, pilot) -> None:
    """``settle``, where workers may fail: the app reports each (what the test checks)."""
    for _ in range(100):
        await pilot.pause()
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            continue
        break
    await pilot.pause()


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in internals.notifications(app)]


async def test_a_store_damaged_while_the_tui_runs_is_said_and_the_app_stays_up(fake, tmp_path):
    """``R`` read the IDs from the store on the UI thread: StoreCorruptError escaped a key
    handler, Textual printed a traceback and ``scenario-tui`` exited with code 0. Now every key
    that reads the store says the store is damaged (status widget and a toast), the list keeps
    the rows it had read, and the app stays up."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        shown = [screen.table.listing.row(i) for i in range(screen.table.listing.count())]
        assert len(shown) == len(fake.seeded_ids)
        damage_under_a_reader(screen.service.store.path)
        for key in ("R", "r", "c", "escape", "L", "escape", "Y", "y", "j", "G", "g", "space",
                    "*", "s", "d", "escape", "n", "escape", "u", "i", "i", "?", "escape"):
            await pilot.press(key)
            await settle_past_failures(app, pilot)
            assert app.is_running, key
        screen.table.reload()  # what a refresh result does
        await settle_past_failures(app, pilot)
        status = str(screen.query_one(StatusPanel).render())
        assert "Local store is damaged" in status
        damaged = [t for t in toasts(app) if t.startswith("Local store is damaged: ")]
        assert 1 <= len(damaged) <= 8  # said for each action asked for, not once per key
        assert screen.table.listing.row(0) is not None  # what was read before is still shown
        assert "Unexpected error" not in " ".join(toasts(app))
    assert app.return_code in (None, 0)


def test_a_tui_that_ends_on_an_error_exits_non_zero(monkeypatch, capsys, tmp_path):
    """``cmd_tui`` returned 0 whatever became of the app: a crash (Textual prints the
    traceback) looked like a success to a script."""
    from scenario_tui.cli.commands import app as app_command
    from scenario_tui.tui.app import ScenarioApp

    real_run = ScenarioApp.run

    def headless(self, *args, **kwargs):
        return real_run(self, headless=True)

    def broken(self) -> None:
        raise RuntimeError("a bug at start-up")

    monkeypatch.setattr(ScenarioApp, "run", headless)
    monkeypatch.setattr(ScenarioApp, "on_mount", broken)
    monkeypatch.setattr(app_command, "has_terminal", lambda: True)  # pytest's stdin is not one
    run = run_cli(capsys, monkeypatch, "--store", str(tmp_path / "s.db"), "--new-store")
    assert run.code == 1
