"""Benchmark: upload throughput and memory of ``Uploader`` against a raw httpx PUT baseline.

Serves the fake Scenario API on loopback in this process, writes a test file, then runs two
child processes against it (so the server's work and memory are not measured):

- ``raw``: create an upload, then PUT each part with plain ``httpx`` (``content=bytes``: the
  whole part read into memory), same part size and concurrency;
- ``uploader``: ``Uploader.upload_file`` (streamed parts, progress, store bookkeeping).

Each child reports its elapsed time (create + all parts) and its peak resident memory (VmHWM)
before and after. The uploader's peak increase is checked against the budget
``part_size x concurrency + 30 MB``. Usage::

    python bench/bench_upload.py                # 1 GiB
    python bench/bench_upload.py --size 64MiB   # smoke run, a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scenario_tui.core.part_plan import plan_parts  # noqa: E402
from scenario_tui.core.units import MIB, human_size, parse_size  # noqa: E402

SLACK_BYTES = 30_000_000
KEY, SECRET = "bench-key", "bench-secret-value"


def peak_rss() -> int:
    """Peak resident set size of this process, in bytes."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# --- children ----------------------------------------------------------------------------------


async def child_raw(args) -> dict:
    import httpx

    from scenario_tui.api.client import ScenarioClient
    from scenario_tui.api.credentials import Credentials

    size = os.path.getsize(args.file)
    plan = plan_parts(size, args.part_size)
    async with ScenarioClient(base_url=args.base_url, credentials=Credentials(KEY, SECRET)) as api:
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(
                max_connections=args.concurrency)) as http:
            before = peak_rss()
            started = time.perf_counter()
            upload = await api.create_upload(
                file_name="raw.bin", content_type="application/octet-stream", file_size=size,
                parts=len(plan), kind="model")
            urls = {int(p.number): p.url for p in upload.parts}
            gate = asyncio.Semaphore(args.concurrency)

            async def put(part) -> None:
                async with gate:
                    with open(args.file, "rb") as handle:
                        handle.seek(part.offset)
                        data = handle.read(part.size)
                    response = await http.put(urls[part.number], content=data)
                    response.raise_for_status()
                    del data

            await asyncio.gather(*(put(p) for p in plan))
            seconds = time.perf_counter() - started
    return {"upload_id": upload.id, "seconds": seconds, "bytes": size, "before": before,
            "after": peak_rss()}


async def child_uploader(args) -> dict:
    from scenario_tui.api.client import ScenarioClient
    from scenario_tui.api.credentials import Credentials
    from scenario_tui.service.uploader import Uploader
    from scenario_tui.store.sqlite import Store

    size = os.path.getsize(args.file)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        async with ScenarioClient(base_url=args.base_url,
                                  credentials=Credentials(KEY, SECRET)) as api:
            uploader = Uploader(api, store, concurrency=args.concurrency,
                                chunk_size=args.chunk_size)
            progress_calls = 0

            def on_progress(progress) -> None:
                nonlocal progress_calls
                progress_calls += 1

            before = peak_rss()
            started = time.perf_counter()
            result = await uploader.upload_file(args.file, kind="model",
                                                part_size=args.part_size, no_complete=True,
                                                on_progress=on_progress)
            seconds = time.perf_counter() - started
            after = peak_rss()
        store.close()
    return {"upload_id": result.upload_id, "seconds": seconds, "bytes": size, "before": before,
            "after": after, "parts": result.parts_total, "progress_calls": progress_calls}


# --- parent ------------------------------------------------------------------------------------


def write_file(path: Path, size: int) -> None:
    block = os.urandom(4 * MIB)
    with open(path, "wb") as handle:
        left = size
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)


def run_child(kind: str, args, base_url: str, path: Path) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--base-url", base_url,
               "--file", str(path), "--part-size", str(args.part_size),
               "--concurrency", str(args.concurrency), "--chunk-size", str(args.chunk_size)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument("--part-size", type=parse_size, default=parse_size("8MiB"))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--chunk-size", type=parse_size, default=parse_size("1MiB"))
    parser.add_argument("--child", choices=("raw", "uploader"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = child_raw if args.child == "raw" else child_uploader
        print(json.dumps(asyncio.run(run(args))))
        return 0

    from scenario_tui.fake.scenario import FakeScenario
    from scenario_tui.fake.server import serve

    fake = FakeScenario(seed=False, api_key=KEY, api_secret=SECRET)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp, serve(fake) as server:
        path = Path(tmp) / "bench.bin"
        write_file(path, args.size)
        raw = run_child("raw", args, server.base_url, path)
        up = run_child("uploader", args, server.base_url, path)
    for name, res in (("raw", raw), ("uploader", up)):
        received = sum(fake.uploads[res["upload_id"]].received.values())
        if received != args.size:
            raise SystemExit(f"{name}: the fake received {received} bytes, not {args.size}")

    budget = args.part_size * args.concurrency + SLACK_BYTES
    rows = [("raw httpx PUT (bytes)", raw), ("uploader (streamed)", up)]
    print(f"bench_upload: {human_size(args.size)} file, {human_size(args.part_size)} parts "
          f"x {args.concurrency} concurrent, {human_size(args.chunk_size)} reads, "
          f"fake API on loopback")
    print(f"{'':24}{'seconds':>9}{'MiB/s':>10}{'peak RSS +MiB':>16}")
    for label, res in rows:
        rate = res["bytes"] / res["seconds"] / MIB
        grew = (res["after"] - res["before"]) / MIB
        print(f"{label:24}{res['seconds']:9.2f}{rate:10.1f}{grew:16.1f}")
    ratio = raw["seconds"] / up["seconds"]
    grew = up["after"] - up["before"]
    verdict = "OK" if grew <= budget else "OVER BUDGET"
    print(f"throughput ratio uploader/raw: {ratio:.2f}")
    print(f"uploader memory: +{grew / MIB:.1f} MiB, budget {budget / MIB:.1f} MiB "
          f"(part size x concurrency + 30 MB): {verdict}; peak RSS {up['after'] / MIB:.1f} MiB; "
          f"{up['parts']} parts, {up['progress_calls']} progress callbacks")
    return 0 if grew <= budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
