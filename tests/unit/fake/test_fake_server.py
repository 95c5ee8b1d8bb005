"""The fake over a real socket: keep-alive, faults, the control endpoint, ``run_forever``.

The waits here are real: these tests are about sockets and their timeouts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.seeds import SEEDED_IDS, SEEDED_PENDING_IDS
from scenario_tui.fake.server import run_forever
from tests.unit.fake.helpers import AUTH, multipart_body

ROOT = Path(__file__).resolve().parents[3]


def test_server_base_url_and_keep_alive(server):
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert server.url + "/v1" == server.base_url
    with httpx.Client(base_url=server.base_url, auth=AUTH) as c:
        for _ in range(3):
            response = c.get(f"uploads/{SEEDED_IDS[0]}")
            assert response.status_code == 200
            assert response.headers["content-length"] == str(len(response.content))
    peers = {r.peer for r in server.fake.requests}
    assert len(peers) == 1 and None not in peers  # one pooled connection for all three


def test_server_fault_kinds_over_the_socket(server):
    fake = server.fake
    path = f"uploads/{SEEDED_IDS[0]}"
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=5) as c:
        fake.faults.add(kind="drop")
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.get(path)
        assert c.get(path).status_code == 200  # the server survives a dropped connection

        fake.faults.add(kind="html")
        html = c.get(path)
        assert html.status_code == 502 and html.headers["content-type"].startswith("text/html")

        fake.faults.add(kind="malformed_json")
        with pytest.raises(ValueError):
            c.get(path).json()

        fake.faults.add(kind="wrong_shape")
        assert "upload" not in c.get(path).json()

        fake.faults.add(status=429, retry_after=3)
        limited = c.get(path)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"

        dry = c.post("uploads", params={"dryRun": "true"}, json=multipart_body())
        assert dry.status_code == 269


def test_server_timeout_fault_holds_the_answer(server):
    server.fake.timeout_fault_seconds = 2.0
    server.fake.faults.add(kind="timeout")
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=0.3) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get(f"uploads/{SEEDED_IDS[0]}")
        assert c.get(f"uploads/{SEEDED_IDS[0]}").status_code == 200


def test_server_part_put_needs_no_auth(server):
    with httpx.Client(base_url=server.base_url, auth=AUTH) as c:
        upload = c.post("uploads", json=multipart_body(size=4, parts=1)).json()["upload"]
    url = upload["parts"][0]["url"]
    assert url.startswith(server.url + "/_parts/")
    assert httpx.put(url, content=b"abcd").status_code == 200
    assert server.fake.uploads[upload["id"]].received == {1: 4}


def test_concurrent_completes_only_one_wins(server):
    upload_id = SEEDED_PENDING_IDS[1]
    codes: list[int] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        with httpx.Client(base_url=server.base_url, auth=AUTH) as c:
            barrier.wait()
            codes.append(c.post(f"uploads/{upload_id}/action",
                                json={"action": "complete"}).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(codes) == [200] + [409] * 7
    assert server.fake.complete_count(upload_id) == 8


def test_control_endpoint(server):
    fake = server.fake
    with httpx.Client(base_url=server.url) as ctl, \
            httpx.Client(base_url=server.base_url, auth=AUTH) as c:
        added = ctl.post("/_fake/faults", json={"status": 503, "path": "/uploads/", "count": 1})
        assert added.status_code == 200 and added.json() == {"faults": 1}
        assert c.get(f"uploads/{SEEDED_IDS[0]}").status_code == 503
        assert ctl.post("/_fake/faults", json={"kind": "nope"}).status_code == 400
        assert ctl.post("/_fake/faults", json={"colour": "red"}).status_code == 400
        assert ctl.post("/_fake/faults", json=[{"kind": "html"}, {"kind": "drop"}]).json() == {
            "faults": 2}
        assert ctl.delete("/_fake/faults").json() == {"faults": 0}

        log = ctl.get("/_fake/requests").json()["requests"]
        assert log[0]["path"] == f"/v1/uploads/{SEEDED_IDS[0]}" and log[0]["status"] == 503
        assert log[0]["headers"]["authorization"] == "[redacted]"
        assert all(not entry["path"].startswith("/_fake/") for entry in log)

        assert ctl.post("/_fake/latency", json={"seconds": 0.25}).json() == {"latency": 0.25}
        assert fake.latency == 0.25
        assert ctl.post("/_fake/latency", json={"seconds": -1}).status_code == 400

        uploads = ctl.get("/_fake/uploads").json()["uploads"]
        assert [u["id"] for u in uploads] == list(SEEDED_IDS)

        c.post("uploads", json=multipart_body())
        assert ctl.post("/_fake/reset").json() == {"ok": True}
        assert fake.requests == [] and fake.latency == 0 and set(fake.uploads) == set(SEEDED_IDS)
        assert ctl.get("/_fake/nothing").status_code == 404


def test_run_forever_serves_and_exits_cleanly_on_sigint(tmp_path):
    script = (
        "import sys\n"
        "from scenario_tui.fake.scenario import FakeScenario\n"
        "from scenario_tui.fake.server import run_forever\n"
        "run_forever(FakeScenario(), '127.0.0.1', 0, on_ready=lambda u: print(u, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        response = httpx.get(f"{base_url}/uploads/{SEEDED_IDS[0]}", auth=AUTH)
        assert response.status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped" and err == ""  # no access log, no traceback


def test_run_forever_returns_when_interrupted_during_start():
    urls: list[str] = []

    def on_ready(base_url: str) -> None:
        urls.append(base_url)
        raise KeyboardInterrupt

    fake = FakeScenario()
    run_forever(fake, on_ready=on_ready)  # returns instead of raising
    assert urls == [fake.base_url] and urls[0].startswith("http://127.0.0.1:")


def test_fake_modules_never_import_textual():
    modules = sorted(p.stem for p in (ROOT / "scenario_tui" / "fake").glob("[!_]*.py"))
    code = (f"import sys, {', '.join('scenario_tui.fake.' + m for m in modules)}\n"
            "assert 'textual' not in sys.modules, 'textual imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr


def test_delivery_side_never_imports_the_api_behaviour():
    """The server takes the fake as an argument: importing it loads none of the API's modules
    (so there is no way back into a cycle through a lazy import either)."""
    code = ("import sys, scenario_tui.fake.server\n"
            "behaviour = ('scenario', 'routes', 'state', 'seeds', 'wire')\n"
            "loaded = [m for m in behaviour if 'scenario_tui.fake.' + m in sys.modules]\n"
            "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
