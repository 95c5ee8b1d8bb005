"""The local SQLite store: migrations, domain verbs, credential stripping, and failure modes
(damaged, newer, locked, unwritable files; a lock held by another connection). Races between
processes and writers killed mid-transaction are in tests/reliability/test_store_stress.py."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scenario_tui.core.errors import (
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
    StoreWriteError,
)
from scenario_tui.core.models import Upload
from scenario_tui.store import schema
from scenario_tui.store.rows import KnownUpload
from scenario_tui.store.schema import MIGRATIONS
from scenario_tui.store.sqlite import Store

SECRET = "X-Amz-Signature=c0ffeec0ffee5ecret"


class Clock:
    """A deterministic clock: each call is one second after the previous one."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "store.db"


@pytest.fixture
def store(path: Path):
    clock = Clock()
    with Store.open(path, clock=clock) as opened:
        clock.now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)  # after the migrations
        yield opened


def snapshot(upload_id: str, status: str = "pending", **extra: object) -> dict:
    return {"id": upload_id, "status": status, "fileName": f"{upload_id}.png", "kind": "image",
            "source": "multipart", **extra}


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# --- opening, files and migrations ------------------------------------------------------------


def test_open_creates_owner_only_directories_and_files(tmp_path: Path) -> None:
    """Missing parents are created 0700 and the database (and its WAL files) 0600."""
    path = tmp_path / "a" / "b" / "store.db"
    with Store.open(path) as opened:
        opened.add(["up_1"])
        for directory in (tmp_path / "a", tmp_path / "a" / "b"):
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        files = [path, *(Path(f"{path}{s}") for s in ("-wal", "-shm"))]
        for file in files:
            if file.exists():
                assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        assert Path(f"{path}-wal").exists(), "journal_mode should be WAL"


def test_owner_only_modes_hold_even_under_a_strict_umask(tmp_path: Path) -> None:
    """mkdir/open modes are filtered by the umask; the store fixes them up explicitly."""
    old_umask = os.umask(0o277)
    try:
        Store.open(tmp_path / "d" / "store.db").close()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "d" / "store.db").stat().st_mode) == 0o600


def test_migrations_are_recorded_and_not_reapplied_on_reopen(path: Path) -> None:
    with Store.open(path, clock=Clock()) as first:
        assert first.schema_version == len(MIGRATIONS) == 4
    raw = sqlite3.connect(path)
    applied = raw.execute("SELECT name, applied_at FROM migrations ORDER BY name").fetchall()
    raw.close()
    assert [name for name, _ in applied] == ["0001_initial", "0002_parts", "0003_intents",
                                              "0004_not_found_and_bulk_ids"]
    assert all(at.startswith("2026-01-02T03:04:") and at.endswith("Z") for _, at in applied)

    later = Clock()
    later.now += timedelta(days=30)
    with Store.open(path, clock=later) as second:
        assert second.schema_version == 4
    raw = sqlite3.connect(path)
    again = raw.execute("SELECT name, applied_at FROM migrations ORDER BY name").fetchall()
    assert again == applied
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_older_store_is_upgraded_keeping_its_rows(path: Path, monkeypatch) -> None:
    """A file made by a version that knew one migration gets the later ones at the next open."""
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:1])
    with Store.open(path) as old:
        old.add(["up_old"], note="kept")
        assert old.schema_version == 1
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)
    with pytest.raises(StoreVersionError, match="needs 4"):
        Store.open(path, read_only=True)
    with Store.open(path) as new:
        assert new.schema_version == 4
        assert new.get("up_old").note == "kept"
        new.record_part("up_old", 1, 10)
        assert new.parts_sent("up_old") == {1: 10}


def test_newer_schema_is_refused_and_file_untouched(path: Path) -> None:
    Store.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 7")
    raw.close()
    before = fingerprint(path)
    with pytest.raises(StoreVersionError) as caught:
        Store.open(path)
    assert "newer scenario-tui (schema 7, this version knows 4)" in caught.value.message
    assert "--store" in caught.value.message
    assert fingerprint(path) == before


