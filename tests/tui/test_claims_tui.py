"""Issue 18, claims in the TUI: ``t`` takes the highlighted or marked uploads (those another
holds are left to them, and the status widget says by whom), ``T`` releases mine; the list's
Who column and the detail pane's top say who holds each one; ``c`` on an upload another holds
asks first, with it unticked. Claims work on the local store too (one user): a second store on
the same file with another ``actor`` plays the teammate."""

from __future__ import annotations

import re

from scenario_tui.cli.wiring import open_store
from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens.complete_screen import ClaimTicks, CompleteConfirmScreen
from tests.conftest import make_app, make_settings, settle
from tests.kit import settle_until

PENDING = seeded_pending_ids(include_bad_file=False)


def teammate(tmp_path, name: str = "ann"):
    """The same store, as another member (who holds a claim is the store's ``actor``)."""
    store = open_store(make_settings(tmp_path), warn=False)
    store.actor = name
    return store


def table_lines(app) -> list[str]:
    table = app.main_screen.table
    return [table.render_line(y).text for y in range(table.size.height)]


def line_of(app, upload_id: str) -> str:
    return next(line for line in table_lines(app) if upload_id in line)


def highlight(app, upload_id: str) -> None:
    table = app.main_screen.table
    table.cursor = table.listing.ids().index(upload_id)


async def test_t_takes_the_highlighted_upload_and_the_list_and_details_show_it(fake, tmp_path):
    """``t``: the claim is mine in the store; the row reads "@me" in a Who column (the ID
    whole), the detail pane starts with "claimed by you (.. min left)", the status says it."""
    app = make_app(fake, tmp_path, ids=PENDING[:3])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        assert "Who" not in table_lines(app)[0]  # no claim anywhere: no column
        highlight(app, PENDING[1])
        await pilot.press("t")
        await settle_until(app, pilot, lambda: "@me" in line_of(app, PENDING[1]))
        claims = screen.service.store.claims()
        assert set(claims) == {PENDING[1]}
        assert claims[PENDING[1]].holder == screen.service.store.actor
        assert "Who" in table_lines(app)[0]
        assert PENDING[1] in line_of(app, PENDING[1])  # the ID is never cut
        assert "@me" not in line_of(app, PENDING[0])
        assert re.match(r"claimed by you \(\d+ min left\)", screen.detail.text)
        assert screen.states.app_line == "1 taken"


