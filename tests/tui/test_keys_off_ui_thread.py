"""The store work behind a key runs in a thread (``tui.screens.store_calls``): while a note or a
removal is written, while ``p`` or ``R`` read the listed IDs, other keys are answered; then the
marks change, the list is read again. While ``c`` or ``d`` read what their dialog asks about,
the keys typed are kept for the dialog (``HoldKeys``: ``c`` then ``y`` in one go sends, as when
the dialog opened at once), a slow read says so, and Escape gives up. A store that fails in the
thread is said as before (a toast, no dialog, no traceback); a key pressed twice while its read
is held opens one dialog; mark keys land in the order they were pressed.

The store (or the service) is a test double here: the method a key uses is held on a gate
(``Gate``) until the test opens it, and the thread of each call is recorded. A gate never holds
for more than ``HOLD_AT_MOST``: were the work back on the UI thread, a test would fail there,
not hang."""

from __future__ import annotations

import contextlib
import re
import threading
import time

import pytest
from textual import events

from scenario_tui.cli.wiring import open_store
from scenario_tui.core import errors
from scenario_tui.core.diagnosis import diagnose_row
from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens.complete_screen import CompleteConfirmScreen
from scenario_tui.tui.screens.confirm_screen import ConfirmScreen
from scenario_tui.tui.screens.help_screen import HelpScreen
from scenario_tui.tui.screens.hold_keys import HoldKeys
from tests.conftest import make_app, make_settings, settle
from tests.kit import settle_until

PENDING = seeded_pending_ids(include_bad_file=False)
HOLD_AT_MOST = 5.0


class Gate:
    """``owner.name`` held, in whichever thread calls it, until ``open()`` (then every call
    goes through); ``error``: raised instead of calling through."""

    def __init__(self, monkeypatch, owner, name: str, *,
                 error: Exception | None = None) -> None:
        real = getattr(owner, name)
        self.ui = threading.get_ident()  # made by the test, on the app's (the UI's) thread
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.threads: list[int] = []

        def held(*args, **kwargs):
            self.threads.append(threading.get_ident())
            self.entered.set()
            self.opened.wait(HOLD_AT_MOST)
            if error is not None:
                raise error
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, held)

    @property
    def ran_off_ui(self) -> bool:
        """It was called, and never on the UI's thread."""
        return bool(self.threads) and self.ui not in self.threads

    def open(self) -> None:
        self.opened.set()


