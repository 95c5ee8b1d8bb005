"""The triage verbs on known uploads: ``show ID...`` (every field, the diagnosis first),
``summary ID...|--all [--output FILE]`` (the ``Y`` summary, for a ticket), ``note ID TEXT`` (set
or, with "", clear an upload's note) and ``refresh [ID...|--all]`` (read uploads from the API
into the store, politely: the bulk refresh of the TUI's ``R``, with its rate-limit window).

``refresh`` prints ``ID<TAB>STATUS`` per upload read (or with ``--json`` one array of
``{"id", "status", "error"}``), each failure on stderr; exit code 1 when any failed. ``show``
and ``summary`` go on past an ID they cannot show (said on stderr) and then exit 1.
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
    write_file_atomically,
)
from scenario_tui.cli.wiring import build_service, open_store, store_exists
from scenario_tui.core import errors

if TYPE_CHECKING:
    import argparse


def add_commands(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare these subcommands with ``cmd(name, help, handler) -> ArgumentParser``."""
    show = cmd("show", "show uploads' fields, the diagnosis first (fetched from the API when "
                       "never read; one block each)", cmd_show)
    show.add_argument("ids", nargs="+", metavar="ID", help="upload IDs ('-': stdin)")
    show.add_argument("--json", action="store_true",
                      help="print the upload as JSON (a list when several IDs are given)")
    show.add_argument("--refresh", action="store_true",
                      help="fetch them from the API first, with their job and asset")
    summary = cmd("summary", "a plain-text summary of uploads for a ticket, a line each (what Y "
                             "copies in the TUI; from the store, no network)", cmd_summary)
    summary.add_argument("ids", nargs="*", metavar="ID", help="known upload IDs ('-': stdin)")
    summary.add_argument("--all", action="store_true", help="every known upload")
    summary.add_argument("--stuck", action="store_true", help="only those that are stuck")
    summary.add_argument("--output", "-o", metavar="FILE",
                         help="write it to FILE (whole or not at all) instead of stdout")
    note = cmd("note", "set the note of a known upload (\"\" clears it)", cmd_note)
    note.add_argument("id", metavar="ID")
    note.add_argument("text", metavar="TEXT", help="the new note (quote it); '-' reads stdin")
    refresh = cmd("refresh", "read uploads from the API into the store", cmd_refresh)
    refresh.add_argument("ids", nargs="*", metavar="ID", help="known upload IDs ('-': stdin)")
    refresh.add_argument("--all", action="store_true", help="every known upload")
    refresh.add_argument("--json", action="store_true", help="print the outcomes as JSON")


def cmd_show(args, settings) -> int:
    from scenario_tui.cli.commands.uploads import read_id_tokens
    from scenario_tui.core.ids import parse_ids

    parsed = parse_ids(read_id_tokens(args.ids, sys.stdin))
    for _, why in parsed.invalid:
        say(f"invalid: {why}")
    shown = _show(parsed.valid, args, settings) if parsed.valid else EXIT_FAILED
    return EXIT_FAILED if parsed.invalid else shown


def _show(upload_ids: list[str], args, settings) -> int:
    """``show`` of valid IDs: each one's block (text) or document (JSON), in the order given;
    one that cannot be read is said on stderr and left out, and the exit code is then 1."""
    import asyncio

    from scenario_tui.core.diagnosis import diagnose_row
    from scenario_tui.core.present import sections_to_lines, to_public_json, upload_sections

    if not store_exists(settings):  # a lookup: a mistyped --store must not make a store
        return _show_without_store(upload_ids, args, settings)
    failed = 0

    async def one(service, upload_id: str):
        nonlocal failed
        row = service.store.get(upload_id)
        if args.refresh or row is None or row.snapshot is None:
            if row is None:
                say(f"{upload_id} is not in the {'team' if settings.store_url else 'local'} "
                    "store; fetching it without adding it.")
            try:  # a 404 is recorded by the service: the row then reads "not found"
                upload = await service.refresh(upload_id)
            except errors.ApiError as exc:
                report_error(exc, f"{upload_id}: " if len(upload_ids) > 1 else "")
                failed += 1
                if row is None or not isinstance(exc, errors.NotFoundError):
                    return None
                row = service.store.get(upload_id)  # known: shown as "not found (checked …)"
                return (row, row.upload, None) if row is not None else None
            row = service.store.get(upload_id) if row is not None else None
        else:
            upload = row.upload
        found = await service.follow_through(upload) if upload and args.refresh else None
        return row, upload, found

    async def run():
        service = build_service(settings)
        async with service.client:
            return [await one(service, upload_id) for upload_id in upload_ids]

    shown = [item for item in asyncio.run(run()) if item is not None]
    if args.json:
        docs = [{**to_public_json(row, upload, found),
                 "diagnosis": diagnose_row(row, upload=upload, follow=found).to_json()}
                for row, upload, found in shown]
        if len(upload_ids) == 1:  # one ID: one object, as it always was
            if docs:
                emit_json(docs[0])
        else:
            emit_json(docs)
    else:
        for index, (row, upload, found) in enumerate(shown):
            if len(upload_ids) > 1:  # one block each, headed by its ID, a blank line between
                print(("\n" if index else "") + f"=== {row.id if row else upload.id} ===")
            for line in sections_to_lines(upload_sections(row, upload, follow=found)):
                print(line)
    return EXIT_FAILED if failed else EXIT_OK


def _show_without_store(upload_ids: list[str], args, settings) -> int:
    """``show`` when there is no store at ``settings.store_path``: the uploads are fetched
    through a throw-away store ("not in the local store; fetching it without adding it"), and
    nothing is created where the user pointed."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="scenario-tui-show-") as tmp:
        scratch = settings.with_overrides(store_path=Path(tmp) / "show.db")
        open_store(scratch, warn=False).close()
        return _show(upload_ids, args, scratch)


def cmd_summary(args, settings) -> int:
    """The ``Y`` summary of known uploads (``core.present.summary_text``), on stdout or into
    ``--output FILE`` (atomically). Unknown IDs are said on stderr; exit 1 then."""
    from scenario_tui.cli.commands.uploads import read_id_tokens
    from scenario_tui.core.diagnosis import diagnose_row
    from scenario_tui.core.ids import parse_ids
    from scenario_tui.core.present import summary_text
    from scenario_tui.core.wording import plural

    if bool(args.ids) == bool(args.all):
        raise errors.ConfigError("Give upload IDs or --all (not both).")
    store = open_store(settings, must_exist=True)
    failures = 0
    try:
        if args.all:
            rows = store.list(sort="added", descending=False)
        else:
            parsed = parse_ids(read_id_tokens(args.ids, sys.stdin))
            for _, why in parsed.invalid:
                say(f"invalid: {why}")
            failures += len(parsed.invalid)
            rows = []
            for upload_id in parsed.valid:
                row = store.get(upload_id)
                if row is None:
                    say(f"not known: {upload_id} (add it first: scenario-tui add {upload_id})")
                    failures += 1
                else:
                    rows.append(row)
    finally:
        store.close()
    if args.stuck:
        rows = [row for row in rows if diagnose_row(row).stuck]
    text = summary_text(rows)
    if args.output and args.output != "-":
        written = write_file_atomically(args.output, text + "\n" if text else "")
        say(f"Summary of {plural(len(rows), 'upload')} written to {written}.")
    elif text:
        print(text)
    return EXIT_FAILED if failures else EXIT_OK


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
