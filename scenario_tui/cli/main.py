"""Command line and composition root.

``build_service`` wires settings, store and client together; the TUI, the scripting subcommands
and the tests all go through it. stdout carries data, stderr diagnostics. Exit codes: 0 success,
1 some requested operation failed (each failure reported), 2 usage or configuration error,
130 interrupted.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TextIO

from scenario_tui import __version__

from scenario_tui.core import errors

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


# --- composition root ----------------------------------------------------------------------


def build_service(settings, *, transport=None, store=None, sleep=None):
    """Build the store, API client and service for ``settings`` (transport injectable)."""
    from scenario_tui.api.client import Credentials, ScenarioClient
    from scenario_tui.service.uploads import UploadService
    from scenario_tui.store.sqlite import Store

    store = store or Store.open(settings.store_path)
    client = ScenarioClient(
        base_url=settings.base_url,
        credentials=Credentials(settings.api_key, settings.api_secret, settings.jwt),
        project_id=settings.project_id,
        transport=transport,
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        max_retries=settings.max_retries,
        custom_headers=settings.custom_headers,
    )
    kwargs = {"sleep": sleep} if sleep else {}
    return UploadService(
        client, store, profile=settings.profile, read_only=settings.read_only, **kwargs
    )


class DeferredService:
    """Stands in for the service the TUI gets, so that its first frame waits for neither the
    API client's nor the service's code: only the store is there from the start; the service
    is built at the first use of anything else (by the warm-up thread after the first frame,
    unless a key comes first). Reading or calling through it is the same as on the service."""

    def __init__(self, store, build: Callable[[], Any]) -> None:
        import threading

        self.store = store
        self._build = build
        self._service = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._service is not None

    def _real(self):
        with self._lock:  # the warm-up thread and a key on the UI thread may come together
            if self._service is None:
                self._service = self._build()
            return self._service

    def __getattr__(self, name: str) -> Any:  # only for what is not set above
        return getattr(self._real(), name)


# --- argument parsing ------------------------------------------------------------------------


#: the global flags: the type of each one's value (None: a switch), and its help
_GLOBAL_FLAGS: dict[str, tuple[type | None, str]] = {
    "--profile": (str, "named profile from the config file"),
    "--base-url": (str, "API base URL (env SCENARIO_BASE_URL)"),
    "--project-id": (str, "projectId sent with every call"),
    "--store": (Path, "path of the local store file"),
    "--read-only": (None, "refuse every mutation"),
    "--allow-insecure-http": (None, "allow plain http:// to a non-loopback host"),
}


def _global_flags():
    import argparse

    parent = argparse.ArgumentParser(add_help=False)
    for flag, (value_type, help_) in _GLOBAL_FLAGS.items():
        if value_type is not None:
            parent.add_argument(flag, default=argparse.SUPPRESS, help=help_, type=value_type)
        else:
            parent.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=help_)
    return parent


def build_parser() -> argparse.ArgumentParser:
    import argparse

    flags = _global_flags()
    parser = argparse.ArgumentParser(
        prog="scenario-tui", parents=[flags],
        description="Triage, complete and follow Scenario uploads, in a TUI or from scripts.",
    )
    parser.add_argument("--version", action="version", version=f"scenario-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[flags], help=help_, description=help_)

    demo = cmd("demo", "open the TUI on a built-in fake API with sample uploads")
    demo.add_argument("--step-seconds", type=float, default=1.0, help="time per lifecycle step")
    add = cmd("add", "add upload IDs to the local store ('-' reads them from stdin)")
    add.add_argument("ids", nargs="+", metavar="ID")
    add.add_argument("--note", help="note for the newly added IDs")
    add.add_argument("--json", action="store_true", help="print the report as JSON")
    remove = cmd("remove", "remove upload IDs from the local store")
    remove.add_argument("ids", nargs="+", metavar="ID")
    lst = cmd("list", "list the known uploads (from the store, no network)")
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--status", help="only uploads with this last-known status")
    show = cmd("show", "show one upload's fields")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.add_argument("--refresh", action="store_true", help="fetch it from the API first")
    comp = cmd("complete", "send the complete action to pending uploads")
    comp.add_argument("ids", nargs="+", metavar="ID")
    comp.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    comp.add_argument("--wait", action="store_true", help="follow each to imported or failed")
    comp.add_argument("--json", action="store_true")
    log = cmd("log", "print the activity log, newest first")
    log.add_argument("--json", action="store_true")
    log.add_argument("--limit", type=int, default=200)
    fake = cmd("fake-api", "serve the fake Scenario API on 127.0.0.1 until interrupted")
    fake.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    fake.add_argument("--api-key", help="demand exactly this API key")
    fake.add_argument("--api-secret", help="demand exactly this API secret")
    fake.add_argument("--step-seconds", type=float, default=1.0)
    fake.add_argument("--no-seed", action="store_true", help="start with no sample uploads")
    cmd("paths", "print where the config, data and store live")
    from scenario_tui.cli.transfer_commands import add_commands  # upload and import subcommands

    COMMANDS.update(add_commands(cmd))
    return parser


def _settings_from(args: argparse.Namespace):
    from scenario_tui.core.config import load_settings

    keys = ("profile", "base_url", "project_id", "store", "read_only", "allow_insecure_http")
    return load_settings({k: getattr(args, k, None) for k in keys})


def read_id_tokens(values: Sequence[str], stdin: TextIO) -> list[str]:
    """The ID arguments, with '-' replaced by the tokens read from stdin."""
    from scenario_tui.core.ids import split_ids

    tokens: list[str] = []
    for value in values:
        if value == "-":
            # bytes that are not UTF-8 (a ticket pasted in Latin-1) become U+FFFD: the token is
            # then reported invalid instead of the whole read failing
            raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
            tokens.extend(split_ids(text))
        else:
            tokens.append(value)
    return tokens


# --- output helpers --------------------------------------------------------------------------


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _report_error(exc: errors.ScenarioTuiError, prefix: str = "") -> None:
    from scenario_tui.core.inert import inert_text

    _say(inert_text(f"{prefix}{exc.title}: {exc.message}"))


def emit_json(data: Any) -> None:
    """JSON on stdout: an object indented, an array of objects one object per line (encoded in
    one call of json's C encoder: a listing of 10,000 takes milliseconds, and greps well).
    Controls that json leaves raw (DEL, C1, bidi, line separators) are written as \\u escapes,
    so a server's string cannot drive the terminal."""
    import json

    if isinstance(data, list):
        text = json.dumps(data, ensure_ascii=False)
        # a raw quote never occurs inside a JSON string, so '}, {"' is always a boundary
        # between two objects: breaking the line there changes no value
        text = "[\n  " + text[1:-1].replace('}, {"', '},\n  {"') + "\n]" if data else "[]"
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    if not text.isascii() or "\x7f" in text:
        import re

        text = re.sub(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]",
                      lambda m: f"\\u{ord(m.group(0)):04x}", text)
    sys.stdout.write(text + "\n")