async def until(pilot, predicate, timeout: float = HOLD_AT_MOST) -> None:
    """Let the app run (its workers too, without waiting for them to end) until
    ``predicate``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the app did not get there in time"
        await pilot.pause(0.02)


async def held_meanwhile(app, pilot, what: str) -> None:
    """The keys wait for the dialog: ``HoldKeys`` is on top, saying (once the read is slow)
    what it reads, and no dialog is up yet."""
    assert isinstance(app.screen, HoldKeys)
    await until(pilot, lambda: app.screen.has_class("-shown"))
    line = str(app.screen.query_one("#hold-line").render())
    assert line.startswith(f"Reading {what}") and "esc" in line


async def answered_meanwhile(app, pilot) -> None:
    """``j`` moves the cursor at once, and no dialog has come up."""
    table = app.main_screen.table
    before = table.cursor
    await pilot.press("j")
    assert table.cursor == before + 1
    assert app.screen is app.main_screen


async def help_meanwhile(app, pilot) -> None:
    """``?`` opens help at once, and escape closes it: the UI is not waiting."""
    screen = app.screen
    await pilot.press("question_mark")
    assert isinstance(app.screen, HelpScreen)
    await pilot.press("escape")
    assert app.screen is screen


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in notifications(app)]


def dialogs(app, kind) -> int:
    return sum(isinstance(screen, kind) for screen in app.screen_stack)


def start(fake, tmp_path, ids=None):
    return make_app(fake, tmp_path, ids=ids, watch=False)


@contextlib.asynccontextmanager
async def running(fake, tmp_path, ids=None):
    """The TUI on ``ids`` (without watch mode), started and settled: (app, pilot)."""
    app = start(fake, tmp_path, ids=ids)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        yield app, pilot


async def test_c_reads_rows_and_claims_in_a_thread_then_asks(fake, tmp_path, monkeypatch):
    """``c`` on two marked uploads, one claimed by Ann: while the claims are read, the keys
    are held for the dialog, and it says so; then the dialog lists what was read: Ann's
    claim, unticked, and the other upload to send (the marks as they were when ``c`` was
    pressed)."""
    app = start(fake, tmp_path, ids=PENDING[:3])
    ann = open_store(make_settings(tmp_path), warn=False)
    ann.actor = "ann"
    ann.claim([PENDING[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        screen.table.marked.update(PENDING[:2])
        claims = Gate(monkeypatch, screen.service.claims, "held_by_others")
        rows = Gate(monkeypatch, screen.service.store, "get")
        rows.open()
        await pilot.press("c")
        await until(pilot, claims.entered.is_set)
        await held_meanwhile(app, pilot, "what to complete")
        assert dialogs(app, CompleteConfirmScreen) == 0
        claims.open()
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        dialog = app.screen
        assert [i.upload_id for i in dialog.claimed] == [PENDING[0]]
        assert re.fullmatch(r"claimed by ann \(\d+ min left\)", dialog.claimed[0].claim)
        assert [(i.upload_id, i.status, i.reason) for i in dialog.items] == [
            (PENDING[1], "pending", None)]
        assert dialog.answer_ids == [PENDING[1]]
        assert claims.ran_off_ui
        assert rows.ran_off_ui
        await pilot.press("y")
        await settle(app, pilot)
        assert fake.complete_count(PENDING[1]) == 1
        assert fake.complete_count(PENDING[0]) == 0
    ann.close()


async def test_c_twice_while_its_read_is_held_opens_one_dialog(fake, tmp_path, monkeypatch):
    """The second ``c`` comes while the first one's read is held: kept for the dialog (where it
    does nothing), so one read, one dialog, one complete sent."""
    async with running(fake, tmp_path, ids=PENDING[:2]) as (app, pilot):
        gate = Gate(monkeypatch, app.main_screen.service.claims, "held_by_others")
        await pilot.press("c")
        await until(pilot, gate.entered.is_set)
        await pilot.press("c")
        assert isinstance(app.screen, HoldKeys)
        gate.open()
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        await settle(app, pilot)
        assert dialogs(app, CompleteConfirmScreen) == 1
        assert len(gate.threads) == 1 and gate.ran_off_ui
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is app.main_screen
        assert fake.complete_count() == 1


@pytest.mark.parametrize("burst", [False, True])
async def test_keys_typed_ahead_of_the_dialog_reach_it(fake, tmp_path, monkeypatch, burst):
    """``c`` then ``y`` typed in one go, the read slower than both (a team store far away):
    the ``y`` answers the dialog once it opens, as it did when the dialog opened at once, and
    the key typed next (``j``) reaches the list after it. ``burst``: the three keys arrive
    together (one read of the terminal, as over SSH), so ``y`` and ``j`` are on their way
    through the list's screen before ``c`` has put anything on top."""
    async with running(fake, tmp_path, ids=PENDING[:3]) as (app, pilot):
        screen = app.main_screen
        upload_id = screen.table.highlighted_id
        cursor = screen.table.cursor
        gate = Gate(monkeypatch, screen.service.claims, "held_by_others")
        if burst:
            for key in "cyj":
                app.post_message(events.Key(key, key))
        else:
            await pilot.press("c", "y", "j")
        await until(pilot, gate.entered.is_set)
        await pilot.pause(0.1)
        assert isinstance(app.screen, HoldKeys) and fake.complete_count() == 0
        gate.open()
        await settle_until(app, pilot, lambda: fake.complete_count(upload_id) == 1)
        await settle(app, pilot)
        assert app.screen is screen and dialogs(app, CompleteConfirmScreen) == 0
        assert screen.table.cursor == cursor + 1
        assert fake.complete_count() == 1


