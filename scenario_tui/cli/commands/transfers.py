"""The ``upload`` and ``import`` subcommands.

stdout carries one line per upload, ``ID<TAB>STATUS<TAB>FILE`` (``-`` as ID when no upload was
created; STATUS is the upload's last known status, ``dry-run``, or ``error``; a dry run adds the
API's estimate as a fourth, JSON column), or with ``--json`` one array of objects with the keys
``id, status, file, fileName, kind, contentType, fileSize, parts, partsSent, partsSkipped,
entityId, errorMessage, estimate, error`` (``error`` is ``{"title", "message"}`` or null).
``import`` prints ``ID<TAB>STATUS<TAB>NAME`` (the name the API gave it), or one such object.
stderr carries diagnostics: a progress line redrawn in place only when stderr is a terminal, and
one final line per file. Interrupted, ``upload`` says on stderr how to resume.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from scenario_tui.cli.arguments import upload_kind
from scenario_tui.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    emit_json,
    report_error,
    say,
    status_printer,
    tab_lines,
)
from scenario_tui.cli.progress import ProgressLine
from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.part_plan import check_part_size
from scenario_tui.core.units import human_size, parse_size


def add_commands(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare these subcommands with ``cmd(name, help, handler) -> ArgumentParser``."""
    up = cmd("upload", "upload local files in parts, complete them, optionally wait for import",
             cmd_upload)
    up.add_argument("files", nargs="+", metavar="FILE")
    up.add_argument("--kind", type=upload_kind,
                    help="upload kind (default: guessed from the extension): image, audio, "
                         "video, 3d, model, text, asset, avatar")
    up.add_argument("--content-type", help="MIME type (default: guessed from the extension)")
    up.add_argument("--part-size", type=_part_size_arg, default=None, metavar="SIZE",
                    help="bytes per part, e.g. 8MiB or 16MB (at least 5MiB; default 8MiB)")
    up.add_argument("--concurrency", type=_concurrency_arg, default=4, metavar="N",
                    help="parts sent at once (default 4)")
    up.add_argument("--note", help="note stored with each new upload")
    up.add_argument("--no-complete", action="store_true",
                    help="send the parts but do not complete (leave it pending)")
    up.add_argument("--wait", action="store_true",
                    help="follow each until done (imported or failed), at most follow_timeout "
                         "seconds (300 unless set); still processing then: exit code 1")
    up.add_argument("--dry-run", action="store_true",
                    help="only ask the API for its cost estimate; upload and store nothing")
    up.add_argument("--resume", metavar="UPLOAD_ID",
                    help="send the missing parts of an interrupted upload of FILE")
    up.add_argument("--json", action="store_true", help="print the results as JSON")
    imp = cmd("import", "import a file by URL, a Hugging Face model or a Civitai model",
              cmd_import)
    imp.add_argument("url", nargs="?", metavar="URL", help="a public http(s) URL (needs --kind)")
    imp.add_argument("--kind", type=upload_kind,
                     help="the kind of the file at URL (image, audio, video, 3d ...)")
    imp.add_argument("--huggingface", metavar="NAME", help="a Hugging Face model, owner/model")
    imp.add_argument("--civitai", metavar="URL", help="a https://civitai.com/models/... URL")
    imp.add_argument("--note", help="note stored with the new upload")
    imp.add_argument("--wait", action="store_true",
                     help="follow it until done (imported or failed), at most follow_timeout "
                          "seconds (300 unless set); still processing then: exit code 1")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")


def _part_size_arg(text: str) -> int:
    try:
        return check_part_size(parse_size(text))
    except errors.ConfigError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _concurrency_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of parts from 1 to 64")
    return value


# --- upload ------------------------------------------------------------------------------------