def known_to_json(row) -> dict[str, Any]:
    """The stable ``--json`` shape of one known upload (documented in the README)."""
    return {
        "id": row.id,
        "status": row.status,
        "fileName": row.file_name,
        "kind": row.kind,
        "fileSize": row.file_size,
        "updatedAt": row.updated_at,
        "errorMessage": row.error_message,
        "note": row.note,
        "addedAt": row.added_at,
        "fetchedAt": row.fetched_at,
    }


# --- commands --------------------------------------------------------------------------------


def cmd_paths(args, settings) -> int:
    from scenario_tui.core.config import data_dir
    import os

    print(f"config file: {settings.config_path}")
    print(f"data dir:    {data_dir(os.environ)}")
    print(f"store:       {settings.store_path}")
    return EXIT_OK


def cmd_add(args, settings) -> int:
    from scenario_tui.core.inert import inert_text

    service = _local_service(settings)
    report = service.add(read_id_tokens(args.ids, sys.stdin), note=args.note)
    for token, why in report.invalid:
        _say(f"invalid: {inert_text(why, one_line=True)}")
    if args.json:
        emit_json({
            "added": report.added, "existing": report.existing,
            "duplicates": report.duplicates,
            "invalid": [{"input": inert_text(t, one_line=True), "reason": r} for t, r in report.invalid],
        })
    else:
        for upload_id in report.added:
            print(upload_id)
        _say(
            f"{len(report.added)} added, {len(report.existing)} already known, "
            f"{len(report.duplicates)} duplicate(s) skipped, {len(report.invalid)} invalid."
        )
    return EXIT_FAILED if report.invalid else EXIT_OK


