"""The subcommands on known uploads: ``add``, ``remove``, ``list``, ``show``, ``complete``,
``log``, and ``paths`` (where the files live).

``list`` and ``log`` read the store only; ``complete`` reaches the API, and so does ``show``
with ``--refresh`` or for an upload never fetched.
Every ID-taking command accepts ``-`` to read IDs from stdin.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence, TextIO

from scenario_tui.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    emit_json,
    known_to_json,
    report_error,
    say,
    status_printer,
    tab_lines,
)
from scenario_tui.cli.wiring import build_service, open_store
from scenario_tui.core import errors

if TYPE_CHECKING:
    import argparse


def add_commands(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare these subcommands with ``cmd(name, help, handler) -> ArgumentParser``."""
    add = cmd("add", "add upload IDs to the local store ('-' reads them from stdin)", cmd_add)
    add.add_argument("ids", nargs="+", metavar="ID")
    add.add_argument("--note", help="note for the newly added IDs")
    add.add_argument("--json", action="store_true", help="print the report as JSON")
    remove = cmd("remove", "remove upload IDs from the local store", cmd_remove)
    remove.add_argument("ids", nargs="+", metavar="ID")
    lst = cmd("list", "list the known uploads (from the store, no network)", cmd_list)
    lst.add_argument("--json", action="store_true", help="print the uploads as JSON")
    lst.add_argument("--status", help="only uploads with this last-known status")
    show = cmd("show", "show one upload's fields", cmd_show)
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print the upload as JSON")
    show.add_argument("--refresh", action="store_true", help="fetch it from the API first")
    comp = cmd("complete", "send the complete action to pending uploads", cmd_complete)
    comp.add_argument("ids", nargs="+", metavar="ID")
    comp.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    comp.add_argument("--wait", action="store_true",
                      help="follow each until done (imported or failed), at most follow_timeout "
                           "seconds (300 unless set); still processing then: exit code 1")
    comp.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    log = cmd("log", "print the activity log, newest first", cmd_log)
    log.add_argument("--json", action="store_true", help="print the events as JSON")
    log.add_argument("--limit", type=int, default=200, help="at most this many events")
    cmd("paths", "print where the config, data and store live", cmd_paths)


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


def cmd_paths(args, settings) -> int:
    import os

    from scenario_tui.core.config import data_dir

    print(f"config file: {settings.config_path}")
    print(f"data dir:    {data_dir(os.environ)}")
    print(f"store:       {settings.store_path}")
    print(f"credentials: {settings.auth_source or 'none'}")
    return EXIT_OK


def cmd_add(args, settings) -> int:
    from scenario_tui.core.inert import inert_text

    service = build_service(settings)
    report = service.add(read_id_tokens(args.ids, sys.stdin), note=args.note)
    for _token, why in report.invalid:
        say(f"invalid: {inert_text(why, one_line=True)}")
    if args.json:
        emit_json({
            "added": report.added, "existing": report.existing,
            "duplicates": report.duplicates,
            "invalid": [{"input": inert_text(t, one_line=True), "reason": r}
                        for t, r in report.invalid],
        })
    else:
        for upload_id in report.added:
            print(upload_id)
        say(
            f"{len(report.added)} added, {len(report.existing)} already known, "
            f"{len(report.duplicates)} duplicate(s) skipped, {len(report.invalid)} invalid."
        )
    return EXIT_FAILED if report.invalid else EXIT_OK


def cmd_remove(args, settings) -> int:
    from scenario_tui.core.ids import parse_ids

    parsed = parse_ids(read_id_tokens(args.ids, sys.stdin))
    for _, why in parsed.invalid:
        say(f"invalid: {why}")
    service = build_service(settings)
    removed = {row.id for row in service.remove(parsed.valid)} if parsed.valid else set()
    for upload_id in parsed.valid:
        if upload_id in removed:
            print(upload_id)
        else:
            say(f"not known: {upload_id}")
    failed = parsed.invalid or len(removed) < len(parsed.valid)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_list(args, settings) -> int:
    store = open_store(settings)
    rows = store.list(status=args.status, sort="added", descending=False, snapshots=False)
    if args.json:
        emit_json([known_to_json(row) for row in rows])
        return EXIT_OK
    tab_lines([row.id, row.status or "unknown", row.file_name or "", row.note or ""]
              for row in rows)
    return EXIT_OK


