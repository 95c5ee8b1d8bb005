"""Secrets (promise 5 of RELIABILITY.md).

The API secret, the JWT, the Authorization header value and presigned query strings never show
up on screen, in the store file (and its -wal), in the activity log, in error text, in ``--json``
output or in a crash traceback, after any of the faults of the fault table, even when the server
echoes them back in its error bodies. TLS verification is on, and a private CA bundle works
through ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from rich.console import Console

from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import Credentials
from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.fake.server import _Server
from scenario_tui.tui.app import ScenarioApp
from scenario_tui.tui.internals import notifications
from tests.conftest import make_app as shared_make_app
from tests.conftest import make_settings, settle
from tests.kit import (
    ALL_CASES,
    API_KEY,
    AUTH_VALUE,
    ECHO,
    JWT,
    PENDING,
    PRESIGNED,
    SECRET,
    Case,
    cli_environment,
    clone_pending,
    leaks,
    reuse_default_ssl_context,
    run_cli,
    settle_until,
    store_files,
)


def echoing(case: Case) -> dict:
    """The case's fault, with an error body that repeats every credential back."""
    fault = dict(case.fault)
    if "body" in fault:
        return fault
    if fault.get("kind") == "html":
        return {**fault, "body": f"<html><body>{ECHO}</body></html>"}
    if fault.get("kind") is None:
        return {**fault, "body": {"message": ECHO, "traceId": f"trace {SECRET} {AUTH_VALUE}"}}
    return fault


#: the faults whose error body can carry the echo (the others are the client's own words)
ECHOING_CASES = [c for c in ALL_CASES
                 if "body" not in c.fault and c.fault.get("kind") in (None, "html")]


# --- the CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("jwt", [False, True], ids=["basic-auth", "jwt"])
def test_cli_leaks_nothing_after_any_fault(monkeypatch, capsys, tmp_path, server, fake, jwt):
    """For every fault, with an echoing server: show --refresh (text and --json), complete
    --json, then list/log --json; stdout, stderr and the store files (db, -wal, -shm) are
    searched for every credential and for presigned query strings."""
    reuse_default_ssl_context(monkeypatch)
    store = cli_environment(monkeypatch, tmp_path, server.base_url, jwt=jwt)

    def cli(*argv):
        return run_cli(capsys, monkeypatch, *argv)

    seen: list[str] = []
    ids = clone_pending(fake, len(ALL_CASES), "up_sec")
    cli("add", PENDING[0], *ids)
    first = cli("show", PENDING[0], "--refresh", "--json")  # a pending upload: presigned parts
    assert "parts" in json.loads(first.out)["upload"]
    seen += [first.out, first.err]
    problems = []
    for case, upload_id in zip(ALL_CASES, ids, strict=True):
        fault = echoing(case)
        fake.faults.add(**fault, method="GET", path=f"/uploads/{PENDING[0]}")
        fake.faults.add(**fault, method="POST", path=f"/uploads/{upload_id}/action", apply=True)
        runs = [cli("show", PENDING[0], "--refresh", "--json"),
                cli("complete", upload_id, "--yes", "--json")]
        fake.faults.add(**fault, method="GET", path=f"/uploads/{PENDING[0]}")
        runs.append(cli("show", PENDING[0], "--refresh"))
        found = leaks(*(r.out + r.err for r in runs), store_files(store))
        if found:
            problems.append(f"{case.name}: {found}")
        seen += [r.out + r.err for r in runs]
    for argv in (("list", "--json"), ("log", "--json"), ("log",), ("show", PENDING[0])):
        run = cli(*argv)
        seen.append(run.out + run.err)
    assert problems == []
    assert leaks(*seen, store_files(store)) == []
    # the echo really was there to leak: the error text kept the rest of the message
    assert any("echo Authorization: " in s and "[redacted]" in s for s in seen)


# --- the TUI -----------------------------------------------------------------------------------


def make_app(fake, tmp_path, ids, *, jwt: bool = False) -> ScenarioApp:
    creds = {"api_key": None, "api_secret": None, "jwt": JWT} if jwt else {
        "api_key": API_KEY, "api_secret": SECRET}
    return shared_make_app(fake, tmp_path, ids, **creds)


