"""Turn uploads, jobs and assets into labelled, display-safe text.

Shared by the CLI's ``show`` and the TUI's detail pane, so both show the same fields the same
way. Every label and value passes through ``inert_text`` as it is added to a section (whatever
its caller did before), so no server string reaches a screen raw; URLs lose their query strings
(presigned credentials) and every registered secret.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from scenario_tui.core.diagnosis import NOT_FOUND, diagnose_row
from scenario_tui.core.inert import inert_text
from scenario_tui.core.redact import strip_query, strip_upload_urls, strip_urls
from scenario_tui.core.timestamps import parse_time
from scenario_tui.core.units import human_size
from scenario_tui.core.wording import plural

if TYPE_CHECKING:  # pydantic loads after the first paint
    from scenario_tui.core.models import Asset, Job, Upload

STATUS_SYMBOLS = {
    "pending": "○",
    "validating": "◔",
    "complete": "◕",  # in the enum, undocumented: shown as its own, treated as processing
    "validated": "◑",
    "imported": "●",
    "failed": "✗",
    NOT_FOUND: "⊘",  # not an API status: the last read of the upload answered 404
    None: "?",
}


class Section:
    """A titled group of (label, value) rows."""

    __slots__ = ("title", "rows")

    def __init__(self, title: str, rows: list[tuple[str, str]] | None = None) -> None:
        self.title = title
        self.rows: list[tuple[str, str]] = [] if rows is None else rows

    def __repr__(self) -> str:
        return f"Section({self.title!r}, {self.rows!r})"

    def __eq__(self, other: object) -> bool:  # the detail pane skips a repaint of equal ones
        if not isinstance(other, Section):
            return NotImplemented
        return self.title == other.title and self.rows == other.rows

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable

    @classmethod
    def of(cls, title: str, label: str, value: Any) -> Section:
        """A section of one row (none when the value is empty)."""
        section = cls(title)
        section.add(label, value)
        return section

    def add(self, label: str, value: Any) -> None:
        """A row, made inert here (a value keeps its line breaks: JSON is shown indented)."""
        if value is None or value == "" or value == []:
            return
        self.rows.append((inert_text(label, one_line=True), inert_text(value)))


def status_label(status: str | None) -> str:
    """Status as a symbol and a word: readable without colour."""
    symbol = STATUS_SYMBOLS.get(status, "◇")
    return f"{symbol} {inert_text(status, one_line=True, limit=16) if status else 'unknown'}"


def row_status(row) -> str | None:
    """The status a known upload is shown with (the list, ``list``, the ``Y`` summary): "not
    found" when its last read answered 404, else its last-known status (None: never fetched)."""
    return NOT_FOUND if getattr(row, "not_found_at", None) else row.status


def summary_line(row, now: datetime | None = None) -> str:
    """One upload as the ``Y`` summary (and ``scenario-tui summary``) writes it, for a ticket:
    ``ID | status | file | size | diagnosis -> next step | note: ...``."""
    parts = [row.id, row_status(row) or "unknown", row.file_name or "",
             human_size(row.file_size), diagnose_row(row, now).full]
    if row.note:
        parts.append(f"note: {row.note}")
    return " | ".join(inert_text(part, one_line=True) for part in parts if part)


def summary_text(rows, now: datetime | None = None) -> str:
    """The plain-text summary of several uploads: a line each (``summary_line``)."""
    return "\n".join(summary_line(row, now) for row in rows)


def event_uploads(event) -> str | None:
    """What an activity log entry touched, in a word: its upload's ID, or for a bulk entry
    (``upload_ids``) how many ("15 uploads"; the log screen and ``log --json`` list them)."""
    upload_id = getattr(event, "upload_id", None)
    ids = getattr(event, "upload_ids", None)
    if upload_id is None and ids is not None:
        return ids[0] if len(ids) == 1 else plural(len(ids), "upload")
    return upload_id


def relative(value: str | datetime | None, now: datetime) -> str:
    """'3 min ago', 'in 4 min', 'just now'; '' when unknown. Clock skew under a minute is 'now'."""
    moment = value if isinstance(value, datetime) else parse_time(value)
    if moment is None:
        return ""
    try:
        seconds = (now - moment).total_seconds()
    except OverflowError:
        return ""
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 45 or (future and seconds < 60):
        return "just now"
    minutes = round(seconds / 60)
    hours = round(seconds / 3600)
    days = round(seconds / 86400)
    if minutes < 60:
        amount = f"{minutes} min"
    elif hours < 24:
        amount = f"{hours} h"
    elif days < 45:
        amount = f"{days} d"
    else:
        amount = f"{round(days / 30)} mo"
    return f"in {amount}" if future else f"{amount} ago"