async def test_escape_while_held_gives_up_and_the_read_opens_nothing(fake, tmp_path,
                                                                     monkeypatch):
    """Escape while ``c`` reads: back to the list at once (keys answered), and when the read
    comes back, no dialog opens and nothing is sent; ``c`` again asks as usual."""
    async with running(fake, tmp_path, ids=PENDING[:3]) as (app, pilot):
        screen = app.main_screen
        gate = Gate(monkeypatch, screen.service.claims, "held_by_others")
        await pilot.press("c")
        await until(pilot, gate.entered.is_set)
        await pilot.press("escape")
        assert app.screen is screen
        await answered_meanwhile(app, pilot)
        gate.open()
        await settle(app, pilot)
        assert app.screen is screen and dialogs(app, CompleteConfirmScreen) == 0
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        await pilot.press("escape")
        await settle(app, pilot)
        assert fake.complete_count() == 0


async def test_a_completes_own_store_work_runs_in_a_thread(fake, tmp_path, monkeypatch):
    """Once ``y`` sends: the complete's ledger read, its intent and its settlement (a team
    store: a round trip each) are written in a thread, and keys are answered meanwhile; then
    the upload is completed once."""
    async with running(fake, tmp_path, ids=PENDING[:3]) as (app, pilot):
        screen = app.main_screen
        store = screen.service.store
        upload_id = screen.table.highlighted_id
        reads = Gate(monkeypatch, store, "latest_intent")
        reads.open()
        opens = Gate(monkeypatch, store, "begin_intent")
        settles = Gate(monkeypatch, store, "settle_intent")
        settles.open()
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        await pilot.press("y")
        await until(pilot, opens.entered.is_set)
        await answered_meanwhile(app, pilot)
        assert fake.complete_count(upload_id) == 0
        opens.open()
        await settle_until(app, pilot, lambda: settles.entered.is_set())
        await settle(app, pilot)
        assert fake.complete_count(upload_id) == 1
        for gate in (reads, opens, settles):
            assert gate.ran_off_ui
        assert store.latest_intent(upload_id).state == "sent"


async def test_a_store_error_in_the_thread_is_said_and_opens_no_dialog(
        fake, tmp_path, monkeypatch):
    """The rows cannot be read (in the thread): the error's toast, as before; no dialog, no
    unexpected error (no traceback), the app still running."""
    async with running(fake, tmp_path, ids=PENDING[:2]) as (app, pilot):
        screen = app.main_screen
        gate = Gate(monkeypatch, screen.service.store, "get",
                    error=errors.StoreError("disk I/O error (test)"))
        gate.open()
        await pilot.press("c")
        await settle(app, pilot)
        assert app.screen is screen
        assert dialogs(app, CompleteConfirmScreen) == 0
        assert toasts(app).count("Local store error: disk I/O error (test)") == 1
        # said by the key (``_set_error``), as before: not as a worker's failure
        assert "disk I/O error" not in screen.states.app_line
        assert screen.states.unexpected is None
        assert app.is_running
        assert gate.ran_off_ui
        assert fake.complete_count() == 0


async def test_a_note_is_written_in_a_thread(fake, tmp_path, monkeypatch):
    """Enter in the note dialog: the dialog closes and ``j`` is answered while the note is
    written; then the store and the row have it."""
    async with running(fake, tmp_path, ids=PENDING[:3]) as (app, pilot):
        screen = app.main_screen
        upload_id = screen.table.highlighted_id
        gate = Gate(monkeypatch, screen.service, "set_note")
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"ticket-7", "enter")
        await until(pilot, gate.entered.is_set)
        await answered_meanwhile(app, pilot)
        assert not screen.service.store.get(upload_id).note
        gate.open()
        await settle_until(app, pilot,
                           lambda: screen.service.store.get(upload_id).note == "ticket-7")
        listing = screen.table.listing
        shown = next(row for row in map(listing.row, range(listing.count()))
                     if row.id == upload_id)
        assert shown.note == "ticket-7"
        assert gate.ran_off_ui


