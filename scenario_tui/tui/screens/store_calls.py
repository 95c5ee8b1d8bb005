"""The store work behind the main screen's keys, off the UI thread.

A key that needs the store before it can answer (``c`` reads the rows and the claims before its
dialog, ``p`` the pending IDs) and a dialog's answer that writes to it (a note, a removal) run
that work in a thread and carry on, on the UI thread, with its result: a team store may be a
round trip away, and the UI never waits for it. ``in_thread`` is the one way to do it: the call
in a thread, its ``StoreError`` (any ``ScenarioTuiError``) reported as the key always reported
it, then the rest on the UI thread.

Calls run in lanes. A lane has one call at a time: while one is in flight, another is refused
(``c`` pressed twice opens one dialog) or, with ``queue``, waits its turn (writes and marks:
each lands in the order its key came, so ``p p`` or ``* ~`` end as they would without a thread).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from scenario_tui.core import errors
from scenario_tui.tui.screens.main_parts import ScreenParts, Targets

if TYPE_CHECKING:
    from textual.screen import Screen

    from scenario_tui.store.rows import KnownUpload
    from scenario_tui.tui.screens.hold_keys import HoldKeys

    class _Screen(ScreenParts, Screen): ...
else:
    _Screen = object

T = TypeVar("T")


class StoreCalls(_Screen):
    """Mixed into ``MainScreen``: ``in_thread`` and what keys read with it."""

    @property
    def _lanes(self) -> tuple[Counter[str], dict[str, asyncio.Lock]]:
        """The calls of each lane in flight or waiting, and the lock each queued lane takes."""
        return self.__dict__.setdefault("_store_lanes", (Counter(), {}))

    def in_flight(self, lane: str) -> bool:
        """Whether a call of ``lane`` is in flight (or waiting its turn)."""
        return self._lanes[0][lane] > 0

    def in_thread(self, lane: str, call: Callable[[], T], then: Callable[[T], object], *,
                  failed: Callable[[errors.ScenarioTuiError], object] | None = None,
                  queue: bool = False, hold: str | None = None) -> bool:
        """Run ``call`` in a thread, then ``then(its result)`` on the UI thread. A
        ``ScenarioTuiError`` it raises goes to ``failed`` (by default its toast:
        ``_set_error(None, exc)``); anything else is an unexpected failure of the worker (the
        app's error screen). While a call of ``lane`` is in flight, another is refused (False) or,
        with ``queue``, runs after it (and after those queued before it).

        ``hold`` (what is read, in words): ``then`` opens a dialog, so the keys typed meanwhile
        are kept for it (``HoldKeys``), and Escape gives up."""
        counts, locks = self._lanes
        if counts[lane] and not queue:
            return False
        if hold is not None:
            from scenario_tui.tui.screens.hold_keys import HoldKeys

            keys = HoldKeys(hold)
            self.app.push_screen(keys)
            then, failed = self._held(keys, then, failed)
        counts[lane] += 1
        lock = locks.setdefault(lane, asyncio.Lock())

        async def run() -> None:
            try:
                async with lock:  # first come, first served
                    try:
                        result = await asyncio.to_thread(call)
                    except errors.ScenarioTuiError as exc:
                        if failed is None:
                            self._set_error(None, exc)
                        else:
                            failed(exc)
                        return
                    then(result)
            finally:
                counts[lane] -= 1

        self.run_worker(run(), name=lane, group=f"store-{lane}", exit_on_error=False)
        return True

    def _held(self, keys: HoldKeys, then: Callable[[T], object],
              failed: Callable[[errors.ScenarioTuiError], object] | None,
              ) -> tuple[Callable[[T], object], Callable[[errors.ScenarioTuiError], object]]:
        """``then`` and ``failed`` of a call whose keys ``keys`` holds: the result handed over
        with them, a failure reported once the holding ends (its keys dropped)."""
        def held_then(result: T) -> None:
            keys.hand_over(lambda: then(result))

        def held_failed(exc: errors.ScenarioTuiError) -> None:
            keys.give_up()
            if failed is None:
                self._set_error(None, exc)
            else:
                failed(exc)

        return held_then, held_failed

    # --- what keys act on and read --------------------------------------------------------

    def _targets(self) -> Targets:
        """The marked uploads, else the highlighted one, as the list stands now (their IDs
        in list order: ``Targets.ids``, in a thread)."""
        table = self.table
        return Targets(frozenset(table.marked), table.highlighted_id, table.listing)

    def stored_rows(self, upload_ids: list[str]) -> list[KnownUpload | None]:
        """The store's row of each upload, None where unknown (blocking: call in a thread)."""
        store = self.service.store
        return [store.get(upload_id) for upload_id in upload_ids]
