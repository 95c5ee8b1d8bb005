"""The store's verbs for the uploads it knows, on every backend (``any_store``: SQLite, and
PostgreSQL where a server can run): add, remove and restore, list, search, sort and paging,
snapshots, not-found marks and notes. Every value handed out is compared exactly, on both.
What only a SQLite file does (modes, damage, locks, migrations of a file) is in test_store.py."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from scenario_tui.core.errors import StoreError
from scenario_tui.core.models import Upload
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.rows import KnownUpload
from tests.unit.store.backends import Backend, TickingClock

SECRET = "X-Amz-Signature=c0ffeec0ffee5ecret"


def snapshot(upload_id: str, status: str = "pending", **extra: object) -> dict:
    return {"id": upload_id, "status": status, "fileName": f"{upload_id}.png", "kind": "image",
            "source": "multipart", **extra}


# --- add, remove, restore ---------------------------------------------------------------------


def test_add_is_idempotent_and_keeps_note_and_snapshot(any_store: StoreProtocol) -> None:
    first = any_store.add(["up_a", "up_b", "up_a"], note="first note")
    assert (first.added, first.existing) == (["up_a", "up_b"], [])
    assert any_store.record_snapshot("up_a", snapshot("up_a", "imported"))
    before = any_store.get("up_a")

    again = any_store.add(["up_c", "up_a"], note="other note")
    assert (again.added, again.existing) == (["up_c"], ["up_a"])
    assert any_store.get("up_a") == before
    assert before.note == "first note" and before.status == "imported"
    assert any_store.get("up_c").note == "other note"
    assert before.added_at == "2026-01-02T03:04:06.000Z"
    assert any_store.contains("up_b") and not any_store.contains("up_z")
    assert any_store.get("up_z") is None


def test_which_of_many_ids_are_known_is_one_read(any_store: StoreProtocol) -> None:
    """``known_of``: those of the IDs asked the store has (asked twice or not at all: once,
    or not), also past one statement's worth of IDs."""
    any_store.add(["up_a", "up_b", "up_c"])
    asked = ["up_b", "up_z", "up_b", "up_a"] + [f"up_{n}" for n in range(1200)]
    assert any_store.known_of(asked) == {"up_a", "up_b"}
    assert any_store.known_of([]) == set()
    any_store.remove(["up_b"])
    assert any_store.known_of(["up_b", "up_c"]) == {"up_c"}


def test_remove_then_restore_round_trips_exactly(any_store: StoreProtocol) -> None:
    any_store.add(["up_1", "up_2", "up_3"], note="n")
    any_store.record_snapshot("up_2", snapshot("up_2", "failed", errorMessage="bad file"))
    any_store.set_note("up_3", "third")
    originals = {row.id: row for row in any_store.list()}

    removed = any_store.remove(["up_3", "up_2", "up_missing"])
    assert [row.id for row in removed] == ["up_2", "up_3"]
    assert removed == [originals["up_2"], originals["up_3"]]
    assert any_store.ids() == ["up_1"]

    any_store.add(["up_4"])  # must not take the removed rows' seq
    assert any_store.get("up_4").seq > originals["up_3"].seq
    assert any_store.restore(removed) == 2
    assert {row.id: row for row in any_store.list() if row.id != "up_4"} == originals
    assert any_store.ids() == ["up_4", "up_3", "up_2", "up_1"]


def test_restore_replaces_an_id_added_again_meanwhile(any_store: StoreProtocol) -> None:
    any_store.add(["up_1"], note="original")
    removed = any_store.remove(["up_1"])
    any_store.add(["up_1"], note="re-added")
    any_store.restore(removed)
    assert any_store.get("up_1") == removed[0]
    assert any_store.count() == 1


def test_restored_seq_is_never_handed_out_again(any_store: StoreProtocol) -> None:
    any_store.add(["up_1"])
    row = any_store.get("up_1")
    any_store.restore([dataclasses.replace(row, id="up_far", seq=1000)])
    any_store.add(["up_2"])
    assert any_store.get("up_2").seq == 1001
    assert any_store.ids() == ["up_2", "up_far", "up_1"]


# --- list, search, sort, paging ---------------------------------------------------------------


