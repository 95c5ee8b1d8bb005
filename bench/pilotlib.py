"""Key-to-frame latency for an app driven by Textual's Pilot (``App.run_test``).

``FrameWatch`` wraps the app's ``_display``: Textual calls it once per frame, right after the
compositor has rendered the changed widgets (under ``run_test`` the headless driver then writes
nothing, but the rendering work is done). ``FrameWatch.press`` sends one key the way
``Pilot.press`` does (a ``Key`` event through the driver) but without Pilot's waits for the
process to go idle, and returns the seconds from sending the key to the first frame at which a
condition on the app's state holds (for example "the table's listing is the new filter"): the
state was set before that frame was rendered, so that frame is the one showing it.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from typing import Callable

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key


def key_event(key: str) -> events.Key:
    """The ``Key`` event ``Pilot.press(key)`` would send."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


class FrameWatch:
    """Counts frames and resolves waiters at the first frame where their condition holds."""

    def __init__(self, app) -> None:
        self.app = app
        self.frames = 0
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future]] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            now = time.perf_counter()
            self.frames += 1
            for waiter in list(self._waiters):
                condition, future = waiter
                if future.done():
                    self._waiters.remove(waiter)
                elif condition():
                    future.set_result(now)
                    self._waiters.remove(waiter)

        app._display = display

    def send(self, key: str) -> float:
        """Send ``key`` now, without waiting for anything; return the time it was sent."""
        event = key_event(key)
        event.set_sender(self.app)
        started = time.perf_counter()
        self.app._driver.send_message(event)
        return started

    async def press(self, key: str, shown: Callable[[], bool], *, timeout: float = 30.0) -> float:
        """Send ``key``; seconds until the first frame at which ``shown()`` is true."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((shown, future))
        started = self.send(key)
        try:
            done = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no frame showed the effect of {key!r} within {timeout:g} s"
            ) from None
        return done - started


async def settle(pilot, seconds: float) -> None:
    """Let the app run for ``seconds`` (timers, debounced workers), then wait for its screen."""
    await asyncio.sleep(seconds)
    await pilot._wait_for_screen()


async def until(condition: Callable[[], bool], *, timeout: float = 30.0, step: float = 0.005,
                what: str = "condition") -> None:
    """Poll ``condition`` every ``step`` seconds (the app keeps running meanwhile)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:g} s")
        await asyncio.sleep(step)


async def workers_done(app) -> None:
    """Wait for every worker of ``app`` to end, however it ends: a detail load the next key
    cancelled counts as ended (``wait_for_complete`` raises ``WorkerCancelled`` for it)."""
    await asyncio.gather(*(worker.wait() for worker in list(app.workers)),
                         return_exceptions=True)
