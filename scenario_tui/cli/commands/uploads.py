"""The subcommands on known uploads: ``add``, ``remove``, ``list``, ``complete``, ``log``, and
``paths`` (where the files live); ``show`` and ``summary`` are with the triage verbs.

``list`` and ``log`` read the store only; ``complete`` reaches the API.
Every ID-taking command accepts ``-`` to read IDs from stdin.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence, TextIO

from scenario_tui.cli.arguments import positive_int
from scenario_tui.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    claim_to_json,
    emit_json,
    known_to_json,
    report_error,
    say,
    status_printer,
    tab_lines,
)
from scenario_tui.cli.wiring import build_service, open_store, store_name
from scenario_tui.core import errors

if TYPE_CHECKING:
    import argparse


def add_commands(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare these subcommands with ``cmd(name, help, handler) -> ArgumentParser``."""
    add = cmd("add", "add upload IDs to the store ('-' reads a list or a pasted ticket "
                     "from stdin: the words shaped like IDs, see id_pattern)", cmd_add)
    add.add_argument("ids", nargs="+", metavar="ID")
    add.add_argument("--note", help="note for the newly added IDs")
    add.add_argument("--json", action="store_true", help="print the report as JSON")
    remove = cmd("remove", "remove upload IDs from the store (a team store's: for everyone)",
                 cmd_remove)
    remove.add_argument("ids", nargs="+", metavar="ID")
    lst = cmd("list", "list the known uploads (from the store, no network)", cmd_list)
    lst.add_argument("--json", action="store_true", help="print the uploads as JSON")
    lst.add_argument("--status", help="only uploads shown with this status (a status the API "
                     "uses, one the store holds, 'unknown' for never fetched, 'not found' for "
                     "those whose last read answered 404)")
    lst.add_argument("--stuck", action="store_true",
                     help="only uploads that are stuck (pending or validating for too long)")
    comp = cmd("complete", "send the complete action to pending uploads", cmd_complete)
    comp.add_argument("ids", nargs="+", metavar="ID")
    comp.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    comp.add_argument("--wait", action="store_true",
                      help="follow each until done (imported or failed), at most follow_timeout "
                           "seconds (300 unless set); still processing then: exit code 1")
    comp.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    comp.add_argument("--concurrency", type=positive_int, default=None, metavar="N",
                      help="at most N requests at the API at once (default: refresh_concurrency, "
                           "12 unless set; 1: one upload after the other); each line is printed "
                           "as its upload ends, --json keeps the order given")
    comp.add_argument("--take-over", action="store_true",
                      help="complete uploads another team member has claimed too (else each is "
                           "refused, exit code 1)")
    log = cmd("log", "print the activity log, newest first", cmd_log)
    log.add_argument("--json", action="store_true", help="print the events as JSON")
    log.add_argument("--limit", type=positive_int, default=200,
                     help="at most this many events (default 200)")
    cmd("paths", "print where the config, data and store live", cmd_paths)


def read_id_tokens(values: Sequence[str], stdin: TextIO) -> list[str]:
    """The ID arguments, with '-' replaced by the tokens read from stdin."""
    from scenario_tui.core.ids import split_ids

    tokens: list[str] = []
    for value in values:
        tokens.extend(split_ids(read_stdin_text(stdin)) if value == "-" else [value])
    return tokens


def read_stdin_text(stdin: TextIO) -> str:
    """All of stdin; bytes that are not UTF-8 (a ticket pasted in Latin-1) become U+FFFD, so the
    token holding them is refused (or ignored, by ``add``) instead of the whole read failing."""
    raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def cmd_paths(args, settings) -> int:
    import os

    from scenario_tui.core.config import data_dir

    print(f"config file: {settings.config_path}")
    print(f"data dir:    {data_dir(os.environ)}")
    print(f"store:       {store_name(settings)}")
    print(f"credentials: {settings.auth_source or 'none'}")
    return EXIT_OK