async def test_remove_and_undo_write_in_a_thread(fake, tmp_path, monkeypatch):
    """``d`` on marked uploads (their order read in a thread, the keys held for its dialog),
    ``y``: removed while ``j`` is answered; ``u``: put back, the same way."""
    async with running(fake, tmp_path, ids=PENDING[:3]) as (app, pilot):
        screen = app.main_screen
        store = screen.service.store
        screen.table.marked.update(PENDING[:2])
        ids = Gate(monkeypatch, store, "ids")
        await pilot.press("d")
        await until(pilot, ids.entered.is_set)
        await held_meanwhile(app, pilot, "what to remove")
        ids.open()
        await settle_until(app, pilot, lambda: isinstance(app.screen, ConfirmScreen))
        removal = Gate(monkeypatch, screen.service, "remove")
        await pilot.press("y")
        await until(pilot, removal.entered.is_set)
        await answered_meanwhile(app, pilot)
        assert store.contains(PENDING[0])
        removal.open()
        await settle_until(app, pilot, lambda: not store.contains(PENDING[0]))
        assert not store.contains(PENDING[1]) and store.contains(PENDING[2])
        assert screen.table.marked == set()
        assert len(screen.last_removed) == 2

        restore = Gate(monkeypatch, screen.service, "restore")
        await pilot.press("u")
        await until(pilot, restore.entered.is_set)
        assert app.screen is screen and not store.contains(PENDING[0])
        restore.open()
        await settle_until(app, pilot, lambda: store.contains(PENDING[0]))
        assert store.contains(PENDING[1])
        assert any(t.startswith("Restored: 2 uploads back") for t in toasts(app))
        for gate in (ids, removal, restore):
            assert gate.ran_off_ui


async def test_mark_keys_read_in_a_thread_and_land_in_the_order_pressed(
        fake, tmp_path, monkeypatch):
    """``*`` (none marked: all), ``*`` again (then: clear), ``p`` (the pending ones), pressed
    while the first read is held: ``j`` is answered meanwhile, and once the reads go through,
    the marks are what the three keys make one after the other."""
    async with running(fake, tmp_path) as (app, pilot):
        screen = app.main_screen
        pending = {row.id for row in screen.service.store.list(status="pending")}
        gate = Gate(monkeypatch, screen.service.store, "ids")
        await pilot.press("asterisk")
        await until(pilot, gate.entered.is_set)
        await answered_meanwhile(app, pilot)
        await pilot.press("asterisk", "p")
        assert screen.table.marked == set()
        gate.open()
        await settle_until(app, pilot, lambda: bool(screen.table.marked))
        assert screen.table.marked == pending
        said = [n.message for n in notifications(app) if n.title == "Marks"]
        assert said == [f"{len(pending)} pending marked ({len(pending)} new); "
                        f"{len(pending)} marked in all."]
        assert len(gate.threads) == 3 and gate.ran_off_ui


@pytest.mark.parametrize("key", ["Y", "R", "t", "exclamation_mark"])
async def test_other_keys_read_the_store_in_a_thread(fake, tmp_path, monkeypatch, key):
    """``Y`` (the rows of the summary), ``R`` (the listed IDs), ``t`` and ``!`` on marked
    uploads (their IDs in list order): ``?`` opens help while the read is held; then each
    does what it always did."""
    async with running(fake, tmp_path, ids=PENDING[:3]) as (app, pilot):
        screen = app.main_screen
        store = screen.service.store
        if key == "Y":
            gate = Gate(monkeypatch, store, "get")
        else:
            screen.table.marked.update(PENDING[:2])
            gate = Gate(monkeypatch, store, "ids")
        await pilot.press(key)
        await until(pilot, gate.entered.is_set)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is screen
        gate.open()
        await settle(app, pilot)
        if key == "Y":
            assert app.clipboard.startswith(f"{screen.table.highlighted_id} | pending | ")
        elif key == "R":
            assert screen.states.app_line.startswith("Refreshed 3 uploads at")
        elif key == "t":
            assert set(store.claims()) == set(PENDING[:2])
        else:
            stuck = {i for i in PENDING[:3]
                     if diagnose_row(store.get(i), screen.table.now).stuck}
            assert screen.table.marked == set(PENDING[:2]) | stuck
        assert gate.ran_off_ui
        assert screen.states.unexpected is None
