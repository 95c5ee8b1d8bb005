"""Deadlines: how long one request to a server may take in all, whatever its socket does.

httpx's timeouts apply to each socket operation (the connect, each write, each read), so a
server that answers a byte at a time, or a body that never ends, holds a request for as long
as it likes. A ``Deadline`` bounds the whole exchange instead. The API client gives each call
one (``timeout + connect_timeout``, spent over all its attempts, the waits between them
excepted); a part upload gives each PUT the time to send its bytes at a slow rate, and then
``timeout`` for the answer once the last byte is sent (``answer_within``). On expiry the block
raises ``TimeoutError``, which the caller turns into its own clear timeout error.

Imports nothing heavy: the client builds deadlines before httpx is loaded.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator


class Deadline:
    """A budget of ``seconds`` for the exchanges of one request with a server, however many
    attempts it takes: only the time spent inside ``running()`` counts."""

    __slots__ = ("seconds", "spent")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0

    @property
    def left(self) -> float:
        return max(self.seconds - self.spent, 0.0)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.Timeout]:
        """Run the block within what is left of the budget (``TimeoutError`` when it runs out);
        the time it took is spent. The scope it yields can be shortened (``answer_within``)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(self.left) as scope:
                yield scope
        finally:
            self.spent += loop.time() - started


def answer_within(scope: asyncio.Timeout, seconds: float) -> None:
    """From now on the answer must arrive within ``seconds``, and never later than ``scope``
    allowed already."""
    when = asyncio.get_running_loop().time() + seconds
    current = scope.when()
    scope.reschedule(when if current is None else min(current, when))
