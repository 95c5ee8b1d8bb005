"""The local store under stress (promise 6 of RELIABILITY.md).

Two processes adding 5,000 IDs each at once; writers SIGKILLed mid-transaction and mid-batch (ten
in a row on one file, too); a file size limit reached mid-add; and, through the CLI, a damaged
file, a file from a newer version, a read-only file and a full disk: a clear error, exit code 1,
and the original file byte-for-byte untouched.
"""

from __future__ import annotations

import ctypes
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scenario_tui.core.errors import StoreCorruptError
from scenario_tui.store.sqlite import Store
from tests.kit import closed_port, run_cli

ROOT = Path(__file__).resolve().parents[2]


def child(code: str, *args: str, **popen: object) -> subprocess.Popen:
    """Run ``code`` in a fresh interpreter with the project importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            cwd=ROOT, text=True, **popen)


def integrity(path: Path) -> list:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


# --- concurrency and crashes --------------------------------------------------------------------


def test_two_processes_adding_5000_ids_each_at_once(tmp_path):
    """Both open the fresh file at the same moment (migration race), then each adds 5,000 IDs
    in 500 transactions of 10, logging each batch: every ID there once, under its own prefix,
    sequence numbers 1 to 10,000 without a gap or a repeat, 500 log entries per process, no
    error, well under 10 s, and a sound file."""
    path = tmp_path / "data" / "store.db"
    code = """
        import sys
        from scenario_tui.store.sqlite import Store
        path, prefix = sys.argv[1], sys.argv[2]
        print("ready", flush=True)
        sys.stdin.readline()
        with Store.open(path) as s:
            for batch in range(500):
                s.add([f"{prefix}-{batch}-{i}" for i in range(10)])
                s.log_event(action="add", outcome="ok", message=prefix)
        print("done", flush=True)
    """
    prefixes = ("left", "right")
    kids = [child(code, str(path), prefix, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE) for prefix in prefixes]
    for kid in kids:
        assert kid.stdout.readline() == "ready\n"
    started = time.monotonic()
    for kid in kids:
        kid.stdin.write("go\n")
        kid.stdin.flush()
    results = [kid.communicate(timeout=60) for kid in kids]
    elapsed = time.monotonic() - started
    for kid, (out, err) in zip(kids, results, strict=True):
        assert kid.returncode == 0, err
        assert out == "done\n"
    assert elapsed < 10, elapsed
    with Store.open(path) as opened:
        assert opened.count() == 10_000
        assert opened.count(search="left-") == opened.count(search="right-") == 5_000
        for prefix in prefixes:
            assert set(opened.ids(search=f"{prefix}-")) == {
                f"{prefix}-{batch}-{i}" for batch in range(500) for i in range(10)}
        events = opened.events(limit=5000)
        assert len(events) == 1000
        assert sorted(e.message for e in events) == ["left"] * 500 + ["right"] * 500
        assert sorted(row.seq for row in opened.list()) == list(range(1, 10_001))
    assert integrity(path) == [("ok",)]


def test_writer_killed_ten_times_loses_no_acknowledged_add(tmp_path):
    """Ten writers in a row on the same file, each SIGKILLed at a random moment (the first one
    while it may still be creating the schema): the file stays consistent, every add that was
    acknowledged is there with its pair (one transaction), and sequence numbers never repeat."""
    path = tmp_path / "data" / "store.db"
    code = """
        import sys
        from scenario_tui.store.sqlite import Store
        print("imported", flush=True)
        s = Store.open(sys.argv[1])
        prefix, i = sys.argv[2], 0
        print("open", flush=True)
        while True:
            s.add([f"{prefix}-{i}", f"{prefix}-{i}-pair"], note="x" * 300)
            s.log_event(action="add", outcome="ok", upload_id=f"{prefix}-{i}")
            print(f"{prefix}-{i}", flush=True)
            i += 1
    """
    rng = random.Random(7)
    acknowledged: list[str] = []
    for round_ in range(10):
        kid = child(code, str(path), f"r{round_}", stdout=subprocess.PIPE)
        assert kid.stdout.readline() == "imported\n"
        if round_ == 0:
            time.sleep(rng.uniform(0, 0.005))  # while it creates the file and the schema
        else:
            assert kid.stdout.readline() == "open\n"
            for _ in range(rng.randint(1, 150)):
                acknowledged.append(kid.stdout.readline())
        os.kill(kid.pid, signal.SIGKILL)
        acknowledged += kid.stdout.read().splitlines(keepends=True)
        kid.wait(timeout=10)
        assert kid.returncode == -signal.SIGKILL
    acked = [line.strip() for line in acknowledged
             if line.endswith("\n") and line not in ("open\n", "imported\n")]
    assert len(acked) >= 9
    assert integrity(path) == [("ok",)]
    with Store.open(path) as opened:
        known = set(opened.ids())
        seqs = [row.seq for row in opened.list()]
        logged = {e.upload_id for e in opened.events(limit=100_000)}
    missing = [i for i in acked if i not in known or f"{i}-pair" not in known]
    assert missing == []
    assert all(f"{i}-pair" in known for i in known if not i.endswith("-pair"))
    assert len(seqs) == len(set(seqs)) == len(known)
    assert set(acked) <= logged


def test_writer_killed_mid_transaction_loses_no_acknowledged_id(tmp_path: Path) -> None:
    """One writer SIGKILLed after 300 acknowledged adds of a pair: every acknowledged ID is
    there with its pair, no ID without its pair, and the file is sound."""
    path = tmp_path / "data" / "store.db"
    code = """
        import sys
        from scenario_tui.store.sqlite import Store
        s = Store.open(sys.argv[1])
        i = 0
        while True:
            s.add([f"k{i}", f"k{i}-pair"], note="x" * 200)
            print(f"k{i}", flush=True)
            i += 1
    """
    kid = child(code, str(path), stdout=subprocess.PIPE)
    acked = [kid.stdout.readline() for _ in range(300)]
    os.kill(kid.pid, signal.SIGKILL)
    rest = kid.stdout.read()
    kid.wait(timeout=10)
    assert kid.returncode == -signal.SIGKILL
    acked += rest.splitlines(keepends=True)
    acked_ids = [line.strip() for line in acked if line.endswith("\n")]
    assert len(acked_ids) >= 300
    with Store.open(path) as opened:
        known = set(opened.ids())
    assert all(i in known and f"{i}-pair" in known for i in acked_ids)
    assert all(f"{i}-pair" in known for i in known if not i.endswith("-pair"))
    assert integrity(path) == [("ok",)]


def test_writer_killed_mid_batch_leaves_whole_batches_only(tmp_path: Path) -> None:
    """A process killed while writing batches of 20 snapshots: every batch it acknowledged is
    there in full, and no batch is there in part."""
    path = tmp_path / "data" / "store.db"
    code = """
        import sys
        from scenario_tui.store.sqlite import Store
        s = Store.open(sys.argv[1])
        s.add([f"b{n}-{i}" for n in range(2000) for i in range(20)])
        print("ready", flush=True)
        for n in range(2000):
            s.record_snapshots([(f"b{n}-{i}", {"id": f"b{n}-{i}", "status": "imported",
                                               "note": "x" * 200}) for i in range(20)])
            print(n, flush=True)
    """
    kid = child(code, str(path), stdout=subprocess.PIPE)
    assert kid.stdout.readline() == "ready\n"
    acked = [kid.stdout.readline() for _ in range(100)]
    os.kill(kid.pid, signal.SIGKILL)
    acked += kid.stdout.read().splitlines(keepends=True)
    kid.wait(timeout=10)
    acked_batches = {int(line) for line in acked if line.endswith("\n")}
    assert len(acked_batches) >= 100
    with Store.open(path) as opened:
        stored = {row.id for row in opened.list() if row.fetched_at is not None}
    per_batch: dict[int, int] = {}
    for upload_id in stored:
        batch = int(upload_id[1:].split("-")[0])
        per_batch[batch] = per_batch.get(batch, 0) + 1
    assert set(per_batch.values()) == {20}
    assert acked_batches <= set(per_batch)


def test_file_size_limit_gives_store_write_error_and_keeps_committed_rows(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes writes fail like a full disk (root ignores permission bits)."""
    path = tmp_path / "data" / "store.db"
    code = """
        import resource, signal, sys
        from scenario_tui.core.errors import StoreError, StoreWriteError
        from scenario_tui.store.sqlite import Store
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        s = Store.open(sys.argv[1])
        s.add([f"before-{i}" for i in range(200)])
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))
        try:
            for n in range(20):
                s.add([f"after-{n}-{i:05d}-" + "x" * 80 for i in range(5000)])
            print("no error")
        except StoreWriteError as exc:
            print(type(exc).__name__, exc.message, sep="|")
        try:
            s.close()
        except StoreError as exc:
            print("close failed:", exc)
    """
    kid = child(code, str(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = kid.communicate(timeout=60)
    assert kid.returncode == 0, err
    name, message = out.splitlines()[0].split("|")
    assert name == "StoreWriteError"
    assert str(path) in message and "size limit" in message
    with Store.open(path) as opened:
        assert opened.count(search="before-") == 200
        assert opened.count(search="after-") == 0


# --- the CLI on a broken store --------------------------------------------------------------------


COMMANDS = [("add", "up_new"), ("list",), ("list", "--json"), ("show", "up_1"),
            ("complete", "up_1", "--yes"), ("remove", "up_1"), ("log",), ()]


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path):
    """The CLI in-process, pointed at a closed loopback port (nothing may leave the machine);
    the TUI must never start here (its store cannot open)."""
    from scenario_tui.tui.app import ScenarioApp

    monkeypatch.setenv("SCENARIO_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("SCENARIO_SDK_API_KEY", "k")
    monkeypatch.setenv("SCENARIO_SDK_API_SECRET", "store-stress-secret")
    monkeypatch.setattr(ScenarioApp, "run", lambda self: pytest.fail("the TUI started"))
    from scenario_tui.cli.commands import app as app_command

    monkeypatch.setattr(app_command, "has_terminal", lambda: True)  # as from a terminal

    def run(*argv: str, stdin: str = ""):
        return run_cli(capsys, monkeypatch, *argv, stdin=stdin)

    return run


def make_store(path: Path) -> bytes:
    with Store.open(path) as s:
        s.add([f"up_{i}" for i in range(300)], note="kept")
    return path.read_bytes()


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def damage(path: Path) -> None:
    """Overwrite a page in the middle of a real store with garbage (header left intact)."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    start = page * 3
    data[start:start + page] = bytes(random.Random(3).getrandbits(8) for _ in range(page))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("breakage", ["damaged-pages", "garbage", "newer-schema", "empty-header"])
def test_cli_refuses_a_broken_store_and_leaves_it_untouched(cli, tmp_path, breakage):
    path = tmp_path / "stores" / "uploads.db"
    path.parent.mkdir()
    make_store(path)
    if breakage == "damaged-pages":
        damage(path)
        expected = "damaged"
    elif breakage == "garbage":
        path.write_bytes(b"not a database at all\n" * 500)
        expected = "damaged"
    elif breakage == "newer-schema":
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
        expected = "newer scenario-tui"
    else:
        data = bytearray(path.read_bytes())
        data[:16] = b"\x00" * 16
        path.write_bytes(bytes(data))
        expected = "damaged"
    before = fingerprint(path)
    problems = []
    for argv in COMMANDS:
        run = cli("--store", str(path), *argv)
        if run.code != 1 or expected not in run.err or "Traceback" in run.err:
            problems.append(f"{argv}: exit {run.code}: {run.err[:200]!r}")
        if fingerprint(path) != before:
            problems.append(f"{argv}: the file changed")
    assert problems == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["uploads.db"]


def _drop_file_permission_override() -> None:
    """In the child, before exec: give up root's right to ignore file permissions (the tests run
    as root, which would otherwise write to a read-only file regardless)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _scenario_tui(args, env, *, preexec, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "scenario_tui", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=60, preexec_fn=preexec, cwd=ROOT)


@pytest.fixture
def proc_env(tmp_path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "SCENARIO_TUI_DATA_DIR": str(tmp_path / "data"),
            "SCENARIO_TUI_CONFIG": str(tmp_path / "config.toml"),
            "SCENARIO_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"}


def test_cli_on_a_read_only_store_file(tmp_path, proc_env):
    """A store file the user may not write: writes fail with a clear error and exit 1, reads
    still work, and the file is byte-for-byte the same."""
    path = tmp_path / "stores" / "uploads.db"
    path.parent.mkdir()
    make_store(path)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    write = _scenario_tui(["--store", str(path), "add", "up_new"], proc_env,
                          preexec=_drop_file_permission_override)
    assert write.returncode == 1 and "Traceback" not in write.stderr
    assert write.stderr.startswith("Cannot write the local store: ")
    assert "read-only" in write.stderr
    read = _scenario_tui(["--store", str(path), "list"], proc_env,
                         preexec=_drop_file_permission_override)
    assert read.returncode == 0 and len(read.stdout.splitlines()) == 300
    assert path.read_bytes() == before


def _limit_file_size(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def test_cli_on_a_full_disk(tmp_path, proc_env):
    """RLIMIT_FSIZE makes every file stop growing at 256 KiB, as a full disk would: adding
    20,000 pasted IDs fails with a clear error and exit 1; the store keeps its 300 rows and the
    main file is byte-for-byte the same."""
    path = tmp_path / "stores" / "uploads.db"
    path.parent.mkdir()
    make_store(path)
    before = path.read_bytes()
    ids = "\n".join(f"up_disk_full_{i:06d}_" + "x" * 60 for i in range(20_000))
    out = _scenario_tui(["--store", str(path), "add", "-"], proc_env, stdin=ids,
                        preexec=_limit_file_size(256 * 1024))
    assert out.returncode == 1, out.stderr
    assert out.stderr.startswith("Cannot write the local store: ") and "Traceback" not in out.stderr
    assert "full" in out.stderr or "size limit" in out.stderr
    assert path.read_bytes() == before
    with Store.open(path) as opened:
        assert opened.count() == 300
    assert integrity(path) == [("ok",)]


def test_a_deferred_page_check_finds_damage_and_a_migration_never_skips_it(tmp_path):
    """The TUI opens with verify=False and checks the pages in a thread: that check finds the
    damage open() would have found; and when a migration is due, open() checks first anyway,
    so nothing is ever written into a damaged file."""
    path = tmp_path / "uploads.db"
    make_store(path)
    damage(path)
    store = Store.open(path, verify=False)
    with pytest.raises(StoreCorruptError, match="damaged"):
        store.verify()
    store.close()
    with pytest.raises(StoreCorruptError):
        Store.open(path)
    older = tmp_path / "older.db"
    make_store(older)
    conn = sqlite3.connect(older)
    conn.execute("PRAGMA user_version = 1")  # one migration behind
    conn.close()
    damage(older)
    before = fingerprint(older)
    with pytest.raises(StoreCorruptError):
        Store.open(older, verify=False)
    assert fingerprint(older) == before
