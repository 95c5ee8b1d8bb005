"""The triage verbs on known uploads: ``note ID TEXT`` (set or, with "", clear an upload's note)
and ``refresh [ID...|--all]`` (read uploads from the API into the store, politely: the bulk
refresh of the TUI's ``R``, with its rate-limit window).

``refresh`` prints ``ID<TAB>STATUS`` per upload read (or with ``--json`` one array of
``{"id", "status", "error"}``), each failure on stderr; exit code 1 when any failed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable

from scenario_tui.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    emit_json,
    report_error,
    say,
    tab_lines,
)
from scenario_tui.cli.wiring import build_service, open_store
from scenario_tui.core import errors

if TYPE_CHECKING:
    import argparse


def add_commands(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare these subcommands with ``cmd(name, help, handler) -> ArgumentParser``."""
    note = cmd("note", "set the note of a known upload (\"\" clears it)", cmd_note)
    note.add_argument("id", metavar="ID")
    note.add_argument("text", metavar="TEXT", help="the new note (quote it); '-' reads stdin")
    refresh = cmd("refresh", "read uploads from the API into the local store", cmd_refresh)
    refresh.add_argument("ids", nargs="*", metavar="ID", help="known upload IDs ('-': stdin)")
    refresh.add_argument("--all", action="store_true", help="every known upload")
    refresh.add_argument("--json", action="store_true", help="print the outcomes as JSON")


def cmd_note(args, settings) -> int:
    from scenario_tui.core.ids import validate_upload_id

    upload_id = validate_upload_id(args.id)
    text = sys.stdin.read() if args.text == "-" else args.text
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text  # one line
    service = build_service(settings, must_exist=True)
    try:
        if not service.store.contains(upload_id):
            say(f"not known: {upload_id} (add it first: scenario-tui add {upload_id})")
            return EXIT_FAILED
        service.set_note(upload_id, text)
    finally:
        service.store.close()
    say(f"{upload_id}: note {'set' if text else 'cleared'}.")
    return EXIT_OK


def cmd_refresh(args, settings) -> int:
    import asyncio

    from scenario_tui.cli.commands.uploads import read_id_tokens
    from scenario_tui.core.ids import parse_ids

    if bool(args.ids) == bool(args.all):
        raise errors.ConfigError("Give upload IDs or --all (not both).")
    store = open_store(settings, must_exist=True)
    parsed = parse_ids(read_id_tokens(args.ids, sys.stdin)) if args.ids else None
    failures = 0
    if parsed is None:
        wanted = store.ids(sort="added", descending=False)
    else:
        for _, why in parsed.invalid:
            say(f"invalid: {why}")
        failures += len(parsed.invalid)
        wanted = []
        for upload_id in parsed.valid:
            if store.contains(upload_id):
                wanted.append(upload_id)
            else:
                say(f"not known: {upload_id} (add it first: scenario-tui add {upload_id})")
                failures += 1
    entries: list[dict[str, Any]] = []

    def on_result(upload_id: str, upload, error) -> None:
        if error is not None:
            report_error(error, f"{upload_id}: ")
        entries.append({"id": upload_id, "status": upload.status if upload else None,
                        "error": {"title": error.title, "message": error.message}
                        if error else None})
        if not args.json:
            tab_lines([(upload_id, upload.status if upload else "error")], flush=True)

    async def run() -> None:
        service = build_service(settings, store=store)
        async with service.client:
            await service.refresh_many(wanted, concurrency=settings.refresh_concurrency,
                                       on_result=on_result)

    try:
        if wanted:
            asyncio.run(run())
    finally:
        store.close()
    failures += sum(1 for e in entries if e["error"])
    if args.json:
        emit_json(entries)
    say(f"{len(entries)} read, {sum(1 for e in entries if e['error'])} failed.")
    return EXIT_FAILED if failures else EXIT_OK