def cmd_add(args, settings) -> int:
    from scenario_tui.core.inert import inert_text
    from scenario_tui.core.ticket import harvest_ids, ignored_summary
    from scenario_tui.core.wording import plural

    # IDs given as arguments are taken as given; '-' is a list or a ticket: its ID-shaped words
    tokens: list[str] = []
    ignored: list[str] = []
    for value in args.ids:
        if value != "-":
            tokens.append(value)
            continue
        ticket = harvest_ids(read_stdin_text(sys.stdin), settings.id_pattern)
        tokens.extend(ticket.tokens)
        ignored = list(dict.fromkeys([*ignored, *ticket.ignored]))  # each word once
    service = build_service(settings)
    report = service.add(tokens, note=args.note)
    for _token, why in report.invalid:
        say(f"invalid: {inert_text(why, one_line=True)}")
    if ignored:
        say(ignored_summary(ignored))
    if args.note and report.existing:  # a known ID keeps its note: said, never silently
        say(f"note not set on {plural(len(report.existing), 'already known ID')}; set it with: "
            f"scenario-tui note {report.existing[0]} TEXT")
    if args.json:
        emit_json({
            "added": report.added, "existing": report.existing,
            "duplicates": report.duplicates,
            "invalid": [{"input": inert_text(t, one_line=True), "reason": r}
                        for t, r in report.invalid],
            "ignored": [inert_text(word, one_line=True) for word in ignored],
        })
    else:
        for upload_id in report.added:
            print(upload_id)
        say(
            f"{len(report.added)} added, {len(report.existing)} already known, "
            f"{plural(len(report.duplicates), 'duplicate')} skipped, {len(report.invalid)} invalid."
        )
    return EXIT_FAILED if report.invalid else EXIT_OK


def cmd_remove(args, settings) -> int:
    from scenario_tui.core.ids import parse_ids

    parsed = parse_ids(read_id_tokens(args.ids, sys.stdin))
    for _, why in parsed.invalid:
        say(f"invalid: {why}")
    service = build_service(settings, must_exist=True)
    removed = {row.id for row in service.remove(parsed.valid)} if parsed.valid else set()
    for upload_id in parsed.valid:
        if upload_id in removed:
            print(upload_id)
        else:
            say(f"not known: {upload_id}")
    failed = parsed.invalid or len(removed) < len(parsed.valid)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_list(args, settings) -> int:
    from scenario_tui.core.diagnosis import NOT_FOUND, diagnose_row
    from scenario_tui.core.present import row_status

    store = open_store(settings, must_exist=True)
    status = None if args.status is None else _listable_status(args.status, store)
    # snapshots: part URL expiry and createdAt diagnose
    by_store = None if status in (None, "unknown", NOT_FOUND) else status
    rows = store.list(status=by_store, sort="added", descending=False)
    if status is not None:  # the status it prints: a 404 reads "not found", whatever it held
        rows = [row for row in rows if (row_status(row) or "unknown") == status]
    found = [(row, diagnose_row(row)) for row in rows]
    if args.stuck:
        found = [(row, why) for row, why in found if why.stuck]
    claims = store.claims() if found else {}  # the active ones: one read, however many rows
    if args.json:
        emit_json([{**known_to_json(row), "diagnosis": why.to_json(),
                    "claim": claim_to_json(claims[row.id], store.actor)
                    if row.id in claims else None}
                   for row, why in found])
        return EXIT_OK
    # who holds each one follows its status, when anyone holds any of them (as the TUI's Who)
    held = any(row.id in claims for row, _ in found)
    tab_lines([row.id, row_status(row) or "unknown",
               *([claims[row.id].holder if row.id in claims else ""] if held else []),
               row.file_name or "", row.note or "", why.full] for row, why in found)
    return EXIT_OK


def _listable_status(status: str, store) -> str:
    """``status`` if ``list`` can print it (an API status, one in the store, 'unknown', 'not
    found' or 'not-found'), as it prints it; else a usage error naming the choices (exit 2)."""
    from scenario_tui.core.diagnosis import NOT_FOUND
    from scenario_tui.core.inert import inert_text
    from scenario_tui.core.present import STATUS_SYMBOLS

    choices = {s for s in STATUS_SYMBOLS if s} | {"unknown"}
    if status.strip().lower() in ("not-found", "not_found", NOT_FOUND):
        return NOT_FOUND
    if status in choices or store.count(status=status):
        return status
    raise errors.ConfigError(
        f"Unknown status {inert_text(status, one_line=True, limit=40)!r}: use one of "
        f"{', '.join(sorted(choices))}.", title="Unknown status")