def cmd_upload(args, settings) -> int:
    import asyncio

    from scenario_tui.core.inert import inert_text
    from scenario_tui.core.part_plan import DEFAULT_PART_SIZE
    from scenario_tui.service.upload_result import UploadIncompleteError, resume_command
    from scenario_tui.service.uploader import Uploader

    if args.resume and len(args.files) != 1:
        raise errors.ConfigError("--resume takes exactly one FILE: the file the upload was "
                                 "created for.")
    if args.resume and args.dry_run:
        raise errors.ConfigError("--resume and --dry-run cannot be combined.")
    if settings.read_only and not args.dry_run:
        raise errors.ReadOnlyError("Cannot upload files: scenario-tui runs with --read-only.")
    line = ProgressLine(sys.stderr)
    entries: list[dict[str, Any]] = []
    state: dict[str, Any] = {}

    async def run() -> None:
        service = build_service(settings)
        service.ledger.label = "scenario-tui upload"  # names us to other processes
        state["service"] = service
        uploader = Uploader(
            service.client, service.store, service=service, concurrency=args.concurrency,
            poll_min=settings.poll_min_seconds, poll_max=settings.poll_max_seconds,
        )
        state["uploader"] = uploader
        on_update = status_printer(line.clear)
        async with service.client:
            for path in args.files:
                state["file"] = path
                try:
                    if args.resume:
                        result = await uploader.resume(
                            args.resume, path, part_size=args.part_size, note=args.note,
                            no_complete=args.no_complete, wait=args.wait,
                            on_progress=line.update, on_update=on_update)
                    else:
                        result = await uploader.upload_file(
                            path, kind=args.kind, content_type=args.content_type,
                            part_size=args.part_size or DEFAULT_PART_SIZE, note=args.note,
                            no_complete=args.no_complete, wait=args.wait, dry_run=args.dry_run,
                            on_progress=line.update, on_update=on_update)
                except UploadIncompleteError as exc:
                    line.clear()
                    report_error(exc, f"{path}: ")
                    entries.append(_entry(path, exc.upload_id, exc.status or "error", error=exc))
                except errors.ScenarioTuiError as exc:
                    line.clear()
                    report_error(exc, f"{path}: ")
                    entries.append(_entry(path, None, "error", error=exc))
                else:
                    line.clear()
                    say(_summary(result))
                    entries.append(_result_entry(result))
                if not args.json:
                    _print_line(entries[-1])

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        line.clear()
        uploader = state.get("uploader")
        interruption = uploader.interruption if uploader is not None else None
        if interruption is not None:  # it names the local file, which may be hostile too
            say(inert_text(interruption.message, one_line=True))
        elif args.resume:
            say(inert_text(f"Interrupted. Resume with: "
                           f"{resume_command(args.resume, args.files[0])}", one_line=True))
        else:
            say("Interrupted before any upload was created; nothing to resume.")
        if args.json:
            emit_json(entries)
        return EXIT_INTERRUPTED
    finally:
        if "service" in state:
            state["service"].store.close()
    if args.json:
        emit_json(entries)
    failed = any(e["error"] or e["status"] in ("error", "failed") for e in entries)
    return EXIT_FAILED if failed else EXIT_OK


def estimate_sentence(estimate: dict[str, Any] | None) -> str:
    """The API's dry-run estimate in words ("1 creative unit"), not as raw JSON; a field not
    known is named as it came."""
    import re

    estimate = dict(estimate or {})
    parts = []
    cost = estimate.pop("creativeUnitsCost", None)
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        parts.append(f"{cost:g} creative unit{'' if cost == 1 else 's'}")
    elif cost is not None:
        estimate["creativeUnitsCost"] = cost
    for key, value in estimate.items():
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(key)).lower()
        parts.append(f"{words} {value}")
    return ", ".join(parts) or "no figure"


def _summary(result) -> str:
    from scenario_tui.core.inert import inert_text
    from scenario_tui.core.wording import plural

    name = result.file
    size = human_size(result.file_size or 0)
    if result.status == "dry-run":
        text = (f"{name}: dry run, {size} in {plural(result.parts_total, 'part')} as {result.kind} "
                f"({result.content_type}); the API estimates a cost of "
                f"{estimate_sentence(result.estimate)}. Nothing was uploaded.")
        return inert_text(text, one_line=True)
    rate = ""
    if result.seconds > 0 and result.parts_sent:
        rate = f" in {result.seconds:.1f} s"
    sent = f"{plural(result.parts_sent, 'part')} sent"
    if result.parts_skipped:
        sent += f", {result.parts_skipped} already sent before"
    text = f"{name}: {result.upload_id}, {size}, {sent}{rate}; now {result.status}."
    if result.problem:
        text += f" {result.problem}"
    elif result.status == "pending" and result.complete is None and result.parts_total:
        text += f" Not completed: complete it with scenario-tui complete {result.upload_id} --yes"
    return inert_text(text, one_line=True)