def cmd_remove(args, settings) -> int:
    from scenario_tui.core.ids import parse_ids

    parsed = parse_ids(read_id_tokens(args.ids, sys.stdin))
    for _, why in parsed.invalid:
        _say(f"invalid: {why}")
    service = _local_service(settings)
    removed = {row.id for row in service.remove(parsed.valid)} if parsed.valid else set()
    for upload_id in parsed.valid:
        if upload_id in removed:
            print(upload_id)
        else:
            _say(f"not known: {upload_id}")
    failed = parsed.invalid or len(removed) < len(parsed.valid)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_list(args, settings) -> int:
    from scenario_tui.core.inert import inert_text

    store = _open_store(settings)
    rows = store.list(status=args.status, sort="added", descending=False, snapshots=False)
    if args.json:
        emit_json([known_to_json(row) for row in rows])
        return EXIT_OK
    for row in rows:
        fields = [row.id, row.status or "unknown", row.file_name or "", row.note or ""]
        print("\t".join(inert_text(f, one_line=True) for f in fields))
    return EXIT_OK


def cmd_show(args, settings) -> int:
    import asyncio

    from scenario_tui.core.ids import validate_upload_id
    from scenario_tui.core.present import (
        sections_to_lines, to_public_json, upload_sections,
    )

    upload_id = validate_upload_id(args.id)

    async def run():
        service = build_service(settings)
        async with service.client:
            row = service.store.get(upload_id)
            upload = None
            if args.refresh or row is None or row.snapshot is None:
                if row is None:
                    _say(f"{upload_id} is not in the local store; fetching it without adding it.")
                upload = await service.client.get_upload(upload_id)
                if row is not None:
                    service.store.record_snapshot(upload_id, upload.to_wire())
                    row = service.store.get(upload_id)
            else:
                upload = row.upload
            found = await service.follow_through(upload) if upload and args.refresh else None
            return row, upload, found

    row, upload, found = asyncio.run(run())
    if args.json:
        emit_json(to_public_json(row, upload, found))
    else:
        sections = upload_sections(row, upload, follow=found)
        for line in sections_to_lines(sections):
            print(line)
    return EXIT_OK


def cmd_complete(args, settings) -> int:
    import asyncio

    from scenario_tui.core.ids import parse_ids
    from scenario_tui.core.inert import inert_text

    parsed = parse_ids(read_id_tokens(args.ids, sys.stdin))
    for _, why in parsed.invalid:
        _say(f"invalid: {why}")
    if parsed.duplicates:
        _say(f"duplicates ignored: {', '.join(parsed.duplicates)}")
    if settings.read_only:
        raise errors.ReadOnlyError("Cannot complete uploads: scenario-tui runs with --read-only.")
    if not args.yes and not sys.stdin.isatty():
        _say("Refusing to complete without confirmation: pass --yes when not at a terminal.")
        return EXIT_USAGE
    failures = len(parsed.invalid)
    results: list[dict[str, Any]] = []

    async def run() -> int:
        nonlocal failures
        service = build_service(settings)
        async with service.client:
            if not args.yes and not _confirm_complete(parsed.valid, service):
                _say("Nothing sent.")
                return EXIT_FAILED
            for upload_id in parsed.valid:
                entry: dict[str, Any] = {"id": upload_id}
                try:
                    result = await service.complete(upload_id)
                except errors.ScenarioTuiError as exc:
                    _report_error(exc, f"{upload_id}: ")
                    entry.update(outcome="failed", error={"title": exc.title, "message": exc.message})
                    failures += 1
                    results.append(entry)
                    continue
                status = result.upload.status if result.upload else None
                outcome = "skipped" if result.skipped else ("uncertain" if result.uncertain else "sent")
                entry.update(outcome=outcome, status=status, message=result.summary())
                if result.sent and status == "pending" or (result.uncertain and result.upload is None):
                    failures += 1
                _say(inert_text(f"{upload_id}: {result.summary()}"))
                if args.wait and result.sent and result.upload is not None:
                    final = await _follow_cli(service, upload_id, settings)
                    entry["status"] = final.status if final else status
                    if final is None or final.status == "failed":
                        failures += 1
                results.append(entry)
                if not args.json:
                    fields = (upload_id, outcome, entry.get("status") or "unknown")
                    print("\t".join(inert_text(f, one_line=True) for f in fields))
        return EXIT_OK

    code = asyncio.run(run())
    if args.json:
        emit_json(results)
    if code != EXIT_OK:
        return code
    return EXIT_FAILED if failures else EXIT_OK