def test_garbage_file_is_reported_as_corrupt_and_untouched(path: Path) -> None:
    path.parent.mkdir()
    path.write_bytes(b"this is not a database\n" * 200)
    before = fingerprint(path)
    with pytest.raises(StoreCorruptError) as caught:
        Store.open(path)
    assert str(path) in caught.value.message and "Move it aside" in caught.value.message
    assert fingerprint(path) == before


def test_damaged_pages_fail_quick_check(path: Path) -> None:
    with Store.open(path) as opened:
        opened.add([f"up_{i}" for i in range(3000)], note="some note text")
    data = bytearray(path.read_bytes())
    for offset in range(3 * 4096, len(data), 2 * 4096):
        data[offset + 100:offset + 400] = b"\xff" * 300
    path.write_bytes(bytes(data))
    before = fingerprint(path)
    with pytest.raises(StoreCorruptError, match="Move it aside"):
        Store.open(path)
    assert fingerprint(path) == before


def test_foreign_sqlite_database_is_refused(path: Path) -> None:
    path.parent.mkdir()
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE something_else (x)")
    raw.commit()
    raw.close()
    before = fingerprint(path)
    with pytest.raises(StoreCorruptError, match="not a scenario-tui store"):
        Store.open(path)
    assert fingerprint(path) == before


def test_unusable_location_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="Not a directory"):
        Store.open(tmp_path / "file" / "store.db")


def test_read_only_store_reads_but_refuses_writes(path: Path) -> None:
    with Store.open(path) as opened:
        opened.add(["up_1"])
    with Store.open(path, read_only=True) as ro:
        assert ro.ids() == ["up_1"]
        with pytest.raises(StoreWriteError, match="read-only"):
            ro.add(["up_2"])
        with pytest.raises(StoreWriteError):
            ro.log_event(action="add", outcome="ok")
    with pytest.raises(StoreError, match="no local store"):
        Store.open(path.with_name("missing.db"), read_only=True)


def test_closed_store_raises_store_error(path: Path) -> None:
    opened = Store.open(path)
    opened.close()
    opened.close()
    with pytest.raises(StoreError, match="closed"):
        opened.get("up_1")


# --- uploads ----------------------------------------------------------------------------------


def test_add_is_idempotent_and_keeps_note_and_snapshot(store: Store) -> None:
    first = store.add(["up_a", "up_b", "up_a"], note="first note")
    assert (first.added, first.existing) == (["up_a", "up_b"], [])
    assert store.record_snapshot("up_a", snapshot("up_a", "imported"))
    before = store.get("up_a")

    again = store.add(["up_c", "up_a"], note="other note")
    assert (again.added, again.existing) == (["up_c"], ["up_a"])
    assert store.get("up_a") == before
    assert before.note == "first note" and before.status == "imported"
    assert store.get("up_c").note == "other note"
    assert before.added_at == "2026-01-02T03:04:06.000Z"
    assert store.contains("up_b") and not store.contains("up_z")
    assert store.get("up_z") is None


def test_remove_then_restore_round_trips_exactly(store: Store) -> None:
    store.add(["up_1", "up_2", "up_3"], note="n")
    store.record_snapshot("up_2", snapshot("up_2", "failed", errorMessage="bad file"))
    store.set_note("up_3", "third")
    originals = {row.id: row for row in store.list()}

    removed = store.remove(["up_3", "up_2", "up_missing"])
    assert [row.id for row in removed] == ["up_2", "up_3"]
    assert removed == [originals["up_2"], originals["up_3"]]
    assert store.ids() == ["up_1"]

    store.add(["up_4"])  # must not take the removed rows' seq
    assert store.get("up_4").seq > originals["up_3"].seq
    assert store.restore(removed) == 2
    assert {row.id: row for row in store.list() if row.id != "up_4"} == originals
    assert store.ids() == ["up_4", "up_3", "up_2", "up_1"]


