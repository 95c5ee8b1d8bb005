"""The diagnosis rules (core.diagnosis): one row per case, what the API said -> the code, the
words a support person reads, and whether it counts as stuck."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from scenario_tui.core.diagnosis import count_line, count_rows, diagnose, diagnose_row

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
DAYS_AGO_3 = "2026-12-04T10:00:00.000Z"
HOURS_AGO_2 = "2026-12-07T08:00:00.000Z"
MIN_AGO_5 = "2026-12-07T09:55:00.000Z"
MIN_AGO_90 = "2026-12-07T08:29:54.000Z"  # 90.1 min: read in whole minutes
LATER = "2026-12-07T11:00:00.000Z"

CASES = [
    # (status, keyword arguments, code, words in text, words in next step, stuck)
    ("pending", {"created_at": DAYS_AGO_3, "part_expiries": [HOURS_AGO_2]},
     "pending-expired", "pending 3 days, part URLs expired", "upload again", True),
    ("pending", {"created_at": HOURS_AGO_2, "part_expiries": [LATER]},
     "pending-stuck", "pending 2 h", "c completes", True),
    ("pending", {"created_at": MIN_AGO_5, "part_expiries": [LATER, HOURS_AGO_2]},
     "pending", "pending 5 min: waiting", "c completes", False),
    ("validating", {"updated_at": HOURS_AGO_2},
     "validating-stuck", "validating for 2 h: usually a content-type mismatch or a missing part",
     "content type", True),
    ("complete", {"updated_at": MIN_AGO_5}, "validating", "complete for 5 min", "wait", False),
    ("complete", {"updated_at": MIN_AGO_90}, "validating-stuck", "complete for 90 min", "",
     True),
    ("failed", {"error_message": "Content type mismatch"},
     "failed", "failed: Content type mismatch", "content type", False),
    ("failed", {"error_message": "bad", "job_hint": "Re-export as PNG"},
     "failed", "failed: bad", "Re-export as PNG", False),
    ("failed", {}, "failed", "failed: no reason given", "upload again", False),
    ("imported", {}, "imported", "imported", "", False),
    ("validated", {}, "validated", "validated", "wait", False),
    ("validating", {"job_status": "failure", "job_error": "decoder crashed"},
     "job-failed", "decoder crashed", "upload again", True),
    (None, {}, "never-fetched", "never fetched", "r reads", False),
    (None, {"not_found_at": "2026-12-07T10:02:00.000Z"},
     "not-found", "not found (checked 10:02)", "check the ID", False),
    ("pending", {"not_found_at": "2026-12-07T10:02:00.000Z"},
     "not-found", "not found (checked 10:02)", "", False),
    ("archived", {}, "unknown-status", "status 'archived' is new", "r reads", False),
]


@pytest.mark.parametrize(("status", "kwargs", "code", "text", "step", "stuck"), CASES)
def test_rules(status, kwargs, code, text, step, stuck):
    found = diagnose(status, now=NOW, **kwargs)
    assert found.code == code
    assert text in found.text
    assert step in found.next_step
    assert found.stuck is stuck
    assert found.to_json()["code"] == code and found.to_json()["text"] == found.text
    assert len(found.short) <= 60


def test_server_text_is_inert_and_scrubbed():
    from scenario_tui.core.redact import register_secret

    register_secret("sekret-value-123")
    found = diagnose("failed", now=NOW,
                     error_message="[b]boom[/b] \x1b[31m sekret-value-123\nnext line")
    assert "sekret-value-123" not in found.full
    assert "\x1b" not in found.full and "\n" not in found.full


def test_row_and_count_line():
    rows = [SimpleNamespace(status="pending", updated_at=DAYS_AGO_3, error_message=None,
                            fetched_at=MIN_AGO_5, snapshot_json=None),
            SimpleNamespace(status="pending", updated_at=MIN_AGO_5, error_message=None,
                            fetched_at=MIN_AGO_5, snapshot_json=None),
            SimpleNamespace(status="failed", updated_at=MIN_AGO_5, error_message="x",
                            fetched_at=MIN_AGO_5, snapshot_json=None),
            SimpleNamespace(status=None, updated_at=None, error_message=None,
                            fetched_at=None, snapshot_json=None)]
    assert diagnose_row(rows[0], NOW).code == "pending-stuck"
    assert count_line(*count_rows(rows, NOW)) == "1 stuck · 2 pending · 1 failed · 1 other"
    assert count_line({}, 0) == "No uploads"
