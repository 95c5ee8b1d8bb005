"""Bulk refreshes on an event loop of their own, in a thread beside the caller's.

A bulk refresh answers hundreds of uploads a second, and each answer costs Python work (HTTP
parsing, validation, the snapshot write). On the TUI's event loop that work sat between the
message hops of every key press, and keys slowed down while ``R`` ran (bench/RESULTS.md has
the figures). Here the requests, their parsing and the snapshot writes run on a second event loop,
in a daemon thread, with a sibling of the service's API client (its own connections, the same
rate-limit pause); the caller's loop only receives ``on_result`` calls. The thread and its loop
start at the first refresh and stop with ``close()``.

Headless: no Textual here; any asyncio caller can use it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING

from scenario_tui.service.despite_cancel import to_the_end

if TYPE_CHECKING:
    from scenario_tui.service.bulk_refresh import RefreshWindow, ResultCallback
    from scenario_tui.service.uploads import UploadService

CLOSE_TIMEOUT = 5.0  # seconds ``close()`` waits for the thread's connections to close


class RefreshThread:
    """``refresh_many`` of a service, run on a loop in another thread (see the module)."""

    def __init__(self, service: UploadService) -> None:
        self._service = service
        self._twin: UploadService | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._go = threading.Event()  # cleared while the caller wants the GIL to itself
        self._go.set()
        self._aside_until = 0.0

    def step_aside(self, seconds: float) -> None:
        """Hold the refresh's Python work (at its next task step) until ``resume()``, for
        at most ``seconds``: for a key, whose handling and frame then have the GIL to
        themselves. A thread busy parsing answers holds the GIL for up to Python's switch
        interval at a time, and a key's handling lets go of it several times, each a chance to
        wait that long (bench/RESULTS.md measures what a key lost to it)."""
        self._aside_until = time.monotonic() + seconds
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def _wait_while_aside(self) -> None:  # in the refresh thread: blocks its loop, without the GIL
        if not self._go.is_set():
            self._go.wait(max(self._aside_until - time.monotonic(), 0.0))

    @property
    def refresh_window(self) -> RefreshWindow | None:
        """The window of the refreshes under way, or of the latest (shared by all of them)."""
        return self._twin.refresh_window if self._twin is not None else None

    def _start(self) -> tuple[asyncio.AbstractEventLoop, UploadService]:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                # every step of every task first waits while the caller has stepped aside
                loop.set_task_factory(_gated_tasks(self._wait_while_aside))
                thread = threading.Thread(target=loop.run_forever, name="scenario-tui-refresh",
                                          daemon=True)
                thread.start()
                self._twin = self._service.sibling()
                self._loop, self._thread = loop, thread
            loop, twin = self._loop, self._twin
        assert twin is not None  # made with the loop
        return loop, twin

    async def refresh_many(self, upload_ids: list[str], *, concurrency: int,
                           on_result: ResultCallback | None = None):
        """As ``UploadService.refresh_many``: ``on_result`` is called on the caller's loop, after
        the upload's snapshot is stored; an exception it raises stops the refresh and is raised
        here. Cancelling this cancels the refresh, and waits until its results are stored."""
        loop, twin = self._start()
        here = asyncio.get_running_loop()
        finished = asyncio.Event()
        failure: list[BaseException] = []

        # results cross to the caller's loop in bunches: each crossing wakes that loop, and a
        # thread waking up waits for the GIL (up to a switch interval while this one is busy)
        queued: list[tuple] = []
        queued_lock = threading.Lock()

        def deliver() -> None:  # on the caller's loop
            with queued_lock:
                bunch = queued[:]
                queued.clear()
            for upload_id, upload, exc in bunch:
                if failure or on_result is None:
                    return
                try:
                    on_result(upload_id, upload, exc)
                except BaseException as error:  # noqa: BLE001 (raised below, in the caller)
                    failure.append(error)
                    future.cancel()

        def relay(upload_id, upload, exc) -> None:  # on the refresh loop
            with queued_lock:
                queued.append((upload_id, upload, exc))
                first = len(queued) == 1
            if first:
                here.call_soon_threadsafe(deliver)

        async def run():
            try:
                return await twin.refresh_many(upload_ids, concurrency=concurrency,
                                               on_result=relay)
            finally:  # every result is stored by now, and every relay queued before this
                here.call_soon_threadsafe(finished.set)

        future = asyncio.run_coroutine_threadsafe(run(), loop)
        try:
            results = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            await to_the_end(finished.wait())
            if failure:
                raise failure[0] from None
            raise
        if failure:
            raise failure[0]
        return results

    def close(self) -> None:
        """Close the thread's connections and stop its loop (a refresh under way is cancelled)."""
        with self._lock:
            loop, thread, twin = self._loop, self._thread, self._twin
            self._loop = self._thread = None
        if loop is None or thread is None or twin is None:
            return

        async def shut() -> None:
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            for task in tasks:
                task.cancel()
            if tasks:  # each runs its cancellation to the end (stores what it read) before
                # the loop stops: none is left suspended, to be collected unfinished later
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True),
                                       CLOSE_TIMEOUT / 2)
            await twin.client.aclose()

        try:
            asyncio.run_coroutine_threadsafe(shut(), loop).result(CLOSE_TIMEOUT)
        except Exception:  # noqa: BLE001 (closing: a connection that will not close is dropped)
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_TIMEOUT)
        if not thread.is_alive():
            loop.close()


def _gated_tasks(gate):
    """A task factory whose tasks call ``gate`` (which may block) before each step: a turn of
    the loop runs every task that became ready meanwhile (a long turn while hundreds of answers
    come in), and a gate between turns came too late for a key."""

    def factory(loop, coro, **kwargs):  # context (3.11), and name or eager_start later
        return asyncio.Task(_Gated(coro, gate), loop=loop, **kwargs)

    return factory


class _Gated(Coroutine):
    """``coro``, with ``gate()`` called before each of its steps."""

    def __init__(self, coro, gate) -> None:
        self._coro, self._gate = coro, gate

    def send(self, value):
        self._gate()
        return self._coro.send(value)

    def throw(self, *args):
        self._gate()
        return self._coro.throw(*args)

    def close(self):
        return self._coro.close()

    def __await__(self):
        return self._coro.__await__()
