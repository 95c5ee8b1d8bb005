"""Full garbage collections while the user is idle.

CPython collects its oldest generation on its own once enough objects have survived into it. A
full collection walks every tracked object start-up did not freeze (``gc.freeze`` after the
first frame). In the TUI during a bulk refresh one took 20 to 45 ms (measured), and a key
pressed meanwhile waited for all of it. ``IdleCollections`` takes those collections over. The
automatic ones are switched off, and a full collection runs when:

- no key has come for ``QUIET`` seconds and ``DUE`` seconds have passed since the last one; or
- ``AT_MOST`` seconds have passed, whatever the keys.

The young and middle generations stay CPython's: each of their collections takes 1 to 5 ms.
Deferred too, the middle ones piled up into 45 to 70 ms collections, a worse wait for the first
key after a pause. Only cyclic garbage that reached the oldest generation waits longer to be
freed; everything else is freed by reference counting as before.

Headless: no Textual here; the caller ticks it (the main screen's one-second clock).
"""

from __future__ import annotations

import gc

QUIET = 1.0  # seconds without a key before a full collection may run
DUE = 10.0  # seconds between full collections while the user is idle
AT_MOST = 60.0  # seconds after which a full collection runs, keys or not
NEVER = 1 << 30  # a threshold that is never reached
#: switch, for re-measuring: False leaves CPython's own full collections alone
ENABLED = True


class IdleCollections:
    """Full collections at quiet moments (see the module)."""

    def __init__(self, collect=gc.collect) -> None:
        self._collect = collect
        self._saved: tuple[int, int, int] | None = None
        self.last = 0.0  # when the latest full collection ran (the caller's clock)
        self.count = 0  # how many full collections this object ran

    @property
    def active(self) -> bool:
        return self._saved is not None

    def take_over(self, now: float) -> None:
        """Switch CPython's automatic full collections off (the younger ones stay on)."""
        if ENABLED and self._saved is None:
            self._saved = gc.get_threshold()
            young, middle, _ = self._saved
            gc.set_threshold(young, middle, NEVER)
            self.last = now

    def give_back(self) -> None:
        """CPython's own thresholds again."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def tick(self, now: float, last_key: float) -> bool:
        """Run a full collection if one is due (see the module); whether it ran."""
        if self._saved is None:
            return False
        since = now - self.last
        if since >= AT_MOST or (since >= DUE and now - last_key >= QUIET):
            self._collect()
            self.last = now
            self.count += 1
            return True
        return False