def test_restore_replaces_an_id_added_again_meanwhile(store: Store) -> None:
    store.add(["up_1"], note="original")
    removed = store.remove(["up_1"])
    store.add(["up_1"], note="re-added")
    store.restore(removed)
    assert store.get("up_1") == removed[0]
    assert store.count() == 1


def test_restored_seq_is_never_handed_out_again(store: Store) -> None:
    store.add(["up_1"])
    row = store.get("up_1")
    store.restore([dataclasses.replace(row, id="up_far", seq=1000)])
    store.add(["up_2"])
    assert store.get("up_2").seq == 1001
    assert store.ids() == ["up_2", "up_far", "up_1"]


def test_list_search_is_case_insensitive_over_id_name_note_status(store: Store) -> None:
    store.add(["up_alpha", "up_beta", "up_gamma", "up_delta"])
    store.record_snapshot("up_beta", snapshot("up_beta", fileName="Holiday.PNG"))
    store.record_snapshot("up_gamma", snapshot("up_gamma", "validating"))
    store.set_note("up_delta", "For the HOLIDAY campaign")
    assert store.ids(search="ALPHA") == ["up_alpha"]
    assert store.ids(search="holiday") == ["up_delta", "up_beta"]
    assert store.ids(search="VALIDAT") == ["up_gamma"]
    assert store.count(search="holiday") == 2
    assert store.ids(search="nothing-matches") == []


def test_search_escapes_like_wildcards(store: Store) -> None:
    store.add(["a_b", "axb", "percent", "plain", "back"])
    store.set_note("percent", "100% done")
    store.set_note("plain", "1000 done")
    store.set_note("back", "C:\\path")
    assert store.ids(search="a_b") == ["a_b"]
    assert store.ids(search="100%") == ["percent"]
    assert store.ids(search="%") == ["percent"]
    assert store.ids(search="_") == ["a_b"]
    assert store.ids(search="\\p") == ["back"]


def test_status_filter_sorting_and_seq_tie_break(store: Store) -> None:
    store.add(["u1", "u2", "u3", "u4", "u5"])
    store.record_snapshot("u1", snapshot("u1", "pending", fileName="b.png", fileSize=30,
                                         updatedAt="2026-01-03T00:00:00.000Z"))
    store.record_snapshot("u2", snapshot("u2", "imported", fileName="a.png", fileSize=10,
                                         updatedAt="2026-01-01T00:00:00.000Z"))
    store.record_snapshot("u3", snapshot("u3", "pending", fileName="c.png", fileSize=20,
                                         updatedAt="2026-01-02T00:00:00.000Z"))
    store.record_snapshot("u4", snapshot("u4", "pending", fileName="a.png", fileSize=10,
                                         updatedAt="2026-01-01T00:00:00.000Z"))
    assert store.ids() == ["u5", "u4", "u3", "u2", "u1"]
    assert store.ids(descending=False) == ["u1", "u2", "u3", "u4", "u5"]
    assert store.ids(status="pending") == ["u4", "u3", "u1"]
    assert store.count(status="pending") == 3
    assert store.ids(sort="status", descending=False) == ["u5", "u2", "u1", "u3", "u4"]
    assert store.ids(sort="status") == ["u4", "u3", "u1", "u2", "u5"]
    assert store.ids(sort="file_name", descending=False) == ["u5", "u2", "u4", "u1", "u3"]
    assert store.ids(sort="size", descending=False) == ["u5", "u2", "u4", "u3", "u1"]
    assert store.ids(sort="updated") == ["u1", "u3", "u4", "u2", "u5"]
    assert store.ids(sort="id", descending=False) == ["u1", "u2", "u3", "u4", "u5"]
    assert store.ids(status="pending", search="a.png") == ["u4"]
    with pytest.raises(ValueError, match="sort must be one of"):
        store.ids(sort="bogus")


