"""Hostile input (promise 4 of RELIABILITY.md).

Upload IDs built to escape their URL segment never reach any endpoint but their own, from the
CLI (add, show, complete, remove, stdin) or the TUI's add dialog. Strings the server sends (file
names, error messages, unknown fields, statuses) carrying terminal escapes, Rich markup and very
long lines are drawn inert in the TUI and printed without an ESC byte by the CLI. Property-based
tests: arbitrary JSON and arbitrary HTTP answers never raise anything but the app's error tree,
and arbitrary text read as IDs only ever yields valid IDs.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from textual import events

from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import Credentials
from scenario_tui.cli.commands.uploads import read_id_tokens
from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.ids import parse_ids, validate_upload_id
from scenario_tui.core.models import Upload
from scenario_tui.core.present import sections_to_lines, upload_sections
from scenario_tui.core.ticket import harvest_ids
from scenario_tui.tui import internals
from scenario_tui.tui.app import ScenarioApp
from tests.conftest import make_settings
from tests.kit import (
    PENDING,
    cli_environment,
    clone_pending,
    reuse_default_ssl_context,
    run_cli,
    settle_until,
)

HOSTILE_IDS = [
    "../assets/x", "..%2fassets%2fx", "%2e%2e", "%2e%2e%2fjobs%2fx", "..", ".", ".hidden",
    "up_1/../../assets/x", "up_1/action", "a/b", "a\\b", "a?projectId=other", "a#frag",
    "a b", "up_1\tx", "up_1\r\nX-Injected: yes", "up\x00null", "up\x1b[2J", "up\x7fdel",
    "x" * 129, "y" * 10_000, "ＵＰ＿１", "up_é", "up_\u202eevil", "up_\u200bzw", "🙂",
    "up_1%00", "up_1;rm", "up_1'\"", "up_1&projectId=x", "",
]
#: how a request path must look: one known endpoint, one ID segment of allowed characters
GOOD_PATH = re.compile(r"/v1/(uploads|jobs|assets)/[A-Za-z0-9_.:-]+(/action)?")

EVIL = ("[bold red]pwn[/] [link=https://evil.test]click[/link] [/] \x1b]52;c;ZXZpbA==\x07"
        "\x1b[2J\x1b[10;10H\x9b31m\x1bP+q6b64\x1b\\\x08\r\x00 end")
ESCAPES = ("\x1b", "\x07", "\x9b", "\x00")


def hostile_upload(upload_id: str, **extra) -> dict:
    return {"upload": {
        "id": upload_id, "status": "failed", "kind": "[i]image[/i]\x1b[5m", "source": "multipart",
        "fileName": EVIL + " " + "F" * 4000, "errorMessage": EVIL + "\n" + "E" * 5000,
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        "futureField\x1b[31m[b]": EVIL, "nested": {"k": [EVIL, {"deeper": EVIL}]}, **extra}}


def assert_inert_output(*texts: str) -> None:
    for text in texts:
        for esc in ESCAPES:
            assert esc not in text, f"{esc!r} printed: {text[:200]!r}"


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path, server, fake):
    reuse_default_ssl_context(monkeypatch)
    store = cli_environment(monkeypatch, tmp_path, server.base_url)

    def run(*argv: str, stdin: str = ""):
        return run_cli(capsys, monkeypatch, *argv, stdin=stdin)

    run.store = store
    return run


def assert_only_good_paths(fake, allowed: set[str]) -> None:
    """Every request went to one known endpoint, for an allowed upload (or its job or asset)."""
    related = set(allowed)
    for upload_id in allowed:
        if upload_id in fake.uploads:
            related |= {fake.uploads[upload_id].job.job_id, fake.uploads[upload_id].entity_id}
    for request in fake.requests:
        assert GOOD_PATH.fullmatch(request.path), request.path
        assert request.path.split("/")[3] in related, request.path


# --- IDs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", HOSTILE_IDS, ids=lambda s: repr(s[:20]))
def test_every_hostile_id_is_refused_with_a_reason(bad):
    with pytest.raises(errors.InvalidUploadIdError) as info:
        validate_upload_id(bad)
    assert info.value.message.isprintable() and len(info.value.message) < 300


def test_hostile_ids_never_reach_the_network_from_the_cli(cli, fake):
    """add, show --refresh, complete --yes and remove, each with every hostile ID as one
    argument: exit 1, a printable reason on stderr, no request at all, nothing stored."""
    problems = []
    for bad in HOSTILE_IDS:
        for argv in (("add", bad), ("show", bad, "--refresh"), ("complete", bad, "--yes"),
                     ("remove", bad)):
            run = cli(*argv)
            if run.code != 1 or "Traceback" in run.err or "nvalid" not in run.err:
                problems.append(f"{argv[0]} {bad[:20]!r}: exit {run.code}, {run.err[:120]!r}")
            assert_inert_output(run.out, run.err)
    assert problems == []
    assert fake.requests == []
    assert json.loads(cli("list", "--json").out) == []


def test_pasted_lists_only_let_valid_ids_through(cli, fake):
    """The same IDs pasted on stdin, one per line (so whitespace splits some into valid
    tokens): only tokens that pass validation are stored or sent, each to its own URL. (Issue
    17: ``add -`` reads a ticket, so the words not shaped like IDs are ignored and said to be,
    without failing; ``complete -`` still refuses them.)"""
    text = "\n".join(HOSTILE_IDS + [PENDING[0]])
    expected = parse_ids(harvest_ids(text).tokens).valid
    assert PENDING[0] in expected
    run = cli("add", "-", "--json", stdin=text)
    assert run.code == 0 and "Ignored " in run.err
    report = json.loads(run.out)
    assert report["added"] == expected and report["invalid"] == []
    assert all(word.isprintable() for word in report["ignored"])
    assert all(validate_upload_id(i) == i for i in report["added"])
    run = cli("complete", "-", "--yes", "--json", stdin=text)
    assert "Traceback" not in run.err
    assert_only_good_paths(fake, set(parse_ids(read_id_tokens(["-"], io.StringIO(text))).valid))
    assert fake.complete_count(PENDING[0]) == 1


def test_stdin_that_is_not_utf8_is_a_clear_error(cli_env):
    """Issue 17: ``add -`` reads a ticket, whose undecodable word is ignored and said to be
    (exit 0); the IDs around it are added. ``remove -`` still refuses the token (exit 1)."""
    env = dict(cli_env, PYTHONIOENCODING="utf-8")  # strict decoding, as in any UTF-8 locale
    out = subprocess.run([sys.executable, "-m", "scenario_tui", "add", "-"], env=env,
                         input=b"up_ok_1\ncaf\xe9_latin1\n", capture_output=True, timeout=60)
    assert b"Traceback" not in out.stderr
    assert out.returncode == 0 and out.stdout.split() == [b"up_ok_1"]
    assert b"Ignored 2 words" in out.stderr
    out = subprocess.run([sys.executable, "-m", "scenario_tui", "remove", "-"], env=env,
                         input=b"caf\xe9_latin1\n", capture_output=True, timeout=60)
    assert b"Traceback" not in out.stderr and out.returncode == 1


async def test_tui_add_dialog_only_lets_valid_ids_through(fake, tmp_path):
    """Everything pasted at once into the add dialog (a real paste event): the valid tokens are
    added and fetched, each from its own URL; nothing else goes anywhere."""
    settings = make_settings(tmp_path)
    service = build_service(settings, transport=fake.transport())
    app = ScenarioApp(service, settings)
    text = "\n".join(HOSTILE_IDS + [PENDING[0]])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        area = app.screen.query_one("TextArea")
        area.post_message(events.Paste(text))
        await pilot.pause()
        assert_inert_output(app.export_screenshot())
        await pilot.press("f2")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        stored = set(service.store.ids())
        assert PENDING[0] in stored
        assert all(validate_upload_id(i) == i for i in stored)
        assert_only_good_paths(fake, stored)
        assert app.is_running


# --- strings from the server -----------------------------------------------------------------


async def test_tui_draws_server_strings_inert(fake, tmp_path):
    """File name, kind, error message, unknown fields and a note full of escapes and markup;
    an error message and a failed complete carrying the same: the screen, the toasts and the
    activity log show the brackets literally and never an escape byte."""
    shown_id, failing_id, completing_id = clone_pending(fake, 3, "up_evil")
    fake.faults.add(status=200, body=hostile_upload(shown_id), method="GET", count=None,
                    path=f"/uploads/{shown_id}")
    fake.faults.add(status=400, body={"message": EVIL, "traceId": EVIL}, method="GET", count=None,
                    path=f"/uploads/{failing_id}")
    fake.faults.add(status=422, body={"message": EVIL}, method="POST", path="/action")
    settings = make_settings(tmp_path)
    service = build_service(settings, transport=fake.transport())
    service.store.add([completing_id, failing_id, shown_id])
    service.store.set_note(shown_id, "[i]note[/i] \x1b]0;title\x07" + "N" * 3000)
    app = ScenarioApp(service, settings)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.main_screen.table
        screens = []
        for upload_id in (shown_id, failing_id, completing_id):
            table.cursor = table.listing.ids().index(upload_id)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            if upload_id == completing_id:
                await pilot.press("c", "y")
                states = app.main_screen.states
                await settle_until(app, pilot, lambda s=states: s.failure(completing_id))
            else:
                await pilot.press("r")
                await app.workers.wait_for_complete()
                await pilot.pause()
            screens.append(app.export_screenshot())
        await pilot.press("L")
        await pilot.pause()
        screens.append(app.export_screenshot())
        await pilot.press("escape")  # the error toasts held while L was up come back
        await pilot.pause()
        assert app.is_running
    text = "\n".join(s.replace("&#160;", " ") for s in screens)
    assert_inert_output(text)
    # the note's markup is drawn as text (cut to "[i]no…" since the Why column came)
    assert "[bold red]pwn[/]" in text and "[link=" in text and "[i]no" in text
    toasts = [f"{n.title} {n.message}" for n in internals.notifications(app)]
    assert_inert_output(*toasts)
    assert any("[bold red]pwn[/]" in t for t in toasts)


def test_cli_prints_server_strings_without_escapes(cli, fake):
    shown_id, failing_id = clone_pending(fake, 2, "up_evil")
    fake.faults.add(status=200, body=hostile_upload(shown_id), method="GET", count=None,
                    path=f"/uploads/{shown_id}")
    fake.faults.add(status=422, body={"message": EVIL, "traceId": EVIL}, method="POST",
                    path="/action")
    cli("add", shown_id, failing_id, "--note", "[b]n[/b]\x1b[2J")
    outputs = []
    for argv in (("show", shown_id, "--refresh"), ("show", shown_id, "--refresh", "--json"),
                 ("list",), ("list", "--json"), ("complete", failing_id, "--yes"),
                 ("complete", failing_id, "--yes", "--json"), ("complete", shown_id, "--yes"),
                 ("log",), ("log", "--json")):
        run = cli(*argv)
        assert "Traceback" not in run.err
        outputs += [run.out, run.err]
        assert_inert_output(run.err)
        if "--json" in argv:  # JSON escapes C0 controls; C1 ones are the next test's subject
            json.loads(run.out)
            assert "\x1b" not in run.out and "\x07" not in run.out and "\x00" not in run.out
        else:
            assert_inert_output(run.out)
    assert "[bold red]pwn[/]" in outputs[0]  # markup is printed as the text it is


def test_cli_json_output_escapes_c1_controls(cli, fake):
    upload_id = clone_pending(fake, 1, "up_evil_c1")[0]
    fake.faults.add(status=200, body=hostile_upload(upload_id), method="GET", count=None,
                    path=f"/uploads/{upload_id}")
    cli("add", upload_id)
    run = cli("show", upload_id, "--refresh", "--json")
    assert run.code == 0
    assert "\x9b" not in run.out


def test_cli_complete_line_filters_a_hostile_status(cli, fake):
    upload_id = clone_pending(fake, 1, "up_evil_status")[0]
    status = "\x1b]52;c;ZXZpbA==\x07\x1b[2Jpending"
    fake.faults.add(status=200, body=hostile_upload(upload_id, status=status), method="GET",
                    count=None, path=f"/uploads/{upload_id}")
    cli("add", upload_id)
    run = cli("complete", upload_id, "--yes")
    assert_inert_output(run.out, run.err)


def test_extreme_timestamps_do_not_crash_show(cli, fake):
    upload_id = clone_pending(fake, 1, "up_edge_time")[0]
    body = hostile_upload(upload_id, createdAt="0001-01-01T00:00:00+14:00",
                          updatedAt="9999-12-31T23:59:59-14:00")
    fake.faults.add(status=200, body=body, method="GET", count=None, path=f"/uploads/{upload_id}")
    cli("add", upload_id)
    run = cli("show", upload_id, "--refresh")
    assert run.code == 0


# --- property-based: arbitrary JSON and arbitrary answers --------------------------------------

UPLOAD_KEYS = ["id", "status", "fileName", "kind", "source", "authorId", "ownerId", "createdAt",
               "updatedAt", "assetOptions", "config", "contentType", "entityId", "errorMessage",
               "fileSize", "jobId", "originalFileName", "parts", "partsCount", "provider", "url"]
scalars = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=25,
)
part_like = st.fixed_dictionaries({"number": json_values, "url": st.text(max_size=40)},
                                  optional={"expires": json_values})
upload_like = st.fixed_dictionaries(
    {"id": st.text(max_size=20) | json_values, "status": st.text(max_size=12) | json_values},
    optional={**{k: json_values | st.text(max_size=30) for k in UPLOAD_KEYS[2:]},
              "parts": st.lists(part_like, max_size=3) | json_values,
              "extra\x1b": json_values},
)


@given(upload_like)
@settings(max_examples=150, deadline=None)
def test_model_validate_raises_only_validation_errors_and_round_trips(data):
    """Any JSON object: either a ValidationError (which the client turns into BadResponseError)
    or an Upload that serialises, re-validates and renders."""
    try:
        upload = Upload.model_validate(data)
    except ValidationError:
        return
    wire = upload.to_wire()
    json.dumps(wire)
    again = Upload.model_validate(wire)
    assert again.id == upload.id
    lines = sections_to_lines(upload_sections(None, upload))
    assert_inert_output(*lines)


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
answers = st.tuples(
    st.sampled_from([200, 201, 204, 269, 301, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502,
                     503, 504]) | st.integers(min_value=100, max_value=599),
    st.dictionaries(st.sampled_from(["retry-after", "retry-after-ms", "x-should-retry",
                                     "content-type"]), header_text, max_size=4),
    st.one_of(
        st.builds(lambda u: json.dumps({"upload": u}).encode(), upload_like),
        st.builds(lambda v: json.dumps(v).encode(), json_values),
        st.binary(max_size=200),
        st.sampled_from([b"[" * 5000, b'{"upload": {"id": "a", "status": "b", "fileSize": NaN}}',
                         b"1e999", b"\xff\xfe{}", b""]),
    ),
)


@given(st.lists(answers, min_size=1, max_size=3))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_client_raises_only_its_error_tree_whatever_the_answer(script):
    """Any status, headers and body, for reads (with retries) and for complete (with its
    re-read): an Upload, a CompleteOutcome, or a ScenarioTuiError; complete is POSTed once."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        status, headers, body = script[min(len(requests) - 1, len(script) - 1)]
        return httpx.Response(status, headers=headers, content=body)

    async def no_sleep(seconds: float) -> None:
        return None

    async def run() -> None:
        client = ScenarioClient(base_url="https://api.example.test/v1",
                                credentials=Credentials("k", "secret-value"),
                                transport=httpx.MockTransport(answer), sleep=no_sleep,
                                max_retries=1)
        async with client:
            for call in (client.get_upload, client.complete_upload):
                try:
                    await call("up_1")
                except errors.ScenarioTuiError as exc:
                    assert exc.title and exc.message
                    assert_inert_output(exc.message)
                client._cooldown_until = 0.0
        assert sum(1 for r in requests if r.method == "POST") == 1

    asyncio.run(run())


@given(st.text(max_size=400), st.lists(st.text(max_size=30), max_size=4))
@settings(max_examples=300, deadline=None)
def test_read_id_tokens_then_parse_yields_only_valid_ids(stdin_text, argv):
    tokens = read_id_tokens([*argv, "-"], io.StringIO(stdin_text))
    parsed = parse_ids(tokens)
    for upload_id in parsed.valid:
        assert validate_upload_id(upload_id) == upload_id
        assert GOOD_PATH.fullmatch(f"/v1/uploads/{upload_id}")
    assert len(parsed.valid) + len(parsed.duplicates) + len(parsed.invalid) == len(tokens)
    for _token, reason in parsed.invalid:
        assert reason.isprintable()