def when(value: str | None, now: datetime) -> str:
    """Absolute and relative: '2026-11-29 04:10:00 UTC (3 min ago)'."""
    moment = parse_time(value)
    if moment is None:
        return inert_text(value, one_line=True) if value else ""
    try:
        stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError):  # at the edge of the calendar: show it as it came
        return inert_text(value, one_line=True) if value else ""
    return f"{stamp} ({relative(moment, now)})"


def part_expiry(expires: str | None, now: datetime) -> str:
    moment = parse_time(expires)
    if moment is None:
        return "expiry unknown"
    try:
        expired = moment <= now
    except OverflowError:
        return "expiry unknown"
    if expired:
        return "expired"
    return f"expires {relative(moment, now)}"


def _text(value: Any, limit: int = 300) -> str | None:
    return None if value is None else inert_text(value, one_line=True, limit=limit)


def _url(value: str | None) -> str | None:
    """A URL as shown: no query string, no secret, inert (an OSC 52 needs no '?')."""
    return _text(strip_query(value), 2000) if value else None


def _size(value: Any) -> str | None:
    """A byte count as ``human_size`` writes it; a value that is not one is shown as it came."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return human_size(value)
        except (OverflowError, ValueError):  # beyond a float (an integer of 400 digits)
            pass
    return _text(value, 60)


def upload_sections(
    row, upload: Upload | None, now: datetime | None = None, follow=None
) -> list[Section]:
    """Grouped fields of an upload, the local data about it (``row``: KnownUpload) and, when
    known, its job and asset (``follow``). Most useful for triage first: status and error, the
    note, identity, what it became, then the long tail (parts, options, config, unknown fields).
    """
    now = now or datetime.now(timezone.utc)
    sections: list[Section] = []
    if row is not None:
        local = Section("Local")
        if upload is None:
            local.add("ID", _text(row.id))
        local.add("Note", _text(row.note, 1000))
        local.add("Added", when(row.added_at, now))
        local.add("Fetched", when(row.fetched_at, now) if row.fetched_at else "never")
        local.add("Answered 404", when(getattr(row, "not_found_at", None), now))
        sections.append(local)
        if upload is None and getattr(row, "not_found_at", None):  # what it means, on top
            sections.insert(0, diagnosis_section(row, None, now))
    if upload is not None:
        state = Section("Status")
        state.add("Status", status_label(upload.status))
        state.add("Error", _text(upload.error_message, 2000))
        state.add("Job", _text(upload.job_id))
        state.add("Entity", _text(upload.entity_id))
        state.add("Created", when(upload.created_at, now))
        state.add("Updated", when(upload.updated_at, now))
        sections.insert(0, state)

        ident = Section("Identity")
        ident.add("ID", _text(upload.id))
        ident.add("File", _text(upload.file_name))
        if upload.original_file_name and upload.original_file_name != upload.file_name:
            ident.add("Original name", _text(upload.original_file_name))
        ident.add("Kind", _text(upload.kind))
        ident.add("Source", _text(upload.source))
        ident.add("Provider", _text(upload.provider))
        ident.add("Content type", _text(upload.content_type))
        if upload.file_size is not None:
            ident.add("Size", f"{_size(upload.file_size)} ({int(upload.file_size):,} bytes)")
        ident.add("Import URL", _url(upload.url))
        ident.add("Owner", _text(upload.owner_id))
        ident.add("Author", _text(upload.author_id))
        sections.append(ident)
        sections.insert(0, diagnosis_section(row, upload, now, follow))
        if follow is not None:
            sections.extend(follow_through_sections(follow, now))

        if upload.parts:
            parts = Section(f"Parts ({upload.parts_count or len(upload.parts)})")
            for part in upload.parts[:50]:
                parts.add(
                    f"#{_text(part.number)}",
                    f"{_url(part.url)}  {part_expiry(part.expires, now)}",
                )
            if len(upload.parts) > 50:
                parts.add("…", f"{len(upload.parts) - 50} more parts")
            sections.append(parts)
        elif upload.parts_count:
            sections.append(Section.of("Parts", "Count", _text(upload.parts_count)))

        if upload.asset_options is not None:
            opts = Section("Asset options")
            opts.add("Collections", _text(", ".join(upload.asset_options.collection_ids or [])))
            opts.add("Hidden", _text(upload.asset_options.hide))
            opts.add("Parent", _text(upload.asset_options.parent_id))
            sections.append(opts)
        if upload.config is not None:
            sections.append(Section.of("Config", "JSON", _json(upload.config)))
        extra = upload.extra_fields()
        if extra:
            unknown = Section("Other fields")
            for key, value in extra.items():
                shown = _text(value) if isinstance(value, str) else _json(value)
                unknown.add(_text(key, 60) or "?", shown)
            sections.append(unknown)
    return sections


def diagnosis_section(row, upload: Upload | None, now: datetime, follow=None) -> Section:
    """What is wrong and what to do next (core.diagnosis), for the top of the details."""
    found = diagnose_row(row, now, upload=upload, follow=follow)
    section = Section("Diagnosis")
    section.add("Why", found.text)
    section.add("Next", found.next_step)
    return section


def follow_through_sections(found, now: datetime | None = None) -> list[Section]:
    """The upload's job and what it became."""
    now = now or datetime.now(timezone.utc)
    sections: list[Section] = []
    if found.job is not None:
        job: Job = found.job
        sec = Section("Job")
        sec.add("Job", _text(job.job_id))
        sec.add("Status", _text(job.status))
        if job.progress is not None:
            sec.add("Progress", f"{progress_bar(job.progress)} {job.progress * 100:.0f}%")
        meta = job.metadata
        if meta is not None:
            sec.add("Error", _text(meta.error, 2000))
            sec.add("Hint", _text(meta.hint, 2000))
            sec.add("Assets", _text(", ".join(meta.asset_ids or [])))
        for entry in job.status_history:
            sec.add("  " + (_text(entry.status) or "?"), when(entry.date, now))
        sections.append(sec)
    elif found.job_error is not None:
        sections.append(Section.of("Job", "Error", _text(found.job_error.message)))
    if found.asset is not None:
        asset: Asset = found.asset
        sec = Section("Asset")
        sec.add("Asset", _text(asset.id))
        sec.add("Status", _text(asset.status))
        sec.add("Kind", _text(asset.kind))
        sec.add("MIME type", _text(asset.mime_type))
        props = asset.properties or {}
        sec.add("Size", _size(props.get("size")))
        if props.get("width") and props.get("height"):
            sec.add("Dimensions", _text(f"{props['width']} x {props['height']}"))
        if props.get("duration") is not None:
            sec.add("Duration", _text(f"{props['duration']} s"))
        sec.add("Privacy", _text(asset.privacy))
        sec.add("Tags", _text(", ".join(asset.tags or [])))
        sec.add("Collections", _text(", ".join(asset.collection_ids or [])))
        sec.add("URL", _url(asset.url))
        sections.append(sec)
    elif found.asset_error is not None:
        sections.append(Section.of("Asset", "Error", _text(found.asset_error.message)))
    if found.model_id:
        sections.append(Section.of("Model", "Model ID", _text(found.model_id)))
    return sections