def test_paging_with_limit_and_offset(store: Store) -> None:
    store.add([f"up_{i:03d}" for i in range(120)])
    page = store.list(limit=50, offset=50)
    assert [row.id for row in page] == [f"up_{i:03d}" for i in range(69, 19, -1)]
    assert store.ids(limit=50, offset=100) == [f"up_{i:03d}" for i in range(19, -1, -1)]
    assert store.ids(offset=200) == []
    assert store.count() == 120


def test_hundred_thousand_rows_add_and_page(store: Store) -> None:
    """Sanity of bulk add and paging at scale (correctness only; timing is a benchmark)."""
    ids = [f"up_{i:06d}" for i in range(100_000)]
    assert len(store.add(ids).added) == 100_000
    assert store.count() == 100_000
    assert store.ids(limit=50, offset=99_950) == [f"up_{i:06d}" for i in range(49, -1, -1)]
    assert [r.id for r in store.list(sort="id", descending=False, limit=3, offset=50_000)] == [
        "up_050000", "up_050001", "up_050002"]
    assert store.count(search="99999") == 1
    assert store.add(ids[:10]).existing == ids[:10]


def test_ids_to_refresh_skips_final_newest_first_and_caps(store: Store) -> None:
    store.add(["u1", "u2", "u3", "u4", "u5", "u6"])
    store.record_snapshot("u2", snapshot("u2", "imported"))
    store.record_snapshot("u3", snapshot("u3", "failed"))
    store.record_snapshot("u4", snapshot("u4", "validating"))
    store.record_snapshot("u5", snapshot("u5", "some-new-status"))
    assert store.ids_to_refresh(10) == ["u6", "u5", "u4", "u1"]
    assert store.ids_to_refresh(2) == ["u6", "u5"]
    assert store.ids_to_refresh(0) == []


def test_record_snapshot_denormalizes_and_strips_url_credentials(path: Path) -> None:
    wire = snapshot(
        "up_1", "pending", fileSize=1234.0, updatedAt="2026-01-05T00:00:00.000Z",
        errorMessage=None, url=f"https://bucket.example/file.png?{SECRET}",
        parts=[{"number": 1, "url": f"https://bucket.example/p1?partNumber=1&{SECRET}"},
               {"number": 2, "url": f"https://bucket.example/p2?{SECRET}#frag"}],
        extraField={"kept": True})
    with Store.open(path, clock=Clock()) as opened:
        opened.add(["up_1"])
        fetched = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)
        assert opened.record_snapshot("up_1", wire, fetched_at=fetched)
        row = opened.get("up_1")
    assert (row.status, row.file_name, row.kind, row.file_size, row.updated_at,
            row.error_message) == ("pending", "up_1.png", "image", 1234,
                                   "2026-01-05T00:00:00.000Z", None)
    assert row.fetched_at == "2026-02-01T12:00:00.000Z"
    assert row.snapshot["parts"][0]["url"].startswith("https://bucket.example/p1?")
    assert row.snapshot["extraField"] == {"kept": True}
    assert SECRET not in repr(row) and "c0ffee" not in str(row.snapshot)
    assert "c0ffee" in wire["url"], "the caller's dict is not modified"
    for file in path.parent.iterdir():
        assert b"c0ffee" not in file.read_bytes(), file


def test_record_snapshot_for_unknown_id_is_ignored(store: Store) -> None:
    assert store.record_snapshot("up_gone", snapshot("up_gone")) is False
    assert store.contains("up_gone") is False


