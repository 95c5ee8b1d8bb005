"""The front page of a team store kept between sessions (``store.front_page``), and the store
that answers from it while the team store connects at start-up (``store.connecting``).

The page is read from a real store of each backend; the connecting store is tried over a local
store (its rules do not depend on the backend behind it)."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import timedelta

import pytest

from scenario_tui.core import errors
from scenario_tui.store.connecting import ConnectingStore
from scenario_tui.store.front_page import (
    ROWS,
    FrontPage,
    load_page,
    page_path,
    read_page,
    save_page,
)
from scenario_tui.store.sqlite import Store
from tests.unit.store.backends import START

URL = "postgresql://ann@db.example.org/support?sslmode=require"
IDS = [f"up_front{n:018d}" for n in range(130)]


def filled(store) -> None:
    """130 uploads (more than a page), the newest with a note, an answer and a claim."""
    store.add(IDS)
    store.set_note(IDS[-1], "customer re-sent the file")
    store.record_snapshot(IDS[-1], {"id": IDS[-1], "status": "failed", "fileName": "a.png",
                                    "errorMessage": "bad file"})
    store.claim([IDS[-1]], minutes=30)


def test_a_page_read_from_a_store_comes_back_as_it_was_saved(any_store, tmp_path):
    filled(any_store)
    page = read_page(any_store)
    any_store.release([IDS[-1]])  # the page keeps what it read
    assert page.total == 130 and len(page.rows) == ROWS
    path = page_path(tmp_path, URL)
    assert save_page(path, URL, page)
    loaded = load_page(path, URL)
    assert loaded is not None
    assert loaded.total == 130 and loaded.actor == any_store.actor
    assert [r.id for r in loaded.rows] == [r.id for r in page.rows] == any_store.ids()[:ROWS]
    newest = loaded.rows[0]
    assert (newest.id, newest.status, newest.note, newest.error_message, newest.file_name) == (
        IDS[-1], "failed", "customer re-sent the file", "bad file", "a.png")
    assert newest.snapshot_json is None  # what the list shows, not the answer
    assert [(c.upload_id, c.holder) for c in loaded.claims] == [(IDS[-1], any_store.actor)]


def test_the_file_is_this_users_alone_and_holds_no_password(tmp_path):
    with_password = "postgresql://ann:s3cret-pw@db.example.org/support"
    path = page_path(tmp_path, with_password)
    assert save_page(path, with_password, FrontPage(0, [], [], "ann"))
    assert "s3cret-pw" not in path.read_text() and "s3cret-pw" not in str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert page_path(tmp_path, URL) != path  # one file per store


@pytest.mark.parametrize("damage", [
    "not json at all {",
    json.dumps(["a list"]),
    json.dumps({"format": 99, "store": URL, "count": 1, "actor": "ann", "rows": [],
                "claims": []}),
    json.dumps({"format": 1, "store": "postgresql://ann@elsewhere/other", "count": 1,
                "actor": "ann", "rows": [], "claims": []}),
    json.dumps({"format": 1, "store": URL, "count": -5, "actor": "ann", "rows": [],
                "claims": []}),
    json.dumps({"format": 1, "store": URL, "actor": "ann", "rows": [], "claims": []}),
])
def test_a_damaged_or_foreign_page_reads_as_none(tmp_path, damage):
    path = page_path(tmp_path, URL)
    path.parent.mkdir(parents=True)
    path.write_text(damage)
    assert load_page(path, URL) is None
    assert load_page(tmp_path / "missing.json", URL) is None


def test_rows_of_the_wrong_shape_are_left_out(tmp_path):
    path = page_path(tmp_path, URL)
    path.parent.mkdir(parents=True)
    good = [IDS[0], "", "2026-12-07T10:00:00Z", None, None, "pending", None, None, None, None,
            None, None, None, 1]
    path.write_text(json.dumps({"format": 1, "store": URL, "count": 3, "actor": "ann",
                                "rows": [good, good[:5], [1, 2, 3], "x"],
                                "claims": [[IDS[0], "bob", "t", "u"], [IDS[1]], "x"]}))
    page = load_page(path, URL)
    assert page is not None and [r.id for r in page.rows] == [IDS[0]] and page.total == 3
    assert [c.holder for c in page.claims] == ["bob"]


def test_a_page_that_cannot_be_written_leaves_the_old_one(tmp_path, monkeypatch):
    path = page_path(tmp_path, URL)
    assert save_page(path, URL, FrontPage(7, [], [], "ann"))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    assert not save_page(path, URL, FrontPage(9, [], [], "ann"))
    monkeypatch.undo()
    assert load_page(path, URL).total == 7
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary left
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would be")
    assert not save_page(page_path(blocked, URL), URL, FrontPage(1, [], [], "ann"))


# --- the store that answers from it while the team store connects ------------------------------


@pytest.fixture
def real(tmp_path):
    store = Store.open(tmp_path / "real.db", clock=lambda: START)
    filled(store)
    yield store
    store.close()


def connecting(real, opener=None, page=None):
    page = page or read_page(real)
    return ConnectingStore(page, opener or (lambda: real), location=URL, read_only=False,
                           clock=lambda: START)


def test_before_it_connects_it_answers_from_the_page_and_refuses_the_rest(real):
    page = read_page(real)
    real.add(["up_addedafterthepageaaaaa"])  # the store moved on since the page was kept
    store = connecting(real, page=page)
    assert not store.connected and not store.opened
    assert (store.location, store.actor, store.read_only) == (URL, real.actor, False)
    assert store.count() == 130
    assert [r.id for r in store.list(limit=50)] == [r.id for r in page.rows[:50]]
    assert [r.id for r in store.list(limit=50, offset=50)] == [r.id for r in page.rows[50:]]
    assert store.get(IDS[-1]).note == "customer re-sent the file"
    assert list(store.claims()) == [IDS[-1]] and store.claims([IDS[0]]) == {}
    store.verify()  # nothing to check before it is there
    for refused in (lambda: store.count(status="failed"), lambda: store.list(search="x"),
                    lambda: store.list(sort="id"), lambda: store.list(limit=50, offset=100),
                    lambda: store.list(), lambda: store.get(IDS[0]),
                    lambda: store.add(["up_neweraaaaaaaaaaaaaaaaaa"]),
                    lambda: store.events(), lambda: store.ids_to_refresh(10)):
        with pytest.raises(errors.TeamStoreConnectingError):
            refused()
    with pytest.raises(AttributeError):
        store.no_such_verb  # noqa: B018
    assert not real.contains("up_neweraaaaaaaaaaaaaaaaaa")


def test_claims_that_ended_since_the_page_was_kept_are_not_shown(real):
    page = read_page(real)
    store = ConnectingStore(page, lambda: real, location=URL, read_only=False,
                            clock=lambda: START + timedelta(hours=2))
    assert store.claims() == {}


def test_once_connected_every_call_goes_to_the_store(real):
    store = connecting(real)
    real.add(["up_addedafterthepageaaaaa"])
    assert store.connect() is real
    assert store.connected and store.opened
    assert store.count() == 131 and store.get(IDS[0]) is not None
    assert store.list(limit=1)[0].id == "up_addedafterthepageaaaaa"
    store.add(["up_neweraaaaaaaaaaaaaaaaaa"])
    assert real.contains("up_neweraaaaaaaaaaaaaaaaaa")


def test_a_failed_connect_can_be_tried_again(real):
    tries: list[int] = []

    def opener():
        tries.append(1)
        if len(tries) == 1:
            raise errors.TeamStoreUnreachableError("Could not connect to the team store.")
        return real

    store = connecting(real, opener)
    with pytest.raises(errors.TeamStoreUnreachableError):
        store.connect()
    assert not store.opened and store.count() == 130  # still the page
    assert store.connect() is real and len(tries) == 2


def test_closed_while_it_connects_it_closes_what_it_opened(tmp_path, real):
    gate, closed = threading.Event(), []

    class Late:
        def close(self) -> None:
            closed.append(True)

    def opener():
        gate.wait(5)
        return Late()

    store = connecting(real, opener)
    failure: list[BaseException] = []
    thread = threading.Thread(target=lambda: _catch(store.connect, failure))
    thread.start()
    store.close()
    gate.set()
    thread.join(5)
    assert closed == [True]  # the exit did not wait for the connect, which closed it
    assert isinstance(failure[0], errors.TeamStoreConnectingError)


def _catch(call, into: list) -> None:
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - handed to the test
        into.append(exc)