async def test_tui_leaks_nothing_after_any_fault(fake, tmp_path):
    """Each status fault of the table on `r` with an echoing server (body faults are covered by
    test_faults_tui, which checks every screen too), then a complete that fails with
    an echo and the activity log: screen, toasts and store files hold no credential; the
    highlighted pending upload's presigned part URLs are shown without their query."""
    app = make_app(fake, tmp_path, [PENDING[1], PENDING[0]])
    store_path = app.service.store.path
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        assert app.main_screen.table.highlighted_id == PENDING[0]
        shots = [app.export_screenshot()]
        assert "[redacted]" in shots[0]  # the parts section is there, queries removed
        problems = []
        for case in ECHOING_CASES:
            app.service.client._cooldown_until = 0.0
            fake.faults.add(**echoing(case), method="GET", path=f"/uploads/{PENDING[0]}")
            await pilot.press("r")
            await settle(app, pilot)
            shot = app.export_screenshot()
            toasts = [f"{n.title} {n.message}" for n in notifications(app)]
            found = leaks(shot, *toasts, store_files(store_path))
            if found:
                problems.append(f"{case.name}: {found}")
        assert problems == []
        fake.faults.add(status=400, body={"message": ECHO}, method="POST", path="/action")
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("c", "y")
        await settle_until(app, pilot, lambda: app.main_screen.states.failure(PENDING[0]))
        assert fake.complete_count(PENDING[0]) == 1
        await pilot.press("L")
        await pilot.pause()
        log_shot = app.export_screenshot().replace("&#160;", " ")
        assert app.screen.__class__.__name__ == "ActivityLogScreen"
        assert "[redacted]" in log_shot and "Request rejected" in log_shot
        assert leaks(log_shot, store_files(store_path)) == []
    assert leaks(store_files(store_path)) == []


# --- reprs and tracebacks ------------------------------------------------------------------------


def _crash_holding_secrets(settings, service) -> None:
    credentials = Credentials(settings.api_key, settings.api_secret, settings.jwt)
    client = service.client
    headers = client._http.headers
    everything = [settings, credentials, client, headers, service]  # noqa: F841 - shown as locals
    raise RuntimeError("boom while holding every credential-bearing object")


def test_reprs_and_a_locals_traceback_hold_no_secret(tmp_path, fake):
    """repr() of the settings, credentials, client, its headers and the service; and a Rich
    traceback with locals rendered exactly as Textual renders a crash."""
    from rich.traceback import Traceback

    settings = make_settings(tmp_path, api_key=API_KEY, api_secret=SECRET, jwt=JWT)
    service = build_service(settings, transport=fake.transport())
    client = service.client
    reprs = [repr(settings), repr(Credentials(API_KEY, SECRET, JWT)), repr(client),
             repr(client._http.headers), repr(service), repr(service.store), str(settings)]
    assert leaks(*reprs) == []
    assert client._http.headers["authorization"] == f"Basic {AUTH_VALUE}"  # it is really there
    try:
        _crash_holding_secrets(settings, service)
    except RuntimeError:
        console = Console(record=True, width=200, file=open("/dev/null", "w"))
        console.print(Traceback(show_locals=True, width=None, locals_max_length=5))
        text = console.export_text()
    assert "everything" in text and "credentials" in text  # the locals were rendered
    assert leaks(text) == []
    service.store.close()


async def test_tui_crash_traceback_holds_no_secret(fake, tmp_path, capsys):
    """A bug in a key handler crashes the app (Textual's fatal-error path, locals shown): the
    traceback printed on stderr holds no credential."""
    app = make_app(fake, tmp_path, [PENDING[0]])
    main_screen = None

    def broken_help() -> None:
        _crash_holding_secrets(app.settings, app.service)

    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            main_screen = app.main_screen
            main_screen.action_help = broken_help
            await pilot.press("question_mark")
            await pilot.pause()
    out, err = capsys.readouterr()
    assert main_screen is not None
    assert "boom" in out + err and "everything" in out + err  # Textual printed the locals
    assert leaks(out, err) == []


# --- TLS ---------------------------------------------------------------------------------------