def progress_bar(fraction: float, width: int = 20) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _json(value: Any) -> str:
    try:
        import json  # not before the first frame

        text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return inert_text(text, limit=4000)


def sections_to_lines(sections: list[Section]) -> list[str]:
    lines: list[str] = []
    for section in sections:
        lines.append(f"{section.title}")
        width = max((len(label) for label, _ in section.rows), default=0)
        for label, value in section.rows:
            first, *rest = value.split("\n")
            lines.append(f"  {label.ljust(width)}  {first}")
            lines.extend(f"  {' ' * width}  {more}" for more in rest)
    return lines


def public_upload_json(upload: Upload) -> dict[str, Any]:
    """The upload's wire JSON with credentials (presigned query strings) removed."""
    return strip_upload_urls(upload.to_wire())


def to_public_json(row, upload: Upload | None, found) -> dict[str, Any]:
    """The stable ``show --json`` document."""
    doc: dict[str, Any] = {
        "id": row.id if row is not None else (upload.id if upload else None),
        "known": row is not None,
        "note": row.note if row is not None else None,
        "noteBy": getattr(row, "note_by", None),
        "addedAt": row.added_at if row is not None else None,
        "fetchedAt": row.fetched_at if row is not None else None,
        "notFoundAt": getattr(row, "not_found_at", None),
        "upload": public_upload_json(upload) if upload is not None else None,
    }
    if found is not None:
        # signed URLs (the asset's, its thumbnail's, any in the job's output) lose their query
        doc["job"] = strip_urls(found.job.to_wire()) if found.job else None
        doc["asset"] = strip_urls(found.asset.to_wire()) if found.asset else None
        doc["modelId"] = found.model_id
    return doc
