"""``scenario-tui upload`` and ``import``, run as real subprocesses against the served fake."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from scenario_tui.core.units import MIB


def run(env, *args, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "scenario_tui", *args], env=env, capture_output=True, text=True,
        timeout=timeout,
    )


def make_file(tmp_path, name: str, size: int):
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return path


def stored(env) -> list[dict]:
    return json.loads(run(env, "list", "--json").stdout)


def test_upload_two_files_wait_prints_one_line_each(cli_env, fake, tmp_path):
    small = make_file(tmp_path, "hero.png", 5000)
    big = make_file(tmp_path, "clip.mp4", 6 * MIB)
    out = run(cli_env, "upload", str(small), str(big), "--part-size", "5MiB", "--wait",
              "--note", "ticket 12")
    assert out.returncode == 0, out.stderr
    lines = [line.split("\t") for line in out.stdout.splitlines()]
    assert [(status, file) for _, status, file in lines] == [
        ("imported", str(small)), ("imported", str(big))]
    ids = [upload_id for upload_id, _, _ in lines]
    assert fake.uploads[ids[1]].received == {1: 5 * MIB, 2: MIB}
    assert {row["id"]: row["note"] for row in stored(cli_env)} == dict.fromkeys(ids, "ticket 12")
    assert "\r" not in out.stderr  # not a terminal: no redrawn progress line
    assert "signature" not in out.stderr + out.stdout
    assert all(fake.complete_count(i) == 1 for i in ids)


def test_upload_json_and_no_complete_leaves_it_pending(cli_env, fake, tmp_path):
    path = make_file(tmp_path, "loop.wav", 1000)
    out = run(cli_env, "upload", str(path), "--no-complete", "--json")
    assert out.returncode == 0, out.stderr
    (entry,) = json.loads(out.stdout)
    assert entry["status"] == "pending" and entry["kind"] == "audio"
    assert (entry["parts"], entry["partsSent"], entry["error"]) == (1, 1, None)
    assert fake.status_of(entry["id"]) == "pending" and fake.complete_count() == 0
    assert f"scenario-tui complete {entry['id']}" in out.stderr
    assert [row["id"] for row in stored(cli_env)] == [entry["id"]]


def test_dry_run_prints_the_estimate_and_stores_nothing(cli_env, fake, tmp_path):
    path = make_file(tmp_path, "hero.png", 1000)
    known = set(fake.uploads)
    out = run(cli_env, "upload", str(path), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f'-\tdry-run\t{path}\t{{"creativeUnitsCost":1}}\n'
    assert "Nothing was uploaded" in out.stderr
    assert set(fake.uploads) == known and stored(cli_env) == []


def test_import_url_huggingface_civitai(cli_env, fake):
    out = run(cli_env, "import", "https://cdn.example.com/x/door.mp3", "--kind", "audio",
              "--wait")
    assert out.returncode == 0, out.stderr
    upload_id, status, name = out.stdout.strip().split("\t")
    assert (status, name) == ("imported", "door.mp3")
    out = run(cli_env, "import", "--huggingface", "owner/some-model", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["status"] == "pending" and fake.uploads[doc["id"]].source == "huggingface"
    out = run(cli_env, "import", "--civitai", "https://civitai.com/models/1/lora", "--note", "n")
    assert out.returncode == 0, out.stderr
    assert {row["id"] for row in stored(cli_env)} == {
        upload_id, doc["id"], out.stdout.split("\t")[0]}


def test_import_usage_errors_exit_2(cli_env):
    out = run(cli_env, "import", "https://cdn.example.com/x/door.mp3")
    assert out.returncode == 2 and "--kind" in out.stderr
    out = run(cli_env, "import")
    assert out.returncode == 2 and "exactly one" in out.stderr


def test_bad_file_path_says_why_and_exits_1(cli_env, fake, tmp_path):
    missing = tmp_path / "nope.png"
    out = run(cli_env, "upload", str(missing))
    assert out.returncode == 1
    assert f"No such file: {missing}" in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == f"-\terror\t{missing}\n"
    assert not [r for r in fake.requests if r.method in ("POST", "PUT")]


def test_bad_part_size_and_concurrency_are_usage_errors(cli_env, tmp_path):
    path = make_file(tmp_path, "hero.png", 10)
    out = run(cli_env, "upload", str(path), "--part-size", "lots")
    assert out.returncode == 2 and "is not a size" in out.stderr
    out = run(cli_env, "upload", str(path), "--part-size", "1MiB")
    assert out.returncode == 2 and "below the storage minimum of 5 MiB" in out.stderr
    out = run(cli_env, "upload", str(path), "--concurrency", "0")
    assert out.returncode == 2
    out = run(cli_env, "upload", str(path), str(path), "--resume", "up_x")
    assert out.returncode == 2 and "exactly one FILE" in out.stderr


def test_read_only_refuses_uploads_and_imports(cli_env, fake, tmp_path):
    path = make_file(tmp_path, "hero.png", 10)
    out = run(cli_env, "--read-only", "upload", str(path))
    assert out.returncode == 1 and "read-only" in out.stderr
    out = run(cli_env, "import", "--read-only", "--huggingface", "a/b")
    assert out.returncode == 1 and "read-only" in out.stderr
    assert not [r for r in fake.requests if r.method in ("POST", "PUT")]


def test_ctrl_c_exits_130_with_resume_hint_and_resume_finishes(cli_env, fake, tmp_path):
    path = make_file(tmp_path, "clip.mp4", 12 * MIB)
    fake.latency = 0.4
    proc = subprocess.Popen(
        [sys.executable, "-m", "scenario_tui", "upload", str(path), "--part-size", "5MiB",
         "--concurrency", "1"], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        deadline = time.monotonic() + 20
        while not any(r.method == "PUT" and r.status == 200 for r in list(fake.requests)):
            assert time.monotonic() < deadline and proc.poll() is None, "no part was sent"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    (row,) = stored(cli_env)
    assert f"scenario-tui upload --resume {row['id']} {path}" in stderr
    assert "Traceback" not in stderr and fake.complete_count() == 0
    fake.latency = 0.0
    out = run(cli_env, "upload", "--resume", row["id"], str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{row['id']}\tvalidating\t{path}\n"
    assert fake.uploads[row["id"]].received == {1: 5 * MIB, 2: 5 * MIB, 3: 2 * MIB}
    assert fake.complete_count(row["id"]) == 1


def test_upload_and_import_do_not_import_textual(cli_env, tmp_path):
    path = make_file(tmp_path, "hero.png", 1000)
    code = ("import sys; from scenario_tui.cli.main import main; "
            f"rc = main(['upload', {str(path)!r}, '--dry-run']); "
            "rc2 = main(['import', '--huggingface', 'a/b']); "
            "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc or rc2)")
    out = subprocess.run([sys.executable, "-c", code], env=cli_env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
