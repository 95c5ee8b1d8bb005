"""The team side of the main screen: claims (``t`` takes, ``T`` releases), who holds each one
(the list's Who column, the detail pane's top line), the live updates of a team store, and a
lost connection to it (the header says so; the screen stays usable read-only).

Every read of the claims and every claim or release runs in a thread: the UI never waits on the
database. The claims are few, so they are read all at once: after each reload of the list, when
the store says they changed, and every ``CLAIMS_EVERY`` seconds (the minutes left move on).

The live updates come from ``store.follow_changes`` (``tui.live``); a local store has none and
the screen keeps its own refreshing (watch mode).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from textual import work

from scenario_tui.core import errors
from scenario_tui.core.inert import inert_text
from scenario_tui.store.listing import ListQuery
from scenario_tui.tui.live import ChangesArrived, ConnectionChanged, LiveUpdates, PendingChanges
from scenario_tui.tui.screens.main_parts import HostApp, ScreenParts, Targets
from scenario_tui.tui.widgets.app_header import AppHeader

if TYPE_CHECKING:
    from textual.screen import Screen

    from scenario_tui.store.claims import Claim, ClaimResult
    from scenario_tui.tui.screens.complete_screen import CompleteItem
    from scenario_tui.tui.widgets.detail_pane import DetailPane

#: seconds between two reads of the claims when nothing said they changed
CLAIMS_EVERY = 30.0
#: what the header says while the team store's connection is lost
OFFLINE_HEADER = "team store offline: reconnecting, read-only"
OFFLINE_LINE = ("Team store connection lost: reconnecting by itself. Read-only until it is "
                "back; the list shows what was read before.")
#: what the header says while the team store connects at start-up (the list is a front page:
#: the last session's, or the one read at this start; ``store.connecting``'s ``origin``)
CONNECTING_HEADER = "team store: connecting, {origin}"
UNREACHABLE_HEADER = "team store unreachable: retrying, {origin}"
#: held claims named one by one in the status line, at most
NAMED_HELD = 2


class TeamHost(ScreenParts, Protocol):
    """What the team actions need from the main screen, besides ``ScreenParts``."""

    #: set once the service is built (after the first frame)
    warmed: asyncio.Event

    @property
    def detail(self) -> DetailPane: ...

    @property
    def host(self) -> HostApp: ...


if TYPE_CHECKING:
    class _Screen(TeamHost, Screen): ...
else:
    _Screen = object


def take_line(result: ClaimResult, describe: Callable[[Claim], str]) -> str:
    """'2 taken; up_x is claimed by ann (24 min left)': what ``t`` did, for the status widget."""
    text = f"{len(result.mine)} taken"
    held = [f"{inert_text(c.upload_id, one_line=True)} is {describe(c)}"
            for c in result.held[:NAMED_HELD]]
    more = len(result.held) - NAMED_HELD
    if more > 0:
        held.append(f"{more} more claimed by others")
    return "; ".join([text, *held])


def holder_mark(holder: str, me: str) -> str:
    """The list's marker of a claim: '@me', '@ann'."""
    return "@me" if holder == me else "@" + inert_text(holder, one_line=True, limit=40)