def test_list_search_is_case_insensitive_over_id_name_note_status(any_store: StoreProtocol) -> None:
    any_store.add(["up_alpha", "up_beta", "up_gamma", "up_delta"])
    any_store.record_snapshot("up_beta", snapshot("up_beta", fileName="Holiday.PNG"))
    any_store.record_snapshot("up_gamma", snapshot("up_gamma", "validating"))
    any_store.set_note("up_delta", "For the HOLIDAY campaign")
    assert any_store.ids(search="ALPHA") == ["up_alpha"]
    assert any_store.ids(search="holiday") == ["up_delta", "up_beta"]
    assert any_store.ids(search="VALIDAT") == ["up_gamma"]
    assert any_store.count(search="holiday") == 2
    assert any_store.ids(search="nothing-matches") == []


def test_search_escapes_like_wildcards(any_store: StoreProtocol) -> None:
    any_store.add(["a_b", "axb", "percent", "plain", "back"])
    any_store.set_note("percent", "100% done")
    any_store.set_note("plain", "1000 done")
    any_store.set_note("back", "C:\\path")
    assert any_store.ids(search="a_b") == ["a_b"]
    assert any_store.ids(search="100%") == ["percent"]
    assert any_store.ids(search="%") == ["percent"]
    assert any_store.ids(search="_") == ["a_b"]
    assert any_store.ids(search="\\p") == ["back"]


def test_status_filter_sorting_and_seq_tie_break(any_store: StoreProtocol) -> None:
    any_store.add(["u1", "u2", "u3", "u4", "u5"])
    any_store.record_snapshot("u1", snapshot("u1", "pending", fileName="b.png", fileSize=30,
                                         updatedAt="2026-01-03T00:00:00.000Z"))
    any_store.record_snapshot("u2", snapshot("u2", "imported", fileName="a.png", fileSize=10,
                                         updatedAt="2026-01-01T00:00:00.000Z"))
    any_store.record_snapshot("u3", snapshot("u3", "pending", fileName="c.png", fileSize=20,
                                         updatedAt="2026-01-02T00:00:00.000Z"))
    any_store.record_snapshot("u4", snapshot("u4", "pending", fileName="a.png", fileSize=10,
                                         updatedAt="2026-01-01T00:00:00.000Z"))
    assert any_store.ids() == ["u5", "u4", "u3", "u2", "u1"]
    assert any_store.ids(descending=False) == ["u1", "u2", "u3", "u4", "u5"]
    assert any_store.ids(status="pending") == ["u4", "u3", "u1"]
    assert any_store.count(status="pending") == 3
    assert any_store.ids(sort="status", descending=False) == ["u5", "u2", "u1", "u3", "u4"]
    assert any_store.ids(sort="status") == ["u4", "u3", "u1", "u2", "u5"]
    assert any_store.ids(sort="file_name", descending=False) == ["u5", "u2", "u4", "u1", "u3"]
    assert any_store.ids(sort="size", descending=False) == ["u5", "u2", "u4", "u3", "u1"]
    assert any_store.ids(sort="updated") == ["u1", "u3", "u4", "u2", "u5"]
    assert any_store.ids(sort="id", descending=False) == ["u1", "u2", "u3", "u4", "u5"]
    assert any_store.ids(status="pending", search="a.png") == ["u4"]
    with pytest.raises(ValueError, match="sort must be one of"):
        any_store.ids(sort="bogus")


def test_paging_with_limit_and_offset(any_store: StoreProtocol) -> None:
    any_store.add([f"up_{i:03d}" for i in range(120)])
    page = any_store.list(limit=50, offset=50)
    assert [row.id for row in page] == [f"up_{i:03d}" for i in range(69, 19, -1)]
    assert any_store.ids(limit=50, offset=100) == [f"up_{i:03d}" for i in range(19, -1, -1)]
    assert any_store.ids(offset=200) == []
    assert any_store.count() == 120


