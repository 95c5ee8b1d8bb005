"""A simulated teammate for ``demo --team``: on a store connection and a service of her own (so
the store records her as the actor), every few seconds she claims an upload nobody holds that
is still pending, writes a note on it and completes it through the service (the intent ledger
and the activity log carry her name; a complete that goes through ends her claim, and she
releases it herself otherwise). She never touches an upload someone else holds a claim on, nor
one whose complete is under way.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING

from scenario_tui.core import errors
from scenario_tui.core.vocabulary import FINAL_UPLOAD_STATUSES

if TYPE_CHECKING:
    from scenario_tui.core.config import Settings
    from scenario_tui.service.uploads import UploadService
    from scenario_tui.store.rows import KnownUpload

#: how her process is named to others ("being completed by ann's process 1234 (...)")
TEAMMATE_HOLDER = "the demo's simulated teammate"
#: the shortest wait between two rounds with nothing to do (with a pace of 0, in tests)
_IDLE_MIN = 0.5


class Teammate:
    """One simulated team member, acting through ``service`` at ``pace`` seconds per step;
    ``stop`` (set from any thread) ends her at the next pause, her claim released."""

    def __init__(self, service: UploadService, *, pace: float = 4.0,
                 stop: threading.Event | None = None) -> None:
        self.service = service
        self.pace = pace
        self.stop = stop or threading.Event()
        #: the uploads she completed (the POST went out), in order
        self.completed: list[str] = []
        #: those of them not final yet: read again at each round, as a TUI follows its
        #: completes, so that everyone's list shows them move on
        self.following: list[str] = []
        #: the last expected failure of a round (a refusal, the API down...), for the record
        self.last_problem: errors.ScenarioTuiError | None = None

    @property
    def name(self) -> str:
        return self.service.store.actor

    async def run(self) -> None:
        """Rounds until stopped; an expected failure ends the round, not her."""
        while not self.stop.is_set():
            try:
                acted = await self.step()
            except errors.ScenarioTuiError as exc:
                self.last_problem, acted = exc, None
            await self._pause(self.pace if acted else max(self.pace, _IDLE_MIN))

    async def step(self) -> str | None:
        """One round: the upload she claimed, noted, completed and released (None: nothing
        was free, or she was stopped before the complete). First, what she completed before is
        read again until final."""
        await self._follow_up()
        for row in self._candidates():
            if row.status is None:  # never read: read it before taking it
                upload = await self.service.refresh(row.id)
                if upload.status != "pending":
                    continue
            taken = self.service.claims.take([row.id])
            if row.id not in {claim.upload_id for claim in taken.mine}:
                continue  # someone took it between the look and the claim
            try:
                return await self._work_on(row.id)
            finally:  # ended already if her complete went through
                self.service.claims.release([row.id])
        return None

    def _candidates(self) -> list[KnownUpload]:
        """Pending (or never read) uploads, bottom of the list first, that nobody else holds
        a claim on and that no complete is under way for."""
        store = self.service.store
        rows = [r for r in store.list(sort="added", descending=False, snapshots=False)
                if r.status in (None, "pending") and r.not_found_at is None]
        held = store.claims([r.id for r in rows])
        free = []
        for row in rows:
            claim = held.get(row.id)
            if claim is not None and claim.holder != self.name:
                continue
            intent = store.latest_intent(row.id)
            if intent is not None and intent.is_open:
                continue
            free.append(row)
        return free

    async def _work_on(self, upload_id: str) -> str | None:
        if not await self._pause(self.pace):
            return None
        known = self.service.store.get(upload_id)
        old = known.note if known is not None else ""
        mine = f"{self.name}: on it, completing"
        self.service.set_note(upload_id, f"{old} · {mine}" if old else mine)
        if not await self._pause(self.pace):
            return None
        result = await self.service.complete(upload_id)
        if result.sent:
            self.completed.append(upload_id)
            self.following.append(upload_id)
        await self._pause(self.pace)  # she holds it while it starts validating
        return upload_id

    async def _follow_up(self) -> None:
        """Read again each upload she completed that is not final yet (saved: everyone's list
        shows where it got to); one that cannot be read is tried at the next round."""
        still = []
        for upload_id in self.following:
            try:
                upload = await self.service.refresh(upload_id)
            except errors.ScenarioTuiError as exc:
                self.last_problem = exc
                still.append(upload_id)
                continue
            if upload.status not in FINAL_UPLOAD_STATUSES:
                still.append(upload_id)
        self.following = still

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopped meanwhile; whether she goes on."""
        end = time.monotonic() + seconds
        while not self.stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, 0.1))
        return False


class TeammateThread(threading.Thread):
    """A teammate in a thread of her own, with her own event loop, service and store (opened
    here from ``settings``: her database role). ``error`` holds what ended her unexpectedly."""

    def __init__(self, settings: Settings, *, pace: float) -> None:
        super().__init__(name="demo-teammate", daemon=True)
        self.settings, self.pace = settings, pace
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.teammate: Teammate | None = None

    def run(self) -> None:
        from scenario_tui.cli.wiring import build_service

        try:
            service = build_service(self.settings, holder_label=TEAMMATE_HOLDER)
        except BaseException as exc:  # said after the TUI ends
            self.error = exc
            return
        try:
            self.teammate = Teammate(service, pace=self.pace, stop=self.stop_event)
            asyncio.run(self.teammate.run())
        except BaseException as exc:  # said after the TUI ends
            self.error = exc
        finally:
            service.store.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop her (a complete in flight is let finish: it is never cut off) and wait."""
        self.stop_event.set()
        if self.is_alive():
            self.join(timeout)