def test_tls_verification_is_on_for_the_real_transport(tmp_path):
    settings = make_settings(tmp_path, base_url="https://api.example.test/v1")
    service = build_service(settings)
    context = service.client._http._transport._pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    service.store.close()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def private_ca(tmp_path) -> Path:
    """A throw-away CA and a certificate for 127.0.0.1 signed by it (EC keys: quick)."""
    d = tmp_path / "pki"
    d.mkdir()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
             "/CN=scenario-tui test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-new", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1",
             cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                               "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                               "authorityKeyIdentifier=keyid,issuer\n")
    _openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", "srv.pem", "-extfile", "ext.cnf", cwd=d)
    return d


@pytest.fixture
def tls_server(private_ca, fake):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(private_ca / "srv.pem", private_ca / "srv.key")
    server = _Server(("127.0.0.1", 0), fake)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda *args: None  # refused handshakes are the point here
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/v1"
    server.stopping.set()
    server.shutdown()
    server.server_close()


async def test_private_ca_is_refused_by_default_and_trusted_through_ssl_cert_file(
        tls_server, private_ca, monkeypatch):
    """Without SSL_CERT_FILE the certificate is refused with a message that says what to do;
    with SSL_CERT_FILE pointing at the CA bundle the same call succeeds."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    creds = Credentials(API_KEY, SECRET)
    async with ScenarioClient(base_url=tls_server, credentials=creds, max_retries=0,
                              timeout=5, connect_timeout=5) as client:
        with pytest.raises(errors.ApiConnectionError) as info:
            await client.get_upload(PENDING[0])
    assert info.value.title == "Cannot connect"
    assert "certificate" in info.value.message and "SSL_CERT_FILE" in info.value.message
    assert leaks(str(info.value)) == []
    monkeypatch.setenv("SSL_CERT_FILE", str(private_ca / "ca.pem"))
    async with ScenarioClient(base_url=tls_server, credentials=creds, max_retries=0,
                              timeout=5, connect_timeout=5) as client:
        upload = await client.get_upload(PENDING[0])
    assert upload.id == PENDING[0]


async def test_credentials_in_the_base_url_are_not_drawn(fake, tmp_path):
    settings = make_settings(tmp_path, base_url=f"https://ops:{SECRET}@api.example.test/v1")
    service = build_service(settings, transport=fake.transport())
    service.store.add([PENDING[0]])
    app = ScenarioApp(service, settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert leaks(app.export_screenshot()) == []


async def test_every_custom_header_value_is_kept_out_of_what_is_shown():
    """Every SCENARIO_CUSTOM_HEADERS value is a secret, whatever its name: a gateway's token,
    an IAP assertion, and a value under a name on no list (``X-Env``), echoed in an error and in
    a success, are not shown. (Before, only names like a credential were masked, and this test
    pinned ``X-Env`` as shown.) Values under 8 characters under such names ("true") are not
    credentials and stay readable."""
    import httpx

    token, assertion = "gw-token-5f3a9c1e77", "eyJhbGciOiJFUzI1NiJ9.eyJpYXAiOjF9.iap-sig-31c9"
    plain, short = "production-eu-7", "true"
    headers = {"X-Gateway-Token": token, "X-Goog-Iap-Jwt-Assertion": assertion,
               "X-Env": plain, "X-Debug": short}
    echo = f"token {token} assertion {assertion} env {plain} debug {short}"
    answers = [httpx.Response(400, json={"message": echo}),
               httpx.Response(200, json={"upload": {"id": "up_1", "status": "failed",
                                                    "errorMessage": echo}})]
    client = ScenarioClient(
        base_url="https://api.example.test/v1", credentials=Credentials("key", "secret-xyz"),
        custom_headers=headers, max_retries=0,
        transport=httpx.MockTransport(lambda request: answers.pop(0)))
    with pytest.raises(errors.ApiError) as caught:
        await client.get_upload("up_1")
    upload = await client.get_upload("up_1")
    for shown in (f"{caught.value.title}: {caught.value.message}", upload.error_message or ""):
        assert [v for v in (token, assertion, plain) if v in shown] == []
        assert "[redacted]" in shown and "debug true" in shown


# --- a success that echoes the credentials -------------------------------------------------------


def echo_body(upload_id: str, *, jwt: bool, status: str = "failed") -> dict:
    """A 2xx upload whose fields echo the credential in use: the Authorization value in the
    error message, the bare token, the secret or JWT in a file name, a config, a field name, a
    URL path, cut in two by an escape, and percent-encoded."""
    header = f"Bearer {JWT}" if jwt else f"Basic {AUTH_VALUE}"
    bare = JWT if jwt else SECRET
    return {"upload": {
        "id": upload_id, "status": status, "kind": "image", "source": "multipart",
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        "errorMessage": f"debug: Authorization: {header}",
        "fileName": f"{bare}.png", "originalFileName": header.partition(" ")[2],
        "config": {"headers": {"Authorization": header}, "echo": [bare]},
        "debugEcho": f"{bare[:6]}\x1b[0m{bare[6:]}", "encoded": quote(header, safe=""),
        f"x-{bare}": "a credential in a field name", "url": f"https://evil.test/{bare}/a.png",
        "parts": [{"number": 1, "url": f"https://storage.test/{bare}/p1?{PRESIGNED}",
                   "expires": "2999-01-01T00:00:00Z"}],
    }}


def echo_leaks(*texts: str | bytes) -> list[str]:
    """``leaks``, plus the percent-encoded Authorization value and a secret cut by an escape."""
    extra = [quote(f"Basic {AUTH_VALUE}", safe=""), quote(AUTH_VALUE, safe=""), SECRET[6:]]
    found = leaks(*texts)
    for text in texts:
        blob = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
        found += [n for n in extra if n.encode() in blob]
    return sorted(set(found))


@pytest.mark.parametrize("jwt", [False, True], ids=["basic-auth", "jwt"])
def test_a_success_that_echoes_credentials_is_redacted_before_it_is_stored_or_shown(
        monkeypatch, capsys, tmp_path, server, fake, jwt):
    """show (fresh, --json, cached), list, complete and log: no credential in stdout, stderr or
    the store files, although the answers were 200s (only error bodies were scrubbed before)."""
    reuse_default_ssl_context(monkeypatch)
    store = cli_environment(monkeypatch, tmp_path, server.base_url, jwt=jwt)
    shown_id, completing_id = clone_pending(fake, 2, "up_echo_ok")
    fake.faults.add(status=200, body=echo_body(shown_id, jwt=jwt), method="GET", count=None,
                    path=f"/uploads/{shown_id}")
    fake.faults.add(status=200, body=echo_body(completing_id, jwt=jwt, status="pending"),
                    method="GET", count=None, path=f"/uploads/{completing_id}")
    fake.faults.add(status=200, body=echo_body(completing_id, jwt=jwt), method="POST",
                    path=f"/uploads/{completing_id}/action")
    runs = [run_cli(capsys, monkeypatch, *argv) for argv in (
        ("add", shown_id, completing_id), ("show", shown_id, "--refresh"),
        ("show", shown_id, "--refresh", "--json"), ("show", shown_id), ("list",),
        ("list", "--json"), ("complete", completing_id, "--yes", "--json"), ("log",),
        ("log", "--json"))]
    assert all(run.code == 0 for run in runs), [run.err for run in runs]
    assert echo_leaks(*(run.out + run.err for run in runs), store_files(store)) == []
    assert "debug: Authorization: [redacted]" in runs[1].out  # it was there, and shown
    assert fake.complete_count(completing_id) == 1


async def test_tui_does_not_show_credentials_echoed_in_a_success(fake, tmp_path):
    """The list, the detail pane and the ``Y`` summary of an upload whose 200 echoes the
    credentials; the store files after."""
    (upload_id,) = clone_pending(fake, 1, "up_echo_tui")
    fake.faults.add(status=200, body=echo_body(upload_id, jwt=False), method="GET", count=None,
                    path=f"/uploads/{upload_id}")
    app = make_app(fake, tmp_path, [upload_id])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        detail = app.main_screen.detail
        await settle_until(app, pilot, lambda: "Authorization: [redacted]" in detail.text)
        await pilot.press("Y")
        await pilot.pause()
        shown = [app.export_screenshot(), detail.text, app.clipboard]
    assert echo_leaks(*shown, store_files(app.service.store.path)) == []
