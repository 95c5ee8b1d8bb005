"""The verbs that change the list write their activity log entries in their own transaction
(``log=True``): the rows and the log agree whatever interrupts them, and nothing is logged for
a write that did not happen. On every backend (``any_store``)."""

from __future__ import annotations

import pytest

from scenario_tui.core.errors import StoreError
from scenario_tui.store.protocol import StoreProtocol
from tests.unit.store.backends import Backend


def actions(store: StoreProtocol) -> list[tuple]:
    return [(e.upload_id, e.action, e.outcome, e.profile, e.message)
            for e in reversed(store.events(limit=1000))]


@pytest.fixture
def store(any_store):
    return any_store


def fail_every_log_entry(backend: Backend) -> None:
    """From another connection: the activity log refuses every new entry from now on."""
    backend.refuse("no_log", "INSERT", "activity", "the log refuses")


def test_remove_logs_each_removed_row_with_the_removal(store):
    store.add(["up_a", "up_b", "up_c"])
    removed = store.remove(["up_c", "up_a", "up_missing"], log=True, profile="p")
    assert [r.id for r in removed] == ["up_a", "up_c"]
    assert actions(store) == [("up_a", "remove", "ok", "p", None),
                              ("up_c", "remove", "ok", "p", None)]


def test_a_removal_whose_log_entries_cannot_be_written_removes_nothing(store, backend):
    """One transaction: if the log entries fail, the rows stay."""
    store.add([f"up_{i}" for i in range(2000)])
    fail_every_log_entry(backend)
    with pytest.raises(StoreError, match="the log refuses"):
        store.remove([f"up_{i}" for i in range(2000)], log=True)
    assert store.count() == 2000 and actions(store) == []
    with pytest.raises(StoreError):
        store.set_note("up_1", "x", log=True)
    assert store.get("up_1").note == ""
    with pytest.raises(StoreError):
        store.add(["up_new"], log=True)
    assert not store.contains("up_new")


def test_restore_and_add_log_with_their_rows(store):
    store.add(["up_a", "up_b"], log=True, profile="p")
    rows = store.remove(["up_a", "up_b"])
    assert store.restore(rows, log=True, profile="p") == 2
    assert actions(store) == [(None, "add", "ok", "p", "2 added"),
                              ("up_a", "restore", "ok", "p", None),
                              ("up_b", "restore", "ok", "p", None)]


def test_a_note_on_a_removed_upload_is_neither_saved_nor_logged(store):
    store.add(["up_a"])
    assert store.set_note("up_a", "first", log=True, profile="p", message='"" -> "first"')
    store.remove(["up_a"])
    assert store.set_note("up_a", "second", log=True, profile="p", message="x") is False
    assert actions(store) == [("up_a", "note", "ok", "p", '"" -> "first"')]


def test_without_log_nothing_is_logged(store):
    store.add(["up_a"])
    store.set_note("up_a", "n")
    store.restore(store.remove(["up_a"]))
    assert actions(store) == []