class TeamActions(_Screen):
    """Mixed into ``MainScreen``: claims, live updates and the team store's connection."""

    #: the change feed, while it runs (None for a local store)
    _live: LiveUpdates | None = None
    #: the team store's connection is lost: writes are refused until it is back
    team_offline = False
    #: the team store is connecting at start-up: the list is a front page until it answers
    team_connecting = False
    #: what that front page is: "last session's list", or "list read at start"
    _list_origin = "list"
    _claims_due = False
    _claims_reading = False

    @property
    def claims_now(self) -> dict[str, Claim]:
        """The active claims as last read, by upload ID."""
        return self.__dict__.setdefault("_claims_now", {})

    @property
    def pending_changes(self) -> PendingChanges:
        """What the store said others changed, not re-read yet."""
        return self.__dict__.setdefault("_pending_changes", PendingChanges())

    def on_mount(self) -> None:
        self.set_interval(CLAIMS_EVERY, self.claims_changed, name="claims")
        store = self.service.store
        # a team store still connecting at start-up (``store.connecting``), which answers from
        # its front page without a round trip; not an open one whose server is away just now
        if hasattr(store, "connect") and not store.connected:
            self.team_connecting = True
            self._list_origin = getattr(store, "origin", self._list_origin)
            self.query_one(AppHeader).team_state = CONNECTING_HEADER.format(
                origin=self._list_origin)
            self._show_claims(store.claims(), store.actor, {})
        self._follow_store()

    @property
    def _unreachable_header(self) -> str:
        return UNREACHABLE_HEADER.format(origin=self._list_origin)

    def store_unreachable(self, exc: errors.StoreError) -> None:
        """The team store could not be reached at start-up (``team_connecting``): the list
        stays the front page, read-only, and it is tried again (said once)."""
        header = self.query_one(AppHeader)
        if header.team_state != self._unreachable_header:
            header.team_state = self._unreachable_header
            self._toast(exc.title, exc.message, "error")
        self.states.app_line = (f"{exc.title}: {exc.message} Trying again every few seconds; "
                                f"the {self._list_origin} is shown, read-only until then.")

    def store_connected(self) -> None:
        """The team store answers (after ``team_connecting``): the list is read from it."""
        if not self.team_connecting:
            return
        self.team_connecting = False
        header = self.query_one(AppHeader)
        if header.team_state == self._unreachable_header:
            self.states.app_line = "Team store reached: the list was read again."
        if not self.team_offline:
            header.team_state = ""
        self.table.reload()  # the claims and the count line follow (Reloaded)

    def on_unmount(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.close()
        self._keep_front_page()

    # --- start-up: a team store still connecting, and its front page at the end --------------

    async def load_service(self) -> str:
        """Load the service in a thread: "ready"; "retry" when a team store still connecting
        (``team_connecting``) cannot be reached yet; "ended" when it cannot be opened at all
        (the app ends, and says why as a start without the TUI would)."""
        try:
            # looked up in the thread: a service built at first use
            # (``cli.wiring.DeferredService``) is built there too, and a team store that is
            # still connecting (``store.connecting``) is opened then
            await asyncio.to_thread(lambda: self.service.warm_up())
        except errors.StoreError as exc:
            if not self.team_connecting:
                raise
            if isinstance(exc, errors.TeamStoreUnreachableError):
                self.store_unreachable(exc)
                return "retry"
            self.host.end_at_start(exc)  # a wrong password, no rights, ...: no use waiting
            return "ended"
        return "ready"

    def _keep_front_page(self) -> None:
        """Hand the app what the unfiltered list showed first, as read from a team store (the
        launcher keeps it for the next start: ``store.front_page``); nothing is read here."""
        listing = self.table.listing
        front = listing.front()
        if (not self.settings.store_url or self.team_connecting or front is None
                or listing.query != ListQuery()):
            return
        from scenario_tui.store.front_page import FrontPage

        total, rows = front
        self.host.front_page = FrontPage(total=total, rows=rows,
                                         claims=list(self.claims_now.values()),
                                         actor=self.service.store.actor)

    # --- claims -------------------------------------------------------------------------------

    def on_upload_table_reloaded(self) -> None:
        self.claims_changed()

    def claims_changed(self) -> None:
        """Read the claims again (once more at most, however many calls come meanwhile)."""
        self._claims_due = True
        if not self._claims_reading:
            self._claims_reading = True
            self._read_claims()

    @work(group="claims", exit_on_error=False)
    async def _read_claims(self) -> None:
        try:
            await self.warmed.wait()  # the service is built in the warm-up thread first

            def read() -> tuple[dict[str, Claim], str, dict[str, str]]:
                desk, now = self.service.claims, self.host.clock()
                found = desk.store.claims()
                return found, desk.me, {i: desk.describe(c, now) for i, c in found.items()}

            while self._claims_due:
                self._claims_due = False
                try:
                    found, me, described = await asyncio.to_thread(read)
                except errors.StoreError:
                    continue  # the list says so (store_failed); the markers stay as they were
                self._show_claims(found, me, described)
        finally:
            self._claims_reading = False

    def _show_claims(self, found: dict[str, Claim], me: str, described: dict[str, str]) -> None:
        self.__dict__["_claims_now"] = found
        self.table.show_claims({i: holder_mark(c.holder, me) for i, c in found.items()})
        detail = self.detail
        if described != detail.claims:
            detail.claims = described
            detail.update_view()

    def action_take(self) -> None:
        self._claim_action(take=True)

    def action_release(self) -> None:
        self._claim_action(take=False)

    def _claim_action(self, *, take: bool) -> None:
        if self._refuse_read_only():
            return
        targets = self._targets()
        if targets.none:
            what = "take" if take else "release"
            self._toast(f"Nothing to {what}", "No upload is highlighted or marked.")
            return
        self._take_or_release(targets, take)

    def _take_or_release(self, targets: Targets, take: bool) -> None:
        """``t`` or ``T`` on ``targets``, in a thread; then what it did, in the status widget
        (one after the other: ``t T`` ends released)."""
        def run() -> tuple[str, bool]:
            desk = self.service.claims
            upload_ids = targets.ids()  # with marks, the listing reads the store
            if take:
                result = desk.take(upload_ids)
                return take_line(result, desk.describe), bool(result.held)
            released = desk.release(upload_ids)
            if released:
                return f"{released} released", False
            return "None of these is claimed by you: nothing released", False

        def done(said: tuple[str, bool]) -> None:
            line, held = said
            self.states.app_line = line
            if held:
                self._toast("Claimed by others", line, "warning")
            self.claims_changed()

        self.in_thread("claim", run, done, queue=True)

    def held_claims(self, upload_ids: list[str]) -> dict[str, Claim] | None:
        """The claims others hold on ``upload_ids``, read now, not from the markers: the
        complete dialog is what asks first (blocking: call in a thread). None when the store
        could not say (``claimed_items`` goes by the markers then)."""
        if not upload_ids:
            return {}
        try:
            return self.service.claims.held_by_others(upload_ids)
        except errors.StoreError:
            return None

    def claimed_items(self, items: list[CompleteItem],
                      held: dict[str, Claim] | None) -> list[CompleteItem]:
        """``items`` of the complete dialog, those another holds (``held``, as
        ``held_claims`` read them; None: as last read) saying by whom (the dialog leaves
        them unticked)."""
        wanted = {item.upload_id for item in items if item.reason is None}
        if not wanted:
            return items
        desk = self.service.claims
        if held is None:  # as last read, then
            held = {i: c for i, c in self.claims_now.items() if c.holder != desk.me}
        now = self.host.clock()
        return [replace(item, claim=desk.describe(held[item.upload_id], now))
                if item.upload_id in wanted and item.upload_id in held else item
                for item in items]

    # --- live updates and the connection ------------------------------------------------------

    @work(group="live", exit_on_error=False)
    async def _follow_store(self) -> None:
        await self.warmed.wait()
        live = self._live = LiveUpdates(self)
        try:
            await asyncio.to_thread(live.start, self.service.store)
        except errors.StoreError as exc:
            self.states.app_line = f"Live updates off: {exc.title}: {exc.message}"

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        pending = self.pending_changes
        if not pending.due:  # the first of a burst: one re-read for all of them
            self.call_later(self._apply_changes)
        pending.add(message.upload_ids)

    def _apply_changes(self) -> None:
        changed = self.pending_changes.take()
        table = self.table
        before = table.highlighted_id
        table.reload()  # keeps the highlighted ID; the count line follows (Reloaded)
        highlighted = table.highlighted_id
        if changed is None or highlighted != before or highlighted in changed:
            self._show_highlighted()

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        header = self.query_one(AppHeader)
        if not message.connected:
            self.team_offline = True
            header.team_state = OFFLINE_HEADER
            self.states.app_line = OFFLINE_LINE
            return
        if not self.team_offline:
            return
        self.team_offline = False
        header.team_state = ""
        self.states.app_line = "Team store connection back: the list was read again."
        if not self.pending_changes.due:
            self.call_later(self._apply_changes)
        self.pending_changes.add(())  # what others did meanwhile: everything is read again

    def refuse_offline(self) -> bool:
        """Refuse a change while the team store is away or still connecting (said once per key,
        not per upload)."""
        if self.team_connecting:
            self._toast("Team store connecting",
                        "The team store is still connecting: changes can be made once it "
                        "answers (the header says so).", "warning")
            return True
        if self.team_offline:
            self._toast("Team store offline",
                        "The connection to the team store is lost: nothing can be changed "
                        "until it is back (it reconnects by itself).", "warning")
            return True
        return False
