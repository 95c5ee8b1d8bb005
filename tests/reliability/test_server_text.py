"""Server text is inert everywhere, server IDs are validated (issue 16, section 3).

Every field of every wire model (Upload with its parts and asset options, Job with its metadata
and status history, Asset), filled with hostile values, through every output: ``show``,
``show --json``, ``list``, ``list --json``, ``log``, ``log --json``, ``complete``, ``import``,
the TUI's list, detail pane, toasts and activity log, and the ``Y`` summary it copies. No output
may carry a raw control byte (ESC, BEL, NUL, CR, C1 such as the 8-bit CSI) or a bidi override;
in ``--json`` they must be escapes. URLs without a query string are no exception. The ID the
API gives a new upload or import is validated like any ID: an invalid one is refused as an
unexpected response, and nothing is stored or printed raw.
"""

from __future__ import annotations

import json
import types
import unicodedata
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from scenario_tui.cli.output import emit_json
from scenario_tui.core.models import Asset, AssetOptions, Job, Upload
from scenario_tui.core.present import sections_to_lines, to_public_json, upload_sections
from scenario_tui.service.uploads import FollowThrough
from scenario_tui.tui.internals import notifications
from tests.conftest import make_app, settle
from tests.kit import (
    cli_environment,
    clone_pending,
    reuse_default_ssl_context,
    run_cli,
    settle_until,
)

#: markup, an OSC 52 clipboard write, clear screen + cursor home, an 8-bit CSI, BEL, NUL, a
#: bidi override, CR: each would act on a terminal if printed raw
EVIL = ("[bold]b[/bold] \x1b]52;c;ZXZpbA==\x07 \x1b[2J\x1b[H \x9b31m \x07 \x00 "
        "\u202eevil\u202c \r end")
#: a URL without a query string: strip_query leaves it as it is
EVIL_URL = "https://evil.test/\x1b]52;c;ZXZpbA==\x07/\x1b[2J/\x9b1mfile\u202e.png"
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def evil(tag: str) -> str:
    return f"{tag} {EVIL}"


def raw_controls(text: str, allowed: str = "\n\t") -> list[str]:
    """The control characters and bidi overrides in ``text``, as ``U+XXXX``."""
    return sorted({f"U+{ord(c):04X}" for c in text
                   if (unicodedata.category(c) == "Cc" and c not in allowed) or c in _BIDI})


# --- every field of every model, hostile ---------------------------------------------------------


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _richest(options: list[Any]) -> Any:
    """Of a union's types, the one that can carry the most hostile text."""
    for wanted in (_is_model, lambda a: get_origin(a) is list, lambda a: get_origin(a) is dict,
                   lambda a: a is Any, lambda a: a is str):
        for option in options:
            if wanted(option):
                return option
    return options[0]


