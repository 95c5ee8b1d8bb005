"""What only the local SQLite store does, as a file: owner-only modes, migrations of a file,
and failure modes (damaged, newer, locked, unwritable files; a lock held by another connection).
The domain verbs, on every backend, are in test_store_verbs.py, test_store_activity.py and
test_intents.py; races between processes and writers killed mid-transaction are in
tests/reliability/test_store_stress.py."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from scenario_tui.core.errors import (
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)
from scenario_tui.store import schema
from scenario_tui.store.intents import Holder
from scenario_tui.store.schema import MIGRATIONS
from scenario_tui.store.sqlite import Store
from tests.unit.store.backends import TickingClock as Clock


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "store.db"


@pytest.fixture
def store(path: Path):
    with Store.open(path, clock=Clock()) as opened:
        yield opened


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
        assert first.schema_version == len(MIGRATIONS) == 5
    raw = sqlite3.connect(path)
    applied = raw.execute("SELECT name, applied_at FROM migrations ORDER BY name").fetchall()
    raw.close()
    assert [name for name, _ in applied] == ["0001_initial", "0002_parts", "0003_intents",
                                              "0004_not_found_and_bulk_ids", "0005_claims"]
    assert all(at.startswith("2026-01-02T03:04:") and at.endswith("Z") for _, at in applied)

    later = Clock()
    later.now += timedelta(days=30)
    with Store.open(path, clock=later) as second:
        assert second.schema_version == 5
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
    with pytest.raises(StoreVersionError, match="needs 5"):
        Store.open(path, read_only=True)
    with Store.open(path) as new:
        assert new.schema_version == 5
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
    assert "newer scenario-tui (schema 7, this version knows 5)" in caught.value.message
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


def test_a_read_only_store_is_never_created(path: Path) -> None:
    """(What a read-only store reads and refuses, on every backend: test_store_activity.py.)"""
    with pytest.raises(StoreError, match="no local store"):
        Store.open(path.with_name("missing.db"), read_only=True)


# --- locks ------------------------------------------------------------------------------------


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


def test_a_store_that_cannot_record_the_intent_raises_and_keeps_nothing(tmp_path):
    """An intent on a file locked by another process: ``StoreLockedError`` (the caller then sends
    nothing)."""
    path = tmp_path / "store.db"
    with Store.open(path, busy_timeout_ms=100) as opened:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreLockedError):
                opened.begin_intent("up_1", "complete", Holder.this_process("me"),
                                    log_message="sending")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert opened.latest_intent("up_1") is None and opened.events() == []



def test_a_rows_snapshot_is_parsed_only_when_read(store: Store, path: Path) -> None:
    """A page of the list reads the snapshot's text but parses it only when asked (the list
    shows columns); a snapshot that is not a JSON object reads as None, never raises (the text
    of a file can be anything: written by hand, or by a bug). The first part, on every backend:
    test_store_verbs.py."""
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
