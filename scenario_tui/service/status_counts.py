"""The count line's figures: known uploads by last-known status, and how many are stuck
(core.diagnosis decides), read from the store's columns (no snapshot parsed). Blocking: the
TUI calls it in a thread."""

from __future__ import annotations

from datetime import datetime

from scenario_tui.core.diagnosis import COUNTED, STUCK_STATUSES, count_line, count_rows


def status_count_line(store, now: datetime) -> str:
    """``3 pending · 1 validating · 2 failed · 2 stuck`` for every upload in ``store``."""
    counts = {status: store.count(status=status) for status in COUNTED}
    counts["other"] = store.count() - sum(counts.values())
    rows = [row for status in STUCK_STATUSES
            for row in store.list(status=status, snapshots=False)]
    return count_line(counts, count_rows(rows, now)[1])
