"""A search must answer exactly what a substring search of ID, file name, note or status
answers, through adds, notes, snapshots, removals, restores and changes made by another
connection, on every backend (``any_store``): the SQLite store reads a per-connection copy of the
searched columns (temp.upload_search), the PostgreSQL one an indexed ILIKE."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenario_tui.store.listing import Listing, ListQuery
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.search import SORT_KEYS
from scenario_tui.store.sqlite import Store
from tests.unit.store.backends import Backend

SEARCHES = ["", "up_", "7", "UP_S", "png", "ticket", "imported", "failed", "50%", "a_b", "x\\y",
            "render_0000", "zz", "\x1f", "note\x1fimported"]


def expected(store: StoreProtocol, search: str, status: str | None = None) -> list[str]:
    """Newest first, by the definition: a case-insensitive (ASCII) substring of one column."""
    needle = search.lower()
    rows = store.list(sort="added", descending=True)  # no search: no temp table involved
    return [r.id for r in rows
            if (status is None or r.status == status) and (not search or any(
                needle in (value or "").lower()
                for value in (r.id, r.file_name, r.note, r.status)))]


def check(store: StoreProtocol) -> None:
    for search in SEARCHES:
        want = expected(store, search)
        assert store.ids(search=search) == want, search
        assert store.count(search=search) == len(want), search
        listing = Listing(store, ListQuery(search=search))
        assert listing.count() == len(want)
        assert [listing.row(i).id for i in range(len(want))] == want, search
        assert listing.row(len(want)) is None
        assert store.ids(search=search, status="imported") == expected(store, search, "imported")


def seed(store: StoreProtocol) -> StoreProtocol:
    store.add([f"up_s{i:03d}_a_b" if i % 9 == 0 else f"up_s{i:03d}" for i in range(250)],
              note="")
    for i in range(0, 250, 4):
        store.record_snapshot(f"up_s{i:03d}" if i % 9 else f"up_s{i:03d}_a_b", {
            "id": "x", "status": "imported" if i % 8 else "failed",
            "fileName": f"render_{i:04d}.PNG" if i % 3 else f"50% x\\y {i}.png"})
    return store


@pytest.fixture
def store(any_store: StoreProtocol) -> StoreProtocol:
    return seed(any_store)


@pytest.fixture
def sqlite_store(tmp_path: Path):
    """The same on a SQLite file (to watch the statements it runs)."""
    with Store.open(tmp_path / "store.db") as opened:
        yield seed(opened)


def test_search_matches_the_column_by_column_definition(store: StoreProtocol) -> None:
    check(store)
    store.set_note("up_s001", "Ticket 7: waiting")
    store.record_snapshot("up_s002", {"id": "up_s002", "status": "validating", "fileName": "zz"})
    check(store)
    removed = store.remove(["up_s001", "up_s002", "up_s005"])
    check(store)
    store.add(["up_s002"], note="added again, then replaced by restore")
    check(store)
    store.restore(removed)  # INSERT OR REPLACE: the re-added row goes, the old one comes back
    check(store)
    assert len(store.ids(search="up_s002")) == 1


def test_changes_by_another_connection_are_seen(store: StoreProtocol, backend: Backend) -> None:
    check(store)
    other = backend.open()
    try:
        other.add(["up_other_1"], note="from the CLI")
        other.set_note("up_s010", "renamed by another process")
        other.remove(["up_s011"])
    finally:
        other.close()
    check(store)
    assert store.ids(search="another process") == ["up_s010"]


def test_sorted_and_paged_searches(store: StoreProtocol) -> None:
    for sort in SORT_KEYS:
        for descending in (True, False):
            query = ListQuery(search="up_s1", sort=sort, descending=descending)
            listing = Listing(store, query)
            want = store.ids(search="up_s1", sort=sort, descending=descending)
            assert listing.count() == len(want) == 100
            assert [listing.row(i).id for i in range(len(want))] == want
            assert store.search_seqs(search="up_s1", sort=sort, descending=descending) == [
                store.get(i).seq for i in want]


def test_read_only_store_searches_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with Store.open(path) as opened:
        opened.add(["up_a1", "up_b2"], note="hello")
    before = path.read_bytes()
    with Store.open(path, read_only=True) as ro:
        assert ro.ids(search="b2") == ["up_b2"]
        assert Listing(ro, ListQuery(search="hello")).count() == 2
    assert path.read_bytes() == before


def test_typing_narrows_the_last_matches_exactly(store: StoreProtocol) -> None:
    """Each keystroke's answer equals a fresh search, also when rows change between keys."""
    typed = ""
    for i, char in enumerate("RENDER_00"):
        typed += char
        for status in (None, "imported"):
            want = expected(store, typed, status)
            assert store.search_seqs(search=typed, status=status) == [
                store.get(u).seq for u in want], typed
            assert Listing(store, ListQuery(search=typed, status=status)).count() == len(want)
        if i == 4:
            store.set_note("up_s003", "render_0099 copy")  # matches the next keys too
    for sort in ("status", "size"):
        for typed in ("u", "up", "up_s0", "up_s01"):
            want = store.ids(search=typed, sort=sort, descending=False)
            assert [store.get(u).seq for u in want] == store.search_seqs(
                search=typed, sort=sort, descending=False)


