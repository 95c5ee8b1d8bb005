"""Ending when told to: SIGTERM, or SIGHUP (the terminal or the SSH session closed), turned
into ``SystemExit`` so that ``with`` blocks and ``finally`` clauses run — a demo's temporary
store and throwaway database server are removed, not left behind — and the process still ends
with the code that signal would have given (128 + its number)."""

from __future__ import annotations

import signal
from collections.abc import Callable

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def exit_on_signals(cleanup: Callable[[], object] | None = None,
                    signals: tuple[int, ...] = ENDING_SIGNALS) -> Callable[[], None]:
    """From now on ``signals`` run ``cleanup`` (if any) and raise ``SystemExit(128 + n)``.
    Only from the main thread; returns what puts the previous handlers back."""
    previous = {number: signal.getsignal(number) for number in signals}

    def handler(number: int, frame: object) -> None:
        restore()  # a second signal while cleaning up ends the process the usual way
        if cleanup is not None:
            cleanup()
        raise SystemExit(128 + number)

    def restore() -> None:
        for number, old in previous.items():
            signal.signal(number, old)

    for number in signals:
        signal.signal(number, handler)
    return restore