def test_hundred_thousand_rows_add_and_page(any_store: StoreProtocol) -> None:
    """Sanity of bulk add and paging at scale (correctness only; timing is a benchmark)."""
    ids = [f"up_{i:06d}" for i in range(100_000)]
    assert len(any_store.add(ids).added) == 100_000
    assert any_store.count() == 100_000
    assert any_store.ids(limit=50, offset=99_950) == [f"up_{i:06d}" for i in range(49, -1, -1)]
    assert [r.id for r in any_store.list(sort="id", descending=False, limit=3, offset=50_000)] == [
        "up_050000", "up_050001", "up_050002"]
    assert any_store.count(search="99999") == 1
    assert any_store.add(ids[:10]).existing == ids[:10]


def test_ids_to_refresh_skips_final_newest_first_and_caps(any_store: StoreProtocol) -> None:
    any_store.add(["u1", "u2", "u3", "u4", "u5", "u6"])
    any_store.record_snapshot("u2", snapshot("u2", "imported"))
    any_store.record_snapshot("u3", snapshot("u3", "failed"))
    any_store.record_snapshot("u4", snapshot("u4", "validating"))
    any_store.record_snapshot("u5", snapshot("u5", "some-new-status"))
    assert any_store.ids_to_refresh(10) == ["u6", "u5", "u4", "u1"]
    assert any_store.ids_to_refresh(2) == ["u6", "u5"]
    assert any_store.ids_to_refresh(0) == []


# --- snapshots, not found, notes --------------------------------------------------------------


def test_record_snapshot_denormalizes_and_strips_url_credentials(backend: Backend) -> None:
    wire = snapshot(
        "up_1", "pending", fileSize=1234.0, updatedAt="2026-01-05T00:00:00.000Z",
        errorMessage=None, url=f"https://bucket.example/file.png?{SECRET}",
        parts=[{"number": 1, "url": f"https://bucket.example/p1?partNumber=1&{SECRET}"},
               {"number": 2, "url": f"https://bucket.example/p2?{SECRET}#frag"}],
        extraField={"kept": True})
    opened = backend.open(clock=TickingClock())
    try:
        opened.add(["up_1"])
        fetched = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)
        assert opened.record_snapshot("up_1", wire, fetched_at=fetched)
        row = opened.get("up_1")
    finally:
        opened.close()
    assert (row.status, row.file_name, row.kind, row.file_size, row.updated_at,
            row.error_message) == ("pending", "up_1.png", "image", 1234,
                                   "2026-01-05T00:00:00.000Z", None)
    assert row.fetched_at == "2026-02-01T12:00:00.000Z"
    assert row.snapshot["parts"][0]["url"].startswith("https://bucket.example/p1?")
    assert row.snapshot["extraField"] == {"kept": True}
    assert SECRET not in repr(row) and "c0ffee" not in str(row.snapshot)
    assert "c0ffee" in wire["url"], "the caller's dict is not modified"
    assert "c0ffee" not in backend.stored_text()


def test_record_snapshot_for_unknown_id_is_ignored(any_store: StoreProtocol) -> None:
    assert any_store.record_snapshot("up_gone", snapshot("up_gone")) is False
    assert any_store.contains("up_gone") is False


def test_record_snapshots_stores_a_batch_like_record_snapshot(any_store: StoreProtocol) -> None:
    """Each snapshot of the batch is denormalized and stripped as ``record_snapshot`` does; the
    result says, in order, which IDs were still in the store; the caller's dicts are
    untouched."""
    any_store.add(["up_a", "up_b"])
    wires = [snapshot("up_a", "imported", url=f"https://bucket.example/a?{SECRET}"),
             snapshot("up_gone"),
             snapshot("up_b", "failed", errorMessage="bad file", fileSize=7)]
    fetched = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)
    assert any_store.record_snapshots([(w["id"], w) for w in wires], fetched_at=fetched) == [
        True, False, True]
    a, b = any_store.get("up_a"), any_store.get("up_b")
    assert (a.status, a.fetched_at, a.snapshot["url"]) == (
        "imported", "2026-02-01T12:00:00.000Z", "https://bucket.example/a?[redacted]")
    assert (b.status, b.error_message, b.file_size) == ("failed", "bad file", 7)
    assert any_store.contains("up_gone") is False
    assert SECRET in wires[0]["url"], "the caller's dict is not modified"
    assert any_store.record_snapshots([]) == []