async def test_t_leaves_those_another_holds_and_says_by_whom(fake, tmp_path):
    """Marked: the free ones are taken, the one Ann holds stays hers: "1 taken; up_x is
    claimed by ann (.. min left)", in the status widget and a warning toast."""
    app = make_app(fake, tmp_path, ids=PENDING[:2])
    ann = teammate(tmp_path)
    ann.claim([PENDING[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        assert "@ann" in line_of(app, PENDING[0])  # read with the listing
        await pilot.press("asterisk", "t")
        await settle_until(app, pilot, lambda: "@me" in line_of(app, PENDING[1]))
        assert re.fullmatch(rf"1 taken; {PENDING[0]} is claimed by ann \(\d+ min left\)",
                            screen.states.app_line)
        assert screen.service.store.claims()[PENDING[0]].holder == "ann"
        assert "@ann" in line_of(app, PENDING[0])
        assert any(n.title == "Claimed by others" for n in notifications(app))
        highlight(app, PENDING[0])
        await settle(app, pilot)
        assert re.match(r"claimed by ann \(\d+ min left\)", screen.detail.text)
    ann.close()


async def test_shift_t_releases_mine_only(fake, tmp_path):
    """``T`` on marked uploads: my claim goes (its marker too), Ann's stays."""
    app = make_app(fake, tmp_path, ids=PENDING[:2])
    ann = teammate(tmp_path)
    ann.claim([PENDING[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        screen.service.claims.take([PENDING[1]])
        await pilot.press("asterisk", "T")
        await settle_until(app, pilot, lambda: screen.states.app_line == "1 released")
        assert set(screen.service.store.claims()) == {PENDING[0]}
        assert "@me" not in line_of(app, PENDING[1])
        assert "@ann" in line_of(app, PENDING[0])
        await pilot.press("asterisk", "asterisk", "T")  # none of mine left
        await settle_until(app, pilot, lambda: "nothing released" in screen.states.app_line)
    ann.close()


async def test_another_members_claim_shows_without_a_key_at_60_columns(fake, tmp_path):
    """A claim taken elsewhere appears at the next read of the claims (the listing's, or the
    periodic one); at 60x20 the Who column fits beside the whole ID."""
    app = make_app(fake, tmp_path, ids=PENDING[:2])
    ann = teammate(tmp_path, "annabelle-long-name")
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        ann.claim([PENDING[0]])
        app.main_screen.claims_changed()  # as the timer or a reload does
        await settle_until(app, pilot, lambda: "@annabel" in line_of(app, PENDING[0]))
        line = line_of(app, PENDING[0])
        assert PENDING[0] in line and len(line) <= 60
    ann.close()


async def test_t_is_refused_in_read_only_mode(fake, tmp_path):
    """--read-only: no claim is taken, and the key says why."""
    app = make_app(fake, tmp_path, ids=PENDING[:1], read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.action_take()
        await settle(app, pilot)
        assert app.main_screen.service.store.claims() == {}
        assert any(n.title == "Read-only mode" for n in notifications(app))


async def test_complete_asks_first_on_an_upload_another_holds(fake, tmp_path):
    """``c`` on marked uploads, one held by Ann: the dialog lists it "claimed by ann (..)"
    unticked; ``y`` sends only the other. Ticked on purpose (space), it is sent too."""
    app = make_app(fake, tmp_path, ids=PENDING[:3])
    ann = teammate(tmp_path)
    ann.claim([PENDING[0]])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        screen.table.marked.update(PENDING[:2])
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        dialog = app.screen
        assert [i.upload_id for i in dialog.claimed] == [PENDING[0]]
        assert re.fullmatch(r"claimed by ann \(\d+ min left\)", dialog.claimed[0].claim)
        ticks = dialog.query_one(ClaimTicks)
        await settle(app, pilot)
        assert "> [ ] " + PENDING[0] in str(ticks.render())  # the cursor on it, unticked
        assert dialog.answer_ids == [PENDING[1]]
        assert "1 claimed by someone else" in dialog.summary
        await pilot.press("y")
        await settle(app, pilot)
        assert fake.complete_count(PENDING[1]) == 1
        assert fake.complete_count(PENDING[0]) == 0

        screen.table.marked.clear()
        screen.table.marked.update([PENDING[0], PENDING[2]])
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        await pilot.press("space")  # ticks the claimed one: sent anyway
        assert "[x] " + PENDING[0] in str(app.screen.query_one(ClaimTicks).render())
        assert sorted(app.screen.answer_ids) == [PENDING[0], PENDING[2]]  # in list order
        await pilot.press("enter")
        await settle(app, pilot)
        assert fake.complete_count(PENDING[0]) == 1
        assert fake.complete_count(PENDING[2]) == 1
    ann.close()


async def test_my_own_claim_does_not_ask(fake, tmp_path):
    """An upload I hold is sent like any other (no tick needed)."""
    app = make_app(fake, tmp_path, ids=PENDING[:1])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.service.claims.take([PENDING[0]])
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        assert app.screen.claimed == []
        assert app.screen.answer_ids == [PENDING[0]]


async def test_my_claim_ends_with_a_complete_that_went_through(fake, tmp_path):
    """``t`` then ``c`` ``y``: once the complete has gone through, the list no longer shows
    the upload as mine (nothing is left to do on it), with no other key; the store agrees."""
    app = make_app(fake, tmp_path, ids=PENDING[:2])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        highlight(app, PENDING[0])
        await pilot.press("t")
        await settle_until(app, pilot, lambda: "@me" in line_of(app, PENDING[0]))
        await pilot.press("c")
        await settle_until(app, pilot, lambda: isinstance(app.screen, CompleteConfirmScreen))
        await pilot.press("y")
        await settle_until(app, pilot, lambda: fake.complete_count(PENDING[0]) == 1
                           and "@me" not in line_of(app, PENDING[0]))
        assert app.main_screen.service.store.claims() == {}
        assert "Who" not in table_lines(app)[0]