def _confirm_complete(upload_ids: list[str], service) -> bool:
    """Show each upload's known status and ask once (interactive terminals only)."""
    for upload_id in upload_ids:
        row = service.store.get(upload_id)
        status = row.status if row and row.status else "unknown (will be read first)"
        _say(f"  {upload_id}: {status}")
    _say("Only uploads that a fresh read shows as pending will be sent the complete action.")
    sys.stderr.write(f"Complete {len(upload_ids)} upload(s)? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


async def _follow_cli(service, upload_id: str, settings):
    def on_update(upload) -> None:
        extra = f" ({upload.error_message})" if upload.error_message else ""
        from scenario_tui.core.inert import inert_text

        _say(inert_text(f"{upload_id}: {upload.status}{extra}", one_line=True))

    try:
        return await service.follow(
            upload_id, on_update=on_update,
            poll_min=settings.poll_min_seconds, poll_max=settings.poll_max_seconds,
        )
    except errors.ScenarioTuiError as exc:
        _report_error(exc, f"{upload_id}: ")
        return None


def cmd_log(args, settings) -> int:
    from scenario_tui.core.inert import inert_text

    events = _open_store(settings).events(limit=args.limit)
    if args.json:
        emit_json([
            {
                "at": e.at, "profile": e.profile, "uploadId": e.upload_id, "action": e.action,
                "outcome": e.outcome, "httpStatus": e.http_status, "message": e.message,
            }
            for e in events
        ])
        return EXIT_OK
    for e in events:
        fields = [e.at, e.profile or "", e.upload_id or "-", e.action, e.outcome,
                  str(e.http_status or ""), e.message or ""]
        print("\t".join(inert_text(f, one_line=True) for f in fields))
    return EXIT_OK


def cmd_fake_api(args, settings) -> int:
    from scenario_tui.fake.scenario import FakeScenario, run_forever

    fake = FakeScenario(
        step_seconds=args.step_seconds, api_key=args.api_key, api_secret=args.api_secret,
        seed=not args.no_seed,
    )

    def ready(base_url: str) -> None:
        print(base_url, flush=True)
        _say("Fake Scenario API ready; Ctrl+C stops it.")

    run_forever(fake, host="127.0.0.1", port=args.port, on_ready=ready)
    return EXIT_OK


@contextmanager
def _collector_off_until_first_frame() -> Iterator[None]:
    """Start-up allocates hundreds of thousands of objects (Textual's import above all) and
    frees almost none of them: cyclic collections meanwhile are work for nothing, about a
    twentieth of the launch's CPU (bench/RESULTS.md). The main screen turns the collector on
    after the first frame, when it freezes what start-up built; failing before that, it is on
    again on the way out."""
    import gc

    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def cmd_tui(args, settings) -> int:
    with _collector_off_until_first_frame():
        return _run_tui(settings)


def _run_tui(settings) -> int:
    import threading

    from scenario_tui.store.sqlite import Store

    # Checking every page of the store (75 ms at 100,000 uploads) is one SQLite call that
    # runs without the GIL: it overlaps with importing Textual, and ends before anything runs.
    store = Store.open(settings.store_path, verify=False)
    problem: list[BaseException] = []

    def verify() -> None:
        try:
            store.verify()
        except BaseException as exc:  # raised below, in the main thread
            problem.append(exc)

    checker = threading.Thread(target=verify, name="verify-store")
    checker.start()
    from scenario_tui.tui.app import ScenarioApp

    checker.join()
    if problem:
        store.close()
        raise problem[0]
    service = DeferredService(store, lambda: build_service(settings, store=store))
    ScenarioApp(service, settings).run()
    return EXIT_OK


def cmd_demo(args, settings) -> int:
    with _collector_off_until_first_frame():
        return _run_demo(args, settings)


def _run_demo(args, settings) -> int:
    import tempfile

    from scenario_tui.fake.scenario import FakeScenario, serve

    import time

    fake = FakeScenario(step_seconds=args.step_seconds, seed_epoch=time.time() - 5400)
    with tempfile.TemporaryDirectory(prefix="scenario-tui-demo-") as tmp, serve(fake) as server:
        demo_settings = settings.with_overrides(
            base_url=server.base_url, api_key="demo-key", api_secret="demo-secret", jwt=None,
            project_id=None, store_path=Path(tmp) / "demo.db", demo=True, profile="demo",
            warnings=(),
        )
        service = build_service(demo_settings)
        service.store.add(list(reversed(fake.seeded_ids)), note="")  # pending ones on top
        for upload_id, note in DEMO_NOTES.items():
            if service.store.contains(upload_id):
                service.store.set_note(upload_id, note)
        from scenario_tui.tui.app import ScenarioApp

        ScenarioApp(service, demo_settings).run()
        service.store.close()
    return EXIT_OK


DEMO_NOTES: dict[str, str] = {
    "up_demo_pending_1": "ticket #4711: customer says stuck since Friday",
    "up_demo_badfile_1": "ticket #4720: scanned TIFF, may be damaged",
    "up_demo_failed_1": "ticket #4698: re-upload requested",
}


def _open_store(settings):
    from scenario_tui.store.sqlite import Store

    return Store.open(settings.store_path)


def _local_service(settings):
    return build_service(settings)


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    "paths": cmd_paths, "add": cmd_add, "remove": cmd_remove, "list": cmd_list,
    "show": cmd_show, "complete": cmd_complete, "log": cmd_log, "fake-api": cmd_fake_api,
    "demo": cmd_demo, None: cmd_tui,
}


