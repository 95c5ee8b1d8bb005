"""Watch mode's clock: how long until the next background refresh of unfinished uploads, and
what the header says about it. Plain Python (no Textual): the main screen's ``watch_actions``
drives it and tests drive it alone.

The wait starts at the ``watch_interval`` setting and doubles after each round in which nothing
changed, or which met errors or rate limits, up to ``BACKOFF_CAP`` times the interval; a round
that changed something, or a key the user pressed, brings it back to the setting.
"""

from __future__ import annotations

from datetime import datetime

from scenario_tui.core.present import relative
from scenario_tui.core.timestamps import human_duration

#: the wait grows to at most this many times the setting (30 s: 4 min)
BACKOFF_CAP = 8


class WatchSchedule:
    """On or off, the current wait, why the watch cannot run (if it cannot), when data was read."""

    def __init__(self, interval: float, *, on: bool = True, blocked: str = "") -> None:
        self.base = interval
        self.interval = interval
        self.on = on
        #: why watching is pointless in this session ("" when it is not): it never runs then
        self.blocked = blocked
        #: when the unfinished uploads were last read from the API as a whole (the app's clock)
        self.data_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.on and not self.blocked

    @property
    def cap(self) -> float:
        return self.base * BACKOFF_CAP

    def quiet(self) -> None:
        """A round changed nothing, or met errors: wait twice as long next time."""
        self.interval = min(self.interval * 2, self.cap)

    def reset(self) -> bool:
        """Something changed, or the user acted: back to the setting; whether it was longer."""
        longer = self.interval != self.base
        self.interval = self.base
        return longer

    def toggle(self) -> bool:
        """Off, or on again (from the setting's interval); whether it is on now."""
        self.on = not self.on
        self.interval = self.base
        return self.on

    def read(self, at: datetime) -> None:
        """The unfinished uploads were read at ``at``."""
        self.data_at = at

    def header(self, now: datetime) -> tuple[str, str]:
        """What the header says: a long form and a short one for narrow terminals."""
        if self.data_at is None:
            age, short_age = "data cached", "cached"
        else:
            ago = relative(self.data_at, now)
            fresh = ago in ("just now", "")
            age = "data fresh" if fresh else f"data {ago.removesuffix(' ago')} old"
            short_age = "fresh" if fresh else ago.removesuffix(" ago")
        if self.blocked:
            return f"{age} · watch off ({self.blocked})", f"{short_age} · watch off"
        if not self.on:
            return f"{age} · watch off", f"{short_age} · watch off"
        every = human_duration(self.interval)
        return f"{age} · watching every {every}", f"{short_age} · watch {every}"