def hostile_value(name: str, annotation: Any) -> Any:
    """A hostile value for a field of this name and type (numbers stay numbers)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return hostile_value(name, _richest([a for a in get_args(annotation)
                                             if a is not type(None)]))
    if _is_model(annotation):
        return hostile_wire(annotation)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return [hostile_value(name, item), hostile_value(name + "2", item)]
    if get_origin(annotation) is dict:  # an asset's metadata, properties, thumbnail
        return {f"key {EVIL}": evil(name), "url": EVIL_URL, "name": evil("name"),
                "type": evil("type"), "size": evil("size"), "width": evil("width"), "height": 2,
                "duration": evil("duration"), "nested": [evil(name), {"deep": evil(name)}]}
    if annotation is Any:  # config, a job's error, hint, output
        return {f"k {EVIL}": [evil(name), {"deep": evil(name)}], "url": EVIL_URL}
    if annotation is str:
        return EVIL_URL if "url" in name.lower() else evil(name)
    if annotation is bool:
        return True
    if annotation is int:
        return 3
    if annotation is float:
        return 0.5
    raise AssertionError(f"no hostile value for {name}: {annotation}")


def hostile_wire(model: type[BaseModel], **fixed: Any) -> dict[str, Any]:
    """``model``'s wire JSON with every field it declares (nested models too) and an unknown
    one hostile; ``fixed`` (wire names) set as given."""
    data = {field.alias or name: hostile_value(name, field.annotation)
            for name, field in model.model_fields.items()}
    data[f"futureField {EVIL}"] = evil("future")
    data.update(fixed)
    return data


def test_the_hostile_models_cover_every_field():
    """The walk reaches every declared field of every model, nested ones included."""
    upload = Upload.model_validate(hostile_wire(Upload))
    job = Job.model_validate(hostile_wire(Job))
    asset = Asset.model_validate(hostile_wire(Asset))
    for model in (upload, upload.parts[0], upload.asset_options, job, job.metadata,
                  job.status_history[0], job.billing, asset):
        missing = [name for name in type(model).model_fields if getattr(model, name) is None]
        assert missing == [], f"{type(model).__name__}: {missing}"
        assert model.extra_fields()
    assert isinstance(upload.asset_options, AssetOptions)


def test_every_field_of_every_model_is_drawn_inert():
    """Every field hostile, IDs included: the sections the CLI and the TUI draw, as lines, and
    the ``show --json`` document hold no raw control byte; markup is kept as text."""
    upload = Upload.model_validate(hostile_wire(Upload))
    found = FollowThrough(job=Job.model_validate(hostile_wire(Job)),
                          asset=Asset.model_validate(hostile_wire(Asset)), model_id=evil("model"))
    sections = upload_sections(None, upload, follow=found)
    rows = [text for s in sections for row in s.rows for text in row]
    assert [t for t in rows if raw_controls(t, "\n")] == []
    lines = sections_to_lines(sections)
    assert raw_controls("\n".join(lines), "\n") == []
    assert any("[bold]b[/bold]" in line for line in lines)
    assert sum("https://evil.test/" in line for line in lines) >= 4  # import, 2 parts, asset


def test_every_field_in_show_json_is_escaped(capsys):
    upload = Upload.model_validate(hostile_wire(Upload))
    found = FollowThrough(job=Job.model_validate(hostile_wire(Job)),
                          asset=Asset.model_validate(hostile_wire(Asset)))
    capsys.readouterr()
    emit_json(to_public_json(None, upload, found))
    out = capsys.readouterr().out
    assert raw_controls(out, "\n") == []
    assert json.loads(out)["upload"]["fileName"] == evil("file_name")  # escaped, not lost


# --- 1. a URL without a query string ---------------------------------------------------------


def test_a_url_without_a_query_string_is_drawn_inert():
    """The upload's, its parts' and the asset's URL, with an OSC 52 and a CSI but no '?':
    strip_query had nothing to remove, and the URL was drawn raw."""
    upload = Upload.model_validate({
        "id": "up_url", "status": "pending", "url": EVIL_URL, "entityId": "asset_1",
        "parts": [{"number": 1, "url": EVIL_URL, "expires": "2999-01-01T00:00:00Z"}]})
    found = FollowThrough(asset=Asset.model_validate({"id": "asset_1", "url": EVIL_URL}))
    lines = sections_to_lines(upload_sections(None, upload, follow=found))
    shown = [line for line in lines if "https://evil.test/" in line]
    assert len(shown) == 3
    assert raw_controls("\n".join(lines), "\n") == []


# --- the CLI, every command --------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path, server, fake):
    reuse_default_ssl_context(monkeypatch)
    cli_environment(monkeypatch, tmp_path, server.base_url)

    def run(*argv: str, stdin: str = ""):
        return run_cli(capsys, monkeypatch, *argv, stdin=stdin)

    return run


def serve_hostile(fake, upload_id: str, **fixed: Any) -> tuple[str, str]:
    """Every GET of ``upload_id``, its job and its asset answers a hostile object."""
    job_id, asset_id = f"job_{upload_id}", f"asset_{upload_id}"
    body = hostile_wire(Upload, id=upload_id, jobId=job_id, entityId=asset_id, **fixed)
    fake.faults.add(status=200, body={"upload": body}, method="GET", count=None,
                    path=f"/uploads/{upload_id}")
    fake.faults.add(status=200, body={"job": hostile_wire(Job, jobId=job_id)}, method="GET",
                    count=None, path=f"/jobs/{job_id}")
    fake.faults.add(status=200, body={"asset": hostile_wire(Asset, id=asset_id)}, method="GET",
                    count=None, path=f"/assets/{asset_id}")
    return job_id, asset_id


def check_run(argv: tuple[str, ...], run) -> list[str]:
    """What is wrong with one run's output: a traceback, raw controls, JSON that does not load."""
    problems = []
    if "Traceback" in run.err:
        problems.append(f"{argv}: traceback")
    if raw_controls(run.err):
        problems.append(f"{argv}: stderr {raw_controls(run.err)}")
    if "--json" in argv:
        json.loads(run.out)
        if raw_controls(run.out, "\n"):
            problems.append(f"{argv}: stdout {raw_controls(run.out, chr(10))}")
    elif raw_controls(run.out):
        problems.append(f"{argv}: stdout {raw_controls(run.out)}")
    return problems