def cmd_complete(args, settings) -> int:
    import asyncio

    from scenario_tui.core.ids import parse_ids
    from scenario_tui.core.inert import inert_text
    from scenario_tui.service.bulk_complete import ERROR, NOT_SENT

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
            wanted = parsed.valid if args.take_over else _refuse_claimed(parsed.valid, service,
                                                                          results)
            failures += len(parsed.valid) - len(wanted)
            if not wanted:
                return EXIT_OK
            if not args.yes and not _confirm_complete(wanted, service):
                say("Nothing sent.")
                return EXIT_FAILED
            # one summary entry for several; at most that many requests at the API at once
            tally = service.bulk_complete(wanted,
                                          args.concurrency or settings.refresh_concurrency)

            async def one(upload_id: str) -> dict[str, Any]:
                """Complete (and with --wait follow) one upload: its entry, its line said as
                it ends."""
                nonlocal failures
                entry: dict[str, Any] = {"id": upload_id}
                try:
                    result = await service.complete(upload_id, tally)
                except errors.ScenarioTuiError as exc:
                    report_error(exc, f"{upload_id}: ")
                    known = service.store.get(upload_id)  # the last status known, if any
                    entry.update(outcome="failed", status=known.status if known else None,
                                 message=inert_text(f"{exc.title}: {exc.message}",
                                                    one_line=True),
                                 error={"title": exc.title, "message": exc.message})
                    failures += 1
                    tally.not_sent(upload_id, ERROR)
                    return entry
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
                if result.sent:
                    tally.sent(upload_id, entry.get("status") if result.upload else None)
                else:
                    tally.not_sent(upload_id, NOT_SENT)
                if not args.json:
                    tab_lines([(upload_id, outcome, entry.get("status") or "unknown")])
                return entry

            results.extend(await asyncio.gather(*(one(i) for i in wanted)))  # in their order
            if len(tally.ids) > 1:
                say(inert_text(tally.finish(), one_line=True))
        return EXIT_OK

    code = asyncio.run(run())
    if args.json:
        emit_json(results)
    if code != EXIT_OK:
        return code
    return EXIT_FAILED if failures else EXIT_OK


def _refuse_claimed(upload_ids: list[str], service, results: list[dict[str, Any]]) -> list[str]:
    """``upload_ids`` but those another member holds a claim on: each refused on stderr ("claimed
    by ann (24 min left); pass --take-over ...") and in ``results``."""
    held = service.claims.held_by_others(upload_ids)
    for upload_id in (i for i in upload_ids if i in held):
        exc = errors.ScenarioTuiError(
            f"{service.claims.describe(held[upload_id])}; pass --take-over to complete it "
            "anyway.", title="Claimed by someone else")
        report_error(exc, f"{upload_id}: ")
        known = service.store.get(upload_id)
        results.append({"id": upload_id, "outcome": "failed",
                        "status": known.status if known else None,
                        "message": f"{exc.title}: {exc.message}",
                        "error": {"title": exc.title, "message": exc.message}})
    return [i for i in upload_ids if i not in held]


def _confirm_complete(upload_ids: list[str], service) -> bool:
    """Show each upload's known status and ask once (interactive terminals only), counting
    only the uploads that may be sent: pending or not read yet (one known in any other status
    is skipped by the fresh read anyway)."""
    from scenario_tui.core.inert import inert_text
    from scenario_tui.core.wording import plural

    sendable = 0
    for upload_id in upload_ids:
        row = service.store.get(upload_id)
        known = row.status if row else None
        sendable += known in (None, "pending")
        status = known or "unknown (will be read first)"
        if known not in (None, "pending"):
            status += ": will be skipped"
        say(inert_text(f"  {upload_id}: {status}", one_line=True))
    if not sendable:
        say("None of these is pending: nothing to complete.")
        return False
    say("Only uploads that a fresh read shows as pending will be sent the complete action.")
    skipped = len(upload_ids) - sendable
    extra = f" ({skipped} skipped)" if skipped else ""
    sys.stderr.write(f"Complete {plural(sendable, 'upload')}{extra}? [y/N] ")
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
    from scenario_tui.core.present import event_uploads

    events = open_store(settings, must_exist=True).events(limit=args.limit)
    if args.json:
        emit_json([
            {
                "at": e.at, "profile": e.profile, "uploadId": e.upload_id,
                "uploadIds": list(e.upload_ids) if e.upload_ids is not None else None,
                "action": e.action, "outcome": e.outcome, "httpStatus": e.http_status,
                "message": e.message, "actor": e.actor,
            }
            for e in events
        ])
        return EXIT_OK
    # a bulk entry's upload column says how many it touched ("15 uploads"); --json lists them.
    # On a team store (its entries name their actor) who did it follows the time, as in L.
    team = any(e.actor for e in events)
    tab_lines([e.at, *([e.actor or ""] if team else []), e.profile or "",
               event_uploads(e) or "-", e.action, e.outcome, str(e.http_status or ""),
               e.message or ""] for e in events)
    return EXIT_OK
