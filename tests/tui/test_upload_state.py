"""The main screen's per-upload state (``tui/upload_state.py``): typed records, and a change
reported for each upload (or None for the app-wide lines) so the status widget follows it."""

from __future__ import annotations

import pytest

from scenario_tui.tui.upload_state import Failure, UploadStates


@pytest.fixture
def changes() -> list:
    return []


@pytest.fixture
def states(changes) -> UploadStates:
    return UploadStates(changes.append, lambda progress: changes.append(("files", progress)))


def test_work_in_flight_is_reported_once_per_change(states, changes):
    states.start("up_1", "refreshing")
    states.start("up_1", "refreshing")  # no change
    states.start("up_1", "completing", unless_busy=True)  # busy already: left as it is
    assert states.busy("up_1") == "refreshing" and changes == ["up_1"]
    states.finish("up_1", "completing")  # not what it does: nothing
    states.finish("up_1", "refreshing")
    assert states.busy("up_1") is None and changes == ["up_1", "up_1"]
    assert dict(states.in_flight) == {}


def test_in_flight_is_a_read_only_view(states):
    view = states.in_flight
    states.start("up_1", "completing")
    assert view.get("up_1") == "completing" and states.completing() == ["up_1"]
    with pytest.raises(TypeError):
        view["up_2"] = "queued"  # type: ignore[index]


def test_queue_and_unqueue_are_one_change_each(states, changes):
    states.start("up_1", "completing")
    changes.clear()
    states.queue(["up_1", "up_2", "up_3"])
    assert dict(states.in_flight) == {"up_1": "completing", "up_2": "queued", "up_3": "queued"}
    states.start("up_2", "refreshing")
    states.unqueue(["up_1", "up_2", "up_3"])
    assert dict(states.in_flight) == {"up_1": "completing", "up_2": "refreshing"}
    assert changes == [None, "up_2", None]


def test_a_poll_countdown_ends_with_the_poll(states):
    states.start("up_1", "polling")
    states.set_next_poll("up_1", 123.0)
    assert states.polling() and states.next_poll("up_1") == 123.0
    states.finish("up_1")
    assert not states.polling() and states.next_poll("up_1") is None


def test_outcomes_failures_and_follow(states, changes):
    assert states.outcome("up_1") == "" and states.failure("up_1") is None
    states.fail("up_1", "Not found", "No upload up_1.")
    states.set_outcome("up_2", "Refreshed: pending.")
    assert states.failures() == {"up_1": Failure("Not found", "No upload up_1.")}
    states.clear_failure("up_1")
    states.clear_failure("up_1")  # nothing to clear: no change
    assert states.failures() == {} and states.outcome("up_2") == "Refreshed: pending."
    assert changes == ["up_1", "up_2", "up_1"]
    found = object()
    states.set_follow("up_1", found)  # type: ignore[arg-type]
    assert states.follow("up_1") is found
    states.forget_follow("up_1")
    assert states.follow("up_1") is None and changes == ["up_1", "up_2", "up_1"]


def test_app_lines_and_unexpected_errors(states, changes):
    states.bulk_progress = "Refreshing: 1/2"
    states.bulk_progress = "Refreshing: 1/2"  # the same: no change
    states.record_unexpected("Unexpected error", "RuntimeError: boom", "Traceback ...")
    assert states.app_line == "Unexpected error: RuntimeError: boom"
    assert states.unexpected is not None and states.unexpected.details == "Traceback ..."
    assert changes == [None, None]


def test_files_being_uploaded_show_once_they_have_progress(states, changes):
    states.start_transfer("a.png")
    states.start_transfer("b.png")
    assert changes == [] and states.transfers() == ["a.png", "b.png"]
    states.transfer_progress("a.png", "progress of a")  # type: ignore[arg-type]
    states.end_transfer("a.png")
    assert changes == [("files", {"a.png": "progress of a"}), ("files", {})]
    assert states.transfers() == ["b.png"]