@contextmanager
def _translate_interrupts() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        _say("Interrupted.")
        raise SystemExit(EXIT_INTERRUPTED) from None


def _tui_only_args(given: list[str]) -> Any:
    """The arguments when they are global flags alone, spelled out (``--store X`` or
    ``--store=X``): the TUI starts without importing argparse or building the subcommands'
    parsers (a start-up cost). None for anything else (a subcommand or any other token, help,
    an abbreviated or unknown flag, a missing value): the full parser takes those, with its
    usual messages. The result has the same attributes as the full parser's."""
    from types import SimpleNamespace

    values: dict[str, Any] = {}
    tokens = iter(given)
    for token in tokens:
        flag, equals, value = token.partition("=")
        if flag not in _GLOBAL_FLAGS:
            return None
        value_type = _GLOBAL_FLAGS[flag][0]
        if value_type is None:  # a switch
            if equals:
                return None
            values[flag[2:].replace("-", "_")] = True
            continue
        if not equals:
            value = next(tokens, None)
            if value is None or value.startswith("-"):
                return None
        values[flag[2:].replace("-", "_")] = value_type(value)
    return SimpleNamespace(**values, command=None)


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == ["--version"]:  # answered before the parser (13 subcommands) is built
        print(f"scenario-tui {__version__}")
        return EXIT_OK
    args = _tui_only_args(given) or build_parser().parse_args(given)
    try:
        with _translate_interrupts():
            settings = _settings_from(args)
            for warning in settings.warnings:
                _say(f"warning: {warning}")
            return COMMANDS[args.command](args, settings)
    except errors.ScenarioTuiError as exc:
        _report_error(exc)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_FAILED