def test_record_snapshots_stores_a_batch_like_record_snapshot(store: Store) -> None:
    """Each snapshot of the batch is denormalized and stripped as ``record_snapshot`` does; the
    result says, in order, which IDs were still in the store; the caller's dicts are untouched."""
    store.add(["up_a", "up_b"])
    wires = [snapshot("up_a", "imported", url=f"https://bucket.example/a?{SECRET}"),
             snapshot("up_gone"),
             snapshot("up_b", "failed", errorMessage="bad file", fileSize=7)]
    fetched = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)
    assert store.record_snapshots([(w["id"], w) for w in wires], fetched_at=fetched) == [
        True, False, True]
    a, b = store.get("up_a"), store.get("up_b")
    assert (a.status, a.fetched_at, a.snapshot["url"]) == (
        "imported", "2026-02-01T12:00:00.000Z", "https://bucket.example/a?[redacted]")
    assert (b.status, b.error_message, b.file_size) == ("failed", "bad file", 7)
    assert store.contains("up_gone") is False
    assert SECRET in wires[0]["url"], "the caller's dict is not modified"
    assert store.record_snapshots([]) == []


def test_record_snapshots_is_all_or_nothing(store: Store, path: Path) -> None:
    """A failure on the third row of a batch rolls the first two back: a batch is one
    transaction, so the store never holds half of it."""
    ids = [f"up_{i}" for i in range(5)]
    store.add(ids)
    raw = sqlite3.connect(path)
    raw.execute("CREATE TRIGGER fail_on_up_2 BEFORE UPDATE OF snapshot ON uploads"
                " WHEN new.id = 'up_2' BEGIN SELECT RAISE(ABORT, 'simulated failure'); END")
    raw.commit()
    with pytest.raises(StoreError, match="simulated failure"):
        store.record_snapshots([(i, snapshot(i, "imported")) for i in ids])
    assert [store.get(i).fetched_at for i in ids] == [None] * 5
    raw.execute("DROP TRIGGER fail_on_up_2")
    raw.commit()
    raw.close()
    assert store.record_snapshots([(i, snapshot(i, "imported")) for i in ids]) == [True] * 5
    assert {store.get(i).status for i in ids} == {"imported"}


def test_upload_property_validates_or_returns_none(store: Store) -> None:
    store.add(["good", "bad", "never"])
    store.record_snapshot("good", snapshot("good", "validated", fileSize=5))
    store.record_snapshot("bad", {"id": "bad", "status": {"not": "a string"}})
    good = store.get("good").upload
    assert isinstance(good, Upload) and good.status == "validated" and good.file_size == 5
    assert store.get("bad").upload is None
    assert store.get("bad").status is None
    assert store.get("never").upload is None


def test_set_note(store: Store) -> None:
    store.add(["up_1"])
    assert store.set_note("up_1", "hello")
    assert store.get("up_1").note == "hello"
    assert store.set_note("up_missing", "x") is False


# --- activity and parts -----------------------------------------------------------------------


def test_activity_log_newest_first_and_per_upload(store: Store) -> None:
    first = store.log_event(action="add", outcome="ok", message="3 IDs")
    store.log_event(action="complete", outcome="error", upload_id="up_1", profile="work",
                    http_status=409, message="already validating")
    store.log_event(action="refresh", outcome="ok", upload_id="up_2")
    assert first.id > 0 and first.at == "2026-01-02T03:04:06.000Z"
    assert [e.action for e in store.events()] == ["refresh", "complete", "add"]
    assert [e.action for e in store.events(limit=1)] == ["refresh"]
    (event,) = store.events(upload_id="up_1")
    assert (event.profile, event.http_status, event.outcome) == ("work", 409, "error")
    assert not hasattr(store, "delete_event") and not hasattr(store, "update_event")


def test_parts_sent(store: Store) -> None:
    store.record_part("up_1", 2, 500)
    store.record_part("up_1", 1, 1000)
    store.record_part("up_1", 2, 600)
    store.record_part("up_2", 1, 7)
    assert store.parts_sent("up_1") == {1: 1000, 2: 600}
    assert store.parts_sent("up_3") == {}


# --- threads and locks ------------------------------------------------------------------------