def _result_entry(result) -> dict[str, Any]:
    upload = result.upload
    entry = _entry(result.file, result.upload_id, result.status)
    entry.update(
        fileName=upload.file_name if upload else None, kind=result.kind,
        contentType=result.content_type, fileSize=result.file_size, parts=result.parts_total,
        partsSent=result.parts_sent, partsSkipped=result.parts_skipped,
        entityId=upload.entity_id if upload else None,
        errorMessage=upload.error_message if upload else None, estimate=result.estimate,
    )
    if result.problem:
        entry["error"] = {"title": "Not finished", "message": result.problem}
    return entry


def _entry(file: str, upload_id: str | None, status: str, *, error=None) -> dict[str, Any]:
    return {
        "id": upload_id, "status": status, "file": file, "fileName": None, "kind": None,
        "contentType": None, "fileSize": None, "parts": None, "partsSent": None,
        "partsSkipped": None, "entityId": None, "errorMessage": None, "estimate": None,
        "error": {"title": error.title, "message": error.message} if error else None,
    }


def _print_line(entry: dict[str, Any]) -> None:
    import json

    fields = [entry["id"] or "-", entry["status"] or "unknown", entry["file"] or "-"]
    if entry["estimate"] is not None:
        fields.append(json.dumps(entry["estimate"], separators=(",", ":")))
    tab_lines([fields], flush=True)


# --- import ------------------------------------------------------------------------------------


def cmd_import(args, settings) -> int:
    import asyncio

    from scenario_tui.core.inert import inert_text
    from scenario_tui.service.upload_result import UploadIncompleteError
    from scenario_tui.service.uploader import Uploader

    sources = [s for s in (args.url, args.huggingface, args.civitai) if s]
    if len(sources) != 1:
        raise errors.ConfigError("Give exactly one of URL (with --kind), --huggingface NAME or "
                                 "--civitai URL.")
    if args.url and not args.kind:
        raise errors.ConfigError("An import by URL needs --kind (image, audio, video, 3d ...).")
    if settings.read_only:
        raise errors.ReadOnlyError("Cannot import files: scenario-tui runs with --read-only.")
    entries: list[dict[str, Any]] = []

    async def run() -> None:
        service = build_service(settings)
        try:
            async with service.client:
                uploader = Uploader(service.client, service.store, service=service,
                                    poll_min=settings.poll_min_seconds,
                                    poll_max=settings.poll_max_seconds)
                on_update = status_printer()
                try:
                    if args.huggingface:
                        result = await uploader.import_huggingface(
                            args.huggingface, note=args.note, wait=args.wait, on_update=on_update)
                    elif args.civitai:
                        result = await uploader.import_civitai(
                            args.civitai, note=args.note, wait=args.wait, on_update=on_update)
                    else:
                        result = await uploader.import_url(
                            args.url, args.kind, note=args.note, wait=args.wait,
                            on_update=on_update)
                except UploadIncompleteError as exc:
                    report_error(exc)
                    entries.append(_entry(exc.upload_id, exc.upload_id, exc.status or "error",
                                          error=exc))
                    return
        finally:
            service.store.close()
        entry = _result_entry(result)
        upload = result.upload
        # the name the API gave it, else what was asked for (the URL, the model's name)
        entry["file"] = (upload.file_name if upload is not None else None) or result.file
        entries.append(entry)
        extra = f" ({result.problem})" if result.problem else ""
        source = f"{upload.source} import" if upload is not None and upload.source else "import"
        say(inert_text(f"{entry['file']}: {result.upload_id} ({source}), now "
                       f"{result.status or 'unknown'}.{extra}", one_line=True))

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        say("Interrupted.")
        return EXIT_INTERRUPTED
    if args.json:
        emit_json(entries[0] if len(entries) == 1 else entries)
    else:
        for entry in entries:
            _print_line(entry)
    failed = any(e["error"] or e["status"] in ("error", "failed") for e in entries)
    return EXIT_FAILED if failed else EXIT_OK
