"""Work that a cancel cannot stop halfway, awaited to its end when the awaiting task is cancelled.

A store call run in a thread (``UploadService.io`` in the TUI) goes on when the task awaiting it
is cancelled (q, Esc on a worker): an intent may be opened after all. Left so, it would stay
open, held by this process, which is alive, so nobody would reconcile it until the process ends,
and every later action on that upload by this process would be refused. ``opened_despite_cancel``
waits for such an opening, then closes what it opened before the cancel goes on.

Headless (no Textual).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def to_the_end(awaitable: Awaitable[T]) -> asyncio.Future[T]:
    """Await ``awaitable`` to its end even if the awaiting task is cancelled (again) meanwhile;
    the finished future (its result or its error is not raised here)."""
    future = asyncio.ensure_future(awaitable)
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            continue
        except Exception:  # the future's own error: it is done (not raised here)
            break
    return future


async def opened_despite_cancel(opening: Awaitable[T], close: Callable[[T], object]) -> T:
    """What ``opening`` returns (it opens something: an intent). If the awaiting task is
    cancelled meanwhile, the opening still runs to its end; what it opened is then handed to
    ``close`` (called in place: the task is being cancelled, and this must be done before it
    ends), and the cancel goes on. An opening that fails raises as it would have."""
    future = asyncio.ensure_future(opening)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        done = await to_the_end(future)
        if not done.cancelled() and done.exception() is None:
            close(done.result())
        raise