def test_store_can_be_used_from_a_worker_thread(store: Store) -> None:
    """Textual thread workers read pages from the store opened on the main thread."""
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(store.add(["up_t"]).added))
    worker.start()
    worker.join()
    assert results == [["up_t"]]
    assert store.ids() == ["up_t"]


def test_locked_database_raises_store_locked(path: Path) -> None:
    opened = Store.open(path, busy_timeout_ms=100)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreLockedError, match="locked by another process"):
        opened.add(["up_1"])
    other.execute("ROLLBACK")
    assert opened.add(["up_1"]).added == ["up_1"]
    opened.close()
    other.close()


def test_locked_database_at_open_raises_store_locked(path: Path) -> None:
    Store.open(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode = DELETE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError):
            Store.open(path, busy_timeout_ms=100)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_known_upload_is_a_frozen_record(store: Store) -> None:
    store.add(["up_1"])
    row = store.get("up_1")
    assert isinstance(row, KnownUpload)
    with pytest.raises(AttributeError):
        row.note = "changed"  # type: ignore[misc]


def test_a_rows_snapshot_is_parsed_only_when_read(store: Store, path: Path) -> None:
    """A page of the list reads the snapshot's text but parses it only when asked (the list
    shows columns); a snapshot that is not a JSON object reads as None, never raises."""
    store.add(["up_1", "up_2"])
    store.record_snapshot("up_1", {"id": "up_1", "status": "pending", "fileName": "a.png"})
    rows = {row.id: row for row in store.list()}
    assert "_snapshot" not in rows["up_1"].__dict__
    assert rows["up_1"].status == "pending" and rows["up_1"].file_name == "a.png"
    assert rows["up_1"].snapshot["fileName"] == "a.png"
    assert rows["up_1"].snapshot is rows["up_1"].snapshot  # parsed once
    assert rows["up_2"].snapshot is None and rows["up_2"].upload is None
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE uploads SET snapshot = ? WHERE id = 'up_2'", ("[1, 2",))
        raw.execute("UPDATE uploads SET snapshot = ? WHERE id = 'up_1'", ('["a list"]',))
    assert store.get("up_2").snapshot is None and store.get("up_2").upload is None
    assert store.get("up_1").snapshot is None


def test_not_found_is_recorded_kept_with_the_snapshot_and_cleared_by_an_answer(
        store: Store) -> None:
    store.add(["up_a", "up_b"])
    store.record_snapshot("up_a", snapshot("up_a"))
    checked = datetime(2026, 3, 4, 10, 2, tzinfo=timezone.utc)
    assert store.record_not_found("up_a", checked) is True
    assert store.record_not_found("up_gone", checked) is False
    row = store.get("up_a")
    assert row.not_found_at == "2026-03-04T10:02:00.000Z" and row.status == "pending"
    assert store.get("up_b").not_found_at is None
    store.record_snapshot("up_a", snapshot("up_a", "validated"))
    assert store.get("up_a").not_found_at is None
    removed = store.remove(["up_b"])
    store.record_not_found("up_a", checked)
    store.restore(removed)
    assert [r.not_found_at for r in store.list(sort="id", descending=False)] == [
        "2026-03-04T10:02:00.000Z", None]


def test_bulk_entries_keep_the_ids_they_touched(store: Store) -> None:
    store.add(["up_a", "up_b", "up_a"], log=True, profile="p")
    entry = store.log_event(action="complete", outcome="ok", message="2 sent",
                            upload_ids=["up_b", "up_a"])
    assert entry.upload_ids == ("up_b", "up_a") and entry.actor is None
    newest, added = store.events(limit=2)
    assert newest == entry
    assert added.action == "add" and added.upload_ids == ("up_a", "up_b")
    single = store.log_event(action="note", outcome="ok", upload_id="up_a")
    assert store.events(limit=1) == [single] and single.upload_ids is None