def test_long_match_lists_are_read_in_part_then_whole(store: StoreProtocol, monkeypatch) -> None:
    """A search matching more than SEQ_PREFIX rows: counted apart, listed in full on scroll."""
    monkeypatch.setattr(Listing, "SEQ_PREFIX", 100)
    for search in ("up_s", "up_s0", "imported"):
        want = expected(store, search)
        listing = Listing(store, ListQuery(search=search))
        assert listing.count() == len(want)
        assert [listing.row(i).id for i in range(len(want))] == want
        assert store.search_seqs(search=search, limit=7) == [store.get(u).seq for u in want[:7]]


def test_backspace_and_retyping_are_answered_from_recent_searches(sqlite_store: Store) -> None:
    """Typing on, backspacing and typing again give what a fresh search gives, and a search seen
    a moment ago is not scanned again, unless a row changed meanwhile (SQLite: the statements
    it runs are watched)."""
    store = sqlite_store
    for typed in ["r", "re", "ren", "rend", "render", "render_0", "render_00", "render_0",
                  "render", "render_00", "ren"]:
        want = [store.get(u).seq for u in expected(store, typed)]
        assert store.search_seqs(search=typed) == want, typed
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    try:
        answers = {t: store.search_seqs(search=t) for t in ("render_00", "render_0", "render")}
        assert not [s for s in statements if "upload_search" in s]  # no scan, no narrowing
        store.set_note("up_s001", "render_0077 again")  # a change: kept answers are stale now
        statements.clear()
        for typed, before in answers.items():
            want = [store.get(u).seq for u in expected(store, typed)]
            assert store.search_seqs(search=typed) == want != before, typed
        assert [s for s in statements if "upload_search" in s]
    finally:
        store._conn.set_trace_callback(None)


def test_a_deferred_count_shows_the_first_matches_then_counts_all(store: StoreProtocol,
                                                                   monkeypatch) -> None:
    """The filter's first answer reads only the first SEQ_PREFIX matches; finish_count (run in
    a worker once typing pauses) makes the count exact; a re-read after a change counts
    exactly at once."""
    monkeypatch.setattr(Listing, "SEQ_PREFIX", 40)
    monkeypatch.setattr(Listing, "PAGE_SIZE", 10)  # as in the app: a page is within the prefix
    want = expected(store, "up_s")
    assert len(want) > 40
    listing = Listing(store, ListQuery(search="up_s"), defer_count=True).prime()
    assert not listing.count_known and listing.count() == 40
    assert [listing.row(i).id for i in range(40)] == want[:40]
    assert listing.finish_count() == len(want)
    assert listing.count_known and listing.count() == len(want)
    assert [listing.row(i).id for i in range(len(want))] == want
    few = Listing(store, ListQuery(search="render_0004"), defer_count=True).prime()
    assert few.count_known and few.count() == len(expected(store, "render_0004"))
    again = Listing(store, ListQuery(search="up_s"), defer_count=True).prime()
    store.remove([want[0]])
    again.invalidate()
    assert again.count_known and again.count() == len(want) - 1