def test_every_cli_output_is_inert_whatever_the_server_sends(cli, fake):
    """show (fresh, cached, --json), list, complete, import and log (text and --json), with
    every field of the upload, its job and its asset hostile, and hostile answers to complete
    and to the import's create."""
    shown_id, completing_id = clone_pending(fake, 2, "up_walk")
    serve_hostile(fake, shown_id)
    pending = hostile_wire(Upload, id=completing_id, status="pending", jobId=None, entityId=None)
    fake.faults.add(status=200, body={"upload": pending}, method="GET", count=None,
                    path=f"/uploads/{completing_id}")
    fake.faults.add(status=200, body={"upload": hostile_wire(Upload, id=completing_id)},
                    method="POST", count=None, path=f"/uploads/{completing_id}/action")
    assert cli("add", shown_id, completing_id, "--note", evil("note")).code == 0
    runs = []
    for argv in (("show", shown_id, "--refresh"), ("show", shown_id, "--refresh", "--json"),
                 ("show", shown_id), ("list",), ("list", "--json"),
                 ("complete", completing_id, "--yes"),
                 ("complete", completing_id, "--yes", "--json"),
                 ("import", "https://cdn.example.test/x.png", "--kind", "image"),
                 ("import", "https://cdn.example.test/y.png", "--kind", "image", "--json"),
                 ("log",), ("log", "--json")):
        if argv[0] == "import":
            created = hostile_wire(Upload, id=f"up_walk_import_{len(runs)}", jobId=None,
                                   entityId=None)
            fake.faults.add(status=200, body={"upload": created}, method="POST",
                            path="/v1/uploads")
        runs.append((argv, cli(*argv)))
    problems = [p for argv, run in runs for p in check_run(argv, run)]
    assert problems == []
    show = runs[0][1].out
    # the hostile fields really were printed: as text, markup and all
    assert "[bold]b[/bold]" in show and "https://evil.test/" in show
    for section in ("Identity", "Parts", "Asset options", "Job", "Asset", "Other fields"):
        assert f"\n{section}" in f"\n{show}", section


# --- 2. the ID the API gives a new upload or import --------------------------------------------

BAD_NEW_IDS = ["up_new\x1b]52;c;ZXZpbA==\x07", "up/../../assets/x", "", "x" * 200, "up new",
               "up_\u202eevil"]


@pytest.mark.parametrize("bad", BAD_NEW_IDS, ids=lambda s: repr(s[:16]))
def test_an_invalid_id_for_a_new_import_is_refused_and_nothing_is_stored(cli, fake, bad):
    fake.faults.add(status=200, body={"upload": hostile_wire(Upload, id=bad)}, method="POST",
                    path="/v1/uploads")
    run = cli("import", "--huggingface", "owner/model")
    assert run.code == 1
    assert "Unexpected response" in run.err and "invalid ID" in run.err
    assert check_run(("import",), run) == []
    assert run.out == ""
    assert json.loads(cli("list", "--json").out) == []
    (event,) = json.loads(cli("log", "--json").out)
    assert (event["action"], event["outcome"], event["uploadId"]) == (
        "import-create", "failed", None)
    assert raw_controls(event["message"]) == []


