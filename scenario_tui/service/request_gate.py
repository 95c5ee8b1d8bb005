"""At most N requests of a bulk action at the API at once, the urgent ones first.

A bulk complete makes two requests per upload: the re-read, then the POST, with the store's
writes between and after them (the intent opened, then settled). Those writes need no place at
the API: the gate is held for the requests only, so while one upload's intent is opened or
settled, the next upload's read is already on its way, and N requests are in flight all along
(where holding a place for a whole complete left it idle for each write).

A POST waiting for a place goes before every waiting read: its intent is open (the store says
"being sent"), and the sooner it is sent, the shorter that stays true of an upload that has not
been sent yet; the reads behind it start nothing another upload waits for.

Headless (no Textual).
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator


class RequestGate:
    """``slots`` places for requests; ``async with gate.place(urgent=...)`` around each one.

    Places are handed over in order of asking, except that urgent askers go before the others.
    A cancelled asker gives up its turn (or the place it was just handed)."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one place")
        self.slots = slots
        self._free = slots
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @property
    def in_use(self) -> int:
        """Places taken now (by requests in flight)."""
        return self.slots - self._free

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._others)

    @asynccontextmanager
    async def place(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self._take(urgent)
        try:
            yield
        finally:
            self._give_back()

    async def _take(self, urgent: bool) -> None:
        if self._free and not self.waiting:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._others
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn in queue:  # still waiting: leave the line
                queue.remove(turn)
            elif turn.done() and not turn.cancelled():  # handed a place as it was cancelled
                self._give_back()
            raise

    def _give_back(self) -> None:
        """Hand the place to the next asker (urgent first), or free it."""
        for queue in (self._urgent, self._others):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the place passes on: it stays taken
                    return
        self._free += 1
