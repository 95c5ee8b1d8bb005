"""Issue 18, how the team features look (SVG snapshots, as ``test_snapshots``): the Who column
and the detail pane's claim line at 80x24 and 60x20, the complete confirmation with an upload
another member holds, and the header while the team store's connection is lost.

The claims are taken on the same fixed clock as the app's, so each says "30 min left"."""

from __future__ import annotations

from scenario_tui.store.sqlite import Store
from tests.conftest import make_settings
from tests.tui.test_live_updates import with_feed
from tests.tui.test_snapshots import NOW, PENDING, build_app, go_to, settle


def claim(tmp_path, holder: str | None, upload_id: str) -> None:
    """``upload_id`` claimed by ``holder`` (None: this app's user), at the app's fixed time."""
    store = Store.open(make_settings(tmp_path).store_path, clock=lambda: NOW)
    if holder is not None:
        store.actor = holder
    store.claim([upload_id])
    store.close()


def test_claims_in_the_list_and_details_80x24(snap_compare, tmp_path):
    """A Who column after the whole ID: "@ann" on Ann's upload, "@me" on mine; the details of
    Ann's start with "claimed by ann (30 min left)"."""
    app, _ = build_app(tmp_path)
    claim(tmp_path, "ann", PENDING[0])
    claim(tmp_path, None, PENDING[1])
    assert snap_compare(app, terminal_size=(80, 24), run_before=go_to(PENDING[0]))


def test_claims_in_the_list_60x20(snap_compare, tmp_path):
    """Narrow: the IDs stay whole; the Why column gives way to the Who column."""
    app, _ = build_app(tmp_path)
    claim(tmp_path, "ann", PENDING[0])
    assert snap_compare(app, terminal_size=(60, 20), run_before=go_to(PENDING[0]))


def test_complete_confirmation_with_a_claimed_upload(snap_compare, tmp_path):
    """Two marked, one held by Ann: she is named on it, unticked under its own heading, the
    cursor on it; "Send 1"."""
    app, _ = build_app(tmp_path)
    claim(tmp_path, "ann", PENDING[0])

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.main_screen.table.marked.update(PENDING[:2])
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_team_store_offline_header(snap_compare, tmp_path):
    """The connection lost: the header says "team store offline: reconnecting, read-only",
    the status widget says the list shows what was read before."""
    app, _ = build_app(tmp_path)
    feeds = with_feed(app)

    async def run_before(pilot) -> None:
        await settle(pilot)
        feeds[0].state(False)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