@pytest.mark.parametrize("bad", BAD_NEW_IDS[:2], ids=lambda s: repr(s[:16]))
def test_an_invalid_id_for_a_new_upload_is_refused_before_any_part_is_sent(
        cli, fake, tmp_path, bad):
    path = tmp_path / "hero.png"
    path.write_bytes(b"x" * 5000)
    created = hostile_wire(Upload, id=bad, status="pending", parts=[
        {"number": 1, "url": f"{fake.base_url}/_parts/whatever/1"}])
    fake.faults.add(status=200, body={"upload": created}, method="POST", path="/v1/uploads")
    run = cli("upload", str(path), "--json")
    assert run.code == 1
    assert check_run(("upload", "--json"), run) == []
    (entry,) = json.loads(run.out)
    assert entry["id"] is None and entry["error"]["title"] == "Unexpected response"
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/v1/uploads")]
    assert json.loads(cli("list", "--json").out) == []


# --- 3. import: names, sources and statuses ----------------------------------------------------


def test_import_prints_the_server_name_source_and_status_inert(cli, fake):
    created = {"id": "up_imp_evil", "status": evil("status"), "fileName": evil("file"),
               "source": evil("source"), "kind": "image"}
    fake.faults.add(status=200, body={"upload": created}, method="POST", path="/v1/uploads")
    run = cli("import", "https://cdn.example.test/a.png", "--kind", "image")
    assert run.code == 0
    assert check_run(("import",), run) == []
    assert "[bold]b[/bold]" in run.err and "up_imp_evil" in run.out


def test_import_without_a_file_name_or_source_says_what_was_asked(cli, fake):
    """No fileName and no source in the answer: the line names the URL that was imported,
    never ``None``."""
    fake.faults.add(status=200, body={"upload": {"id": "up_imp_bare", "status": "pending"}},
                    method="POST", path="/v1/uploads")
    run = cli("import", "https://cdn.example.test/b.png?token=abc", "--kind", "image")
    assert run.code == 0
    assert "None" not in run.out + run.err
    assert run.out.strip().split("\t") == [
        "up_imp_bare", "pending", "https://cdn.example.test/b.png?[redacted]"]
    said = "https://cdn.example.test/b.png?[redacted]: up_imp_bare (import), now pending."
    assert said in run.err


# --- the TUI -------------------------------------------------------------------------------------


async def test_every_tui_output_is_inert_whatever_the_server_sends(fake, tmp_path):
    """The list, the detail pane (upload, job and asset), the toasts, the activity log and the
    ``Y`` summary copied to the clipboard, with every field hostile."""
    (upload_id,) = clone_pending(fake, 1, "up_walk_tui")
    serve_hostile(fake, upload_id)
    app = make_app(fake, tmp_path, [upload_id])
    app.service.store.set_note(upload_id, evil("note"))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        detail = app.main_screen.detail
        await settle_until(app, pilot, lambda: "Asset" in detail.text.splitlines())
        shots = {"main": app.export_screenshot(), "detail": detail.text}
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("Y")
        await pilot.pause()
        shots["clipboard"] = app.clipboard
        await pilot.press("L")
        await pilot.pause()
        shots["log"] = app.export_screenshot()
        shots["toasts"] = "\n".join(f"{n.title} {n.message}" for n in notifications(app))
        assert app.is_running
    assert {name: raw_controls(text, "\n") for name, text in shots.items()
            if raw_controls(text, "\n")} == {}
    assert "[bold]b[/bold]" in shots["detail"] and "https://evil.test/" in shots["detail"]
    assert upload_id in shots["clipboard"] and "[bold]b[/bold]" in shots["clipboard"]