def cmd_show(args, settings) -> int:
    import asyncio

    from scenario_tui.core.ids import validate_upload_id
    from scenario_tui.core.present import sections_to_lines, to_public_json, upload_sections

    upload_id = validate_upload_id(args.id)

    async def run():
        service = build_service(settings)
        async with service.client:
            row = service.store.get(upload_id)
            upload = None
            if args.refresh or row is None or row.snapshot is None:
                if row is None:
                    say(f"{upload_id} is not in the local store; fetching it without adding it.")
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
        say(f"invalid: {why}")
    if parsed.duplicates:
        say(f"duplicates ignored: {', '.join(parsed.duplicates)}")
    if settings.read_only:
        raise errors.ReadOnlyError("Cannot complete uploads: scenario-tui runs with --read-only.")
    if not args.yes and not sys.stdin.isatty():
        say("Refusing to complete without confirmation: pass --yes when not at a terminal.")
        return EXIT_USAGE
    failures = len(parsed.invalid)
    results: list[dict[str, Any]] = []

    async def run() -> int:
        nonlocal failures
        service = build_service(settings)
        service.ledger.label = "scenario-tui complete"  # names us to other processes
        async with service.client:
            if not args.yes and not _confirm_complete(parsed.valid, service):
                say("Nothing sent.")
                return EXIT_FAILED
            for upload_id in parsed.valid:
                entry: dict[str, Any] = {"id": upload_id}
                try:
                    result = await service.complete(upload_id)
                except errors.ScenarioTuiError as exc:
                    report_error(exc, f"{upload_id}: ")
                    entry.update(outcome="failed",
                                 error={"title": exc.title, "message": exc.message})
                    failures += 1
                    results.append(entry)
                    continue
                status = result.upload.status if result.upload else None
                outcome = ("skipped" if result.skipped
                           else "uncertain" if result.uncertain else "sent")
                entry.update(outcome=outcome, status=status, message=result.summary())
                if (result.sent and status == "pending"
                        or result.uncertain and result.upload is None):
                    failures += 1
                say(inert_text(f"{upload_id}: {result.summary()}", one_line=True))
                if args.wait and result.sent and result.upload is not None:
                    final, problem = await _follow(service, upload_id, settings)
                    entry["status"] = (final.status if final
                                       else getattr(problem, "last_status", None) or status)
                    if problem is not None:
                        entry["error"] = {"title": problem.title, "message": problem.message}
                    if final is None or final.status == "failed":
                        failures += 1
                results.append(entry)
                if not args.json:
                    tab_lines([(upload_id, outcome, entry.get("status") or "unknown")])
        return EXIT_OK

    code = asyncio.run(run())
    if args.json:
        emit_json(results)
    if code != EXIT_OK:
        return code
    return EXIT_FAILED if failures else EXIT_OK


def _confirm_complete(upload_ids: list[str], service) -> bool:
    """Show each upload's known status and ask once (interactive terminals only)."""
    from scenario_tui.core.inert import inert_text

    for upload_id in upload_ids:
        row = service.store.get(upload_id)
        status = row.status if row and row.status else "unknown (will be read first)"
        say(inert_text(f"  {upload_id}: {status}", one_line=True))
    say("Only uploads that a fresh read shows as pending will be sent the complete action.")
    sys.stderr.write(f"Complete {len(upload_ids)} upload(s)? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


async def _follow(service, upload_id: str, settings):
    """Follow a completed upload until it is done, saying each status: (the upload, None), or
    (None, the error) when following failed or reached its deadline (reported)."""
    try:
        return await service.follow(
            upload_id, on_update=status_printer(),
            poll_min=settings.poll_min_seconds, poll_max=settings.poll_max_seconds,
        ), None
    except errors.ScenarioTuiError as exc:
        report_error(exc, f"{upload_id}: ")
        return None, exc


def cmd_log(args, settings) -> int:
    events = open_store(settings).events(limit=args.limit)
    if args.json:
        emit_json([
            {
                "at": e.at, "profile": e.profile, "uploadId": e.upload_id, "action": e.action,
                "outcome": e.outcome, "httpStatus": e.http_status, "message": e.message,
            }
            for e in events
        ])
        return EXIT_OK
    tab_lines([e.at, e.profile or "", e.upload_id or "-", e.action, e.outcome,
               str(e.http_status or ""), e.message or ""] for e in events)
    return EXIT_OK
