"""The last store work of the TUI moved off the UI thread (``test_keys_off_ui_thread`` has the
keys'): the start-up refresh's list of IDs, a bulk complete's summary entry, an upload's store
and ledger calls (``U``: the new row, its read, the transfer's intent, each part as it is sent),
and the rows a bulk complete keeps in view past the filter. Each is held on a ``Gate`` while
the UI answers a key; then it lands as it always did, and it never ran on the UI's thread."""

from __future__ import annotations

from textual.widgets import Input

from scenario_tui.tui.kept_listing import KeptListing
from scenario_tui.tui.screens.complete_screen import CompleteConfirmScreen
from tests.conftest import settle
from tests.kit import clone_pending, settle_until
from tests.tui.test_keys_off_ui_thread import (
    PENDING,
    Gate,
    answered_meanwhile,
    help_meanwhile,
    running,
    start,
    toasts,
    until,
)


def summaries(store) -> list[str | None]:
    return [e.message for e in store.events() if e.action == "complete" and e.upload_id is None]


async def test_the_start_up_refresh_reads_its_ids_in_a_thread(fake, tmp_path, monkeypatch):
    """At start-up, which uploads to refresh is read in a thread (a team store: a round trip,
    or a connect's timeout): ``j`` is answered meanwhile; then they are refreshed as before."""
    app = start(fake, tmp_path, ids=PENDING[:3])
    gate = Gate(monkeypatch, app.service.store, "ids_to_refresh")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, gate.entered.is_set)
        await answered_meanwhile(app, pilot)
        assert not app.main_screen.states.app_line.startswith("Refreshed")
        gate.open()
        await settle(app, pilot)
        assert app.main_screen.states.app_line.startswith("Refreshed 3 unfinished uploads at")
        assert all(fake.status_of(i) == "pending" for i in PENDING[:3])  # read, nothing sent
        assert gate.ran_off_ui


async def test_a_bulk_completes_summary_entry_is_written_in_a_thread(fake, tmp_path,
                                                                     monkeypatch):
    """Three marked, ``c``, ``y``: once all three have ended, the toast says how, and the one
    summary entry (the log's) is written in a thread: help opens meanwhile; then the entry is
    there, with the toast's words."""
    async with running(fake, tmp_path, ids=PENDING[:3]) as (app, pilot):
        screen = app.main_screen
        store = screen.service.store
        screen.table.marked.update(PENDING[:3])
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        gate = Gate(monkeypatch, store, "log_event")
        await pilot.press("y")

        def said() -> list[str]:
            return [t for t in toasts(app) if t.startswith("Complete: 3 uploads: 3 sent")]

        await until(pilot, lambda: gate.entered.is_set() and bool(said()))
        [toast] = said()  # (help, opened next, takes the toasts on screen away)
        await help_meanwhile(app, pilot)
        assert summaries(store) == []
        gate.open()
        await settle(app, pilot)
        assert [f"Complete: 3 uploads: {text}; see L" for text in summaries(store)] == [toast]
        assert all(fake.complete_count(i) == 1 for i in PENDING[:3])
        assert gate.ran_off_ui


async def test_an_uploads_store_and_ledger_calls_run_in_a_thread(fake, tmp_path, monkeypatch):
    """``U`` on a file: the new row, its reads, the log, the file's fingerprint, the transfer's
    intent and its settlement, and each part recorded as it is sent: none on the UI's thread.
    While the part's record is held, help opens; then the upload ends as it always did."""
    data = tmp_path / "picture.png"
    data.write_bytes(b"\x89PNG" + b"x" * 300_000)
    async with running(fake, tmp_path, ids=PENDING[:2]) as (app, pilot):
        store = app.main_screen.service.store
        names = ("add", "record_snapshot", "log_event", "record_source_file", "begin_intent",
                 "settle_intent")
        passing = {name: Gate(monkeypatch, store, name) for name in names}
        for gate in passing.values():
            gate.open()
        part = Gate(monkeypatch, store, "record_part")
        await pilot.press("U")
        await pilot.pause()
        app.screen.query_one("#upload-path", Input).value = str(data)
        await pilot.pause()
        await pilot.press("f2")
        await until(pilot, part.entered.is_set)
        await help_meanwhile(app, pilot)
        part.open()
        await settle(app, pilot)
        [row] = [r for r in store.list() if r.file_name == "picture.png"]
        assert row.status == "imported" and fake.complete_count(row.id) == 1
        assert store.parts_sent(row.id) == {1: data.stat().st_size}
        assert [name for name, gate in {**passing, "record_part": part}.items()
                if not gate.ran_off_ui] == []


async def test_rows_kept_past_the_filter_are_read_in_a_thread(fake, tmp_path, monkeypatch):
    """Under a filter, ``c`` ``y`` on two marked uploads keeps them in view once they stop
    matching (``kept_listing``): their rows are read in a thread (the list as on a team store,
    re-reading in one too), help opens meanwhile; then they are listed, kept."""
    ids = clone_pending(fake, 3, prefix="up_aside")  # IDs that "pending" does not match
    async with running(fake, tmp_path, ids=ids) as (app, pilot):
        screen = app.main_screen
        screen.table.read_aside = True  # as on a team store
        screen.filter_changed("pending")
        await settle(app, pilot)
        assert screen.table.listing.count() == 3
        screen.table.marked.update(ids[:2])
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        gate = Gate(monkeypatch, screen.service.store, "get")
        await pilot.press("y")
        await until(pilot, gate.entered.is_set)
        await help_meanwhile(app, pilot)
        assert not isinstance(screen.table.listing, KeptListing)
        gate.open()
        await settle(app, pilot)
        listing = screen.table.listing
        assert isinstance(listing, KeptListing) and listing.kept_ids == frozenset(ids[:2])
        assert all(fake.complete_count(i) == 1 for i in ids[:2])
        assert gate.ran_off_ui