def test_record_snapshots_is_all_or_nothing(any_store: StoreProtocol, backend: Backend) -> None:
    """A failure on the third row of a batch rolls the first two back: a batch is one
    transaction, so the store never holds half of it."""
    ids = [f"up_{i}" for i in range(5)]
    any_store.add(ids)
    backend.refuse("fail_on_up_2", "UPDATE OF snapshot", "uploads", "simulated failure",
                   when="new.id = 'up_2'")
    with pytest.raises(StoreError, match="simulated failure"):
        any_store.record_snapshots([(i, snapshot(i, "imported")) for i in ids])
    assert [any_store.get(i).fetched_at for i in ids] == [None] * 5
    backend.allow("fail_on_up_2", "uploads")
    assert any_store.record_snapshots([(i, snapshot(i, "imported")) for i in ids]) == [True] * 5
    assert {any_store.get(i).status for i in ids} == {"imported"}


def test_upload_property_validates_or_returns_none(any_store: StoreProtocol) -> None:
    any_store.add(["good", "bad", "never"])
    any_store.record_snapshot("good", snapshot("good", "validated", fileSize=5))
    any_store.record_snapshot("bad", {"id": "bad", "status": {"not": "a string"}})
    good = any_store.get("good").upload
    assert isinstance(good, Upload) and good.status == "validated" and good.file_size == 5
    assert any_store.get("bad").upload is None
    assert any_store.get("bad").status is None
    assert any_store.get("never").upload is None


def test_set_note(any_store: StoreProtocol, backend: Backend) -> None:
    """The note, and who wrote it: nobody in a local store, the database user in a team one."""
    any_store.add(["up_1"])
    assert any_store.get("up_1").note_by is None
    assert any_store.set_note("up_1", "hello")
    assert any_store.get("up_1").note == "hello"
    assert any_store.get("up_1").note_by == backend.actor
    assert any_store.set_note("up_missing", "x") is False


def test_known_upload_is_a_frozen_record(any_store: StoreProtocol) -> None:
    any_store.add(["up_1"])
    row = any_store.get("up_1")
    assert isinstance(row, KnownUpload)
    with pytest.raises(AttributeError):
        row.note = "changed"  # type: ignore[misc]


def test_a_rows_snapshot_is_parsed_only_when_read(any_store: StoreProtocol) -> None:
    """A page of the list reads the snapshot's text but parses it only when asked (the list
    shows columns). (A stored text that is not a JSON object: test_store.py, on a file.)"""
    any_store.add(["up_1", "up_2"])
    any_store.record_snapshot("up_1", {"id": "up_1", "status": "pending", "fileName": "a.png"})
    rows = {row.id: row for row in any_store.list()}
    assert "_snapshot" not in rows["up_1"].__dict__
    assert rows["up_1"].status == "pending" and rows["up_1"].file_name == "a.png"
    assert rows["up_1"].snapshot["fileName"] == "a.png"
    assert rows["up_1"].snapshot is rows["up_1"].snapshot  # parsed once
    assert rows["up_2"].snapshot is None and rows["up_2"].upload is None


def test_not_found_is_recorded_kept_with_the_snapshot_and_cleared_by_an_answer(
        any_store: StoreProtocol) -> None:
    any_store.add(["up_a", "up_b"])
    any_store.record_snapshot("up_a", snapshot("up_a"))
    checked = datetime(2026, 3, 4, 10, 2, tzinfo=timezone.utc)
    assert any_store.record_not_found("up_a", checked) is True
    assert any_store.record_not_found("up_gone", checked) is False
    row = any_store.get("up_a")
    assert row.not_found_at == "2026-03-04T10:02:00.000Z" and row.status == "pending"
    assert any_store.get("up_b").not_found_at is None
    any_store.record_snapshot("up_a", snapshot("up_a", "validated"))
    assert any_store.get("up_a").not_found_at is None
    removed = any_store.remove(["up_b"])
    any_store.record_not_found("up_a", checked)
    any_store.restore(removed)
    assert [r.not_found_at for r in any_store.list(sort="id", descending=False)] == [
        "2026-03-04T10:02:00.000Z", None]

