"""The store's activity log and parts ledger, and the store as a whole (read-only, closed, used
from a worker thread), on every backend (``any_store``). Who acted (``actor``) is recorded by a
team store from its database session (the user it connects as), never by a local one."""

from __future__ import annotations

import threading
from contextlib import closing

import pytest

from scenario_tui.core.errors import StoreError, StoreWriteError
from scenario_tui.store.protocol import StoreProtocol
from tests.unit.store.backends import Backend

# --- activity and parts -----------------------------------------------------------------------


def test_activity_log_newest_first_and_per_upload(any_store: StoreProtocol,
                                                  backend: Backend) -> None:
    first = any_store.log_event(action="add", outcome="ok", message="3 IDs")
    any_store.log_event(action="complete", outcome="error", upload_id="up_1", profile="work",
                        http_status=409, message="already validating")
    any_store.log_event(action="refresh", outcome="ok", upload_id="up_2")
    assert first.id > 0 and first.at == "2026-01-02T03:04:06.000Z"
    assert [e.action for e in any_store.events()] == ["refresh", "complete", "add"]
    assert [e.action for e in any_store.events(limit=1)] == ["refresh"]
    (event,) = any_store.events(upload_id="up_1")
    assert (event.profile, event.http_status, event.outcome) == ("work", 409, "error")
    assert not hasattr(any_store, "delete_event") and not hasattr(any_store, "update_event")
    assert any_store.events()[-1] == first
    assert {e.actor for e in any_store.events()} == {backend.actor}


def test_parts_sent(any_store: StoreProtocol) -> None:
    any_store.record_part("up_1", 2, 500)
    any_store.record_part("up_1", 1, 1000)
    any_store.record_part("up_1", 2, 600)
    any_store.record_part("up_2", 1, 7)
    assert any_store.parts_sent("up_1") == {1: 1000, 2: 600}
    assert any_store.parts_sent("up_3") == {}


def test_bulk_entries_keep_the_ids_they_touched(any_store: StoreProtocol,
                                                backend: Backend) -> None:
    any_store.add(["up_a", "up_b", "up_a"], log=True, profile="p")
    entry = any_store.log_event(action="complete", outcome="ok", message="2 sent",
                                upload_ids=["up_b", "up_a"])
    assert entry.upload_ids == ("up_b", "up_a") and entry.actor == backend.actor
    newest, added = any_store.events(limit=2)
    assert newest == entry
    assert added.action == "add" and added.upload_ids == ("up_a", "up_b")
    single = any_store.log_event(action="note", outcome="ok", upload_id="up_a")
    assert any_store.events(limit=1) == [single] and single.upload_ids is None


# --- the store as a whole ---------------------------------------------------------------------


def test_store_can_be_used_from_a_worker_thread(any_store: StoreProtocol) -> None:
    """Textual thread workers read pages from the store opened on the main thread."""
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(any_store.add(["up_t"]).added))
    worker.start()
    worker.join()
    assert results == [["up_t"]]
    assert any_store.ids() == ["up_t"]


def test_read_only_store_reads_but_refuses_writes(backend: Backend) -> None:
    """(A read-only open of a missing file: test_store.py.)"""
    with closing(backend.open()) as opened:
        opened.add(["up_1"])
    with closing(backend.open(read_only=True)) as ro:
        assert ro.ids() == ["up_1"]
        with pytest.raises(StoreWriteError, match="read-only"):
            ro.add(["up_2"])
        with pytest.raises(StoreWriteError):
            ro.log_event(action="add", outcome="ok")
        assert ro.ids() == ["up_1"] and ro.events() == []


def test_closed_store_raises_store_error(backend: Backend) -> None:
    opened = backend.open()
    opened.close()
    opened.close()
    with pytest.raises(StoreError, match="closed"):
        opened.get("up_1")
