"""The count line's figures: known uploads by last-known status, how many are stuck (core.diagnosis
decides) and how many answered 404 at their last read ("not found", counted instead of their
status), read from the store's columns (no snapshot parsed). Blocking: the TUI calls it in a
thread."""

from __future__ import annotations

from datetime import datetime

from scenario_tui.core.diagnosis import COUNTED, NOT_FOUND, STUCK_STATUSES, count_line, count_rows

#: up to this many known uploads, every row is read to find those not found (a few ms); above,
#: the store's counts alone are used and a 404 counts in its last status (the store has no
#: count of not-found rows yet)
SCAN_AT_MOST = 5_000


def status_count_line(store, now: datetime) -> str:
    """``2 stuck · 3 pending · 1 validating · 2 failed · 1 not found`` for every upload in
    ``store``."""
    total = store.count()
    if total <= SCAN_AT_MOST:
        return count_line(*count_rows(store.list(snapshots=False), now))
    counts = {status: store.count(status=status) for status in COUNTED}
    counts["other"] = total - sum(counts.values())
    rows = [row for status in STUCK_STATUSES
            for row in store.list(status=status, snapshots=False)]
    found, stuck = count_rows(rows, now)
    for status in STUCK_STATUSES:  # those of these rows that answered 404 are "not found"
        counts[status] = found.get(status, 0)
    counts[NOT_FOUND] = found.get(NOT_FOUND, 0)
    return count_line(counts, stuck)
