"""Benchmark: refreshing 1,000 uploads against the served fake with 50 ms latency per request.

The fake Scenario API is served on loopback by ``scenario-tui fake-api`` in a child process (so
its work is not charged to the measured process); it is a ``ThreadingHTTPServer`` whose latency
is a sleep in each request's own thread, checked first by timing 16 simultaneous requests.

1. ``service.refresh_many(ids, concurrency=settings.refresh_concurrency)`` on a store of 1,000
   uploads the fake knows, against the ideal ``n x latency / concurrency`` (after
   ``service.warm_up()``, as the SDK loop gets a warm-up call; the line also shows what the
   adaptive window did: with no 429 it stays at the setting);
2. the official SDK (``scenario_sdk.Scenario(..., max_retries=0)``), ``uploads.retrieve`` in a
   sequential loop over the same IDs;
3. the TUI (``ScenarioApp`` under ``run_test``, 80x24): ``down``/``up`` key presses, key event to
   the first frame showing the moved cursor (see pilotlib), first on the idle app, then while
   ``R`` (confirmed with ``y``) refreshes the 1,000 uploads, ``--rounds`` times (samples
   pooled), each key ``--gap`` after the previous one's frame. The first key after the
   confirmation closes also waits for the dialog's teardown (restyles, a second frame), so it
   is reported on its own, against the same first key after ``R`` answered with escape (no
   refresh). The TUI's refresh time is reported against the same ideal.

Usage::

    python bench/bench_refresh.py             # 1,000 uploads, 50 ms latency
    python bench/bench_refresh.py --quick     # 100 uploads, 20 ms latency, no thresholds
    python bench/bench_refresh.py --skip-sdk --skip-tui --concurrency 12   # the service alone
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchlib import (
    HOOKS,
    KEY,
    SECRET,
    FakeProcess,
    machine,
    median,
    ms,
    percentile,
    ratio_line,
    switch_off,
)

IDEAL_LIMIT, SDK_SPEEDUP, KEY_LIMIT = 1.15, 10.0, 1.5


def check_fake_concurrency(base_url: str, upload_id: str, latency: float, n: int = 16) -> float:
    """Seconds for ``n`` simultaneous GETs on separate connections (serial: n x latency)."""
    import base64
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(base_url)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()}

    def get(_: int) -> int:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            conn.request("GET", f"{url.path}/uploads/{upload_id}", headers=auth)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(get, range(n)))  # warm-up: imports, threads
        started = time.perf_counter()
        codes = list(pool.map(get, range(n)))
        seconds = time.perf_counter() - started
    assert codes == [200] * n, codes
    return seconds


def settings_for(base_url: str, store: Path, concurrency: int | None = None):
    from scenario_tui.core.config import Settings

    settings = Settings(base_url=base_url, api_key=KEY, api_secret=SECRET, store_path=store,
                        profile="bench", max_retries=0)
    return settings.with_overrides(refresh_concurrency=concurrency) if concurrency else settings


async def service_refresh(base_url: str, store: Path, ids: list[str],
                          concurrency: int | None = None) -> tuple[float, int, str]:
    """Seconds, failures, and what the adaptive window did (``RefreshWindow``)."""
    from scenario_tui.cli.wiring import build_service

    settings = settings_for(base_url, store, concurrency)
    service = build_service(settings)
    service.warm_up()  # imports and the HTTP client, as the TUI does after its first paint
    async with service.client:
        started = time.perf_counter()
        results = await service.refresh_many(ids, concurrency=settings.refresh_concurrency)
        seconds = time.perf_counter() - started
    failed = sum(1 for r in results.values() if isinstance(r, Exception))
    window = service.refresh_window
    limits = " -> ".join(map(str, window.history))
    service.store.close()
    return seconds, failed, f"window {limits}, at most {window.peak} in flight"


def sdk_loop(base_url: str, ids: list[str]) -> float:
    import scenario_sdk

    client = scenario_sdk.Scenario(base_url=base_url, api_key=KEY, api_secret=SECRET,
                                   max_retries=0)
    client.uploads.retrieve(ids[0])  # warm-up: connection, lazy imports
    started = time.perf_counter()
    for upload_id in ids:
        client.uploads.retrieve(upload_id)
    seconds = time.perf_counter() - started
    client.close()
    return seconds


async def tui_keys(base_url: str, store: Path, args) -> dict:
    from pilotlib import FrameWatch, settle, until, workers_done

    from scenario_tui.cli.wiring import build_service
    from scenario_tui.tui.app import ScenarioApp
    from scenario_tui.tui.screens import refresh_actions

    if args.quick:  # 100 uploads: ask before refreshing them, as for the full run's 1,000
        refresh_actions.BULK_REFRESH_CONFIRM = 50
    settings = settings_for(base_url, store, args.concurrency)
    service = build_service(settings)
    app = ScenarioApp(service, settings)
    idle: list[float] = []
    busy: list[float] = []
    after_dialog_idle: list[float] = []
    after_dialog_busy: list[float] = []
    seconds: list[float] = []
    line = ""
    async with app.run_test(size=(80, 24)) as pilot:
        watch = FrameWatch(app)
        await workers_done(app)  # start-up refresh (its cap: 200)
        await settle(pilot, 0.5)
        screen = app.main_screen
        table = screen.table

        async def move(step: int) -> float:
            before = table.cursor
            return await watch.press("down" if step > 0 else "up",
                                     lambda: table.cursor == before + step)

        for i in range(args.keys):
            idle.append(await move(1 if i % 2 == 0 else -1))
            await settle(pilot, args.gap)
        started_workers = []
        start_refresh_all = screen.refresh_all

        def capture(ids):  # the worker R starts, to know when it is done
            worker = start_refresh_all(ids)
            started_workers.append(worker)
            return worker

        screen.refresh_all = capture

        async def confirm_refresh(answer: str) -> float:
            """R, then ``answer`` in the confirmation; returns when the main screen is drawn
            again (the time ``answer`` was sent)."""
            watch.send("R")
            await until(lambda: app.screen is not screen, what="the confirmation")
            await until(lambda: app.screen.is_current, what="the confirmation shown")
            await settle(pilot, args.gap)
            frames = watch.frames
            sent = watch.send(answer)
            await until(lambda: app.screen is screen and watch.frames > frames,
                        what="the main screen drawn again")
            return sent

        # the first key after a dialog closes waits for the dialog's teardown (restyles, a
        # second frame): timed on its own, after R + escape (no refresh) and after R + y
        for _ in range(args.rounds):
            await confirm_refresh("escape")
            after_dialog_idle.append(await move(1))
            await settle(pilot, args.gap)
            await move(-1)
            await settle(pilot, args.gap)
        assert not started_workers, "escape started a refresh"
        for _ in range(args.rounds):
            started = await confirm_refresh("y")
            await until(lambda: started_workers, what="a refresh of all uploads")
            worker = started_workers.pop()
            after_dialog_busy.append(await move(1))
            i = 1
            while not worker.is_finished:
                await asyncio.sleep(args.gap)
                latency = await move(1 if i % 2 == 0 else -1)
                if not worker.is_finished:
                    busy.append(latency)
                i += 1
            await worker.wait()
            seconds.append(time.perf_counter() - started)
            line = screen.states.app_line
            await workers_done(app)
            await settle(pilot, args.gap)
    service.store.close()
    return {"idle": idle, "busy": busy, "seconds": median(seconds), "summary": line,
            "after_dialog_idle": after_dialog_idle, "after_dialog_busy": after_dialog_busy}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--keys", type=int, default=60, help="idle key presses (baseline)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="TUI refresh-alls (R, y), each with its keys (pooled)")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between key presses")
    parser.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="refresh_concurrency for the service and the TUI (default: the "
                        "setting's default)")
    parser.add_argument("--skip-sdk", action="store_true", help="no SDK loop (it takes a while)")
    parser.add_argument("--skip-tui", action="store_true", help="no TUI part")
    parser.add_argument("--wider", type=int, default=0, metavar="N",
                        help="also time refresh_many with concurrency N, for information (0: no)")
    parser.add_argument("--quick", action="store_true", help="small sizes, no thresholds")
    parser.add_argument("--without", default="", metavar="HOOK,...",
                        help="switch performance hooks off, to re-measure them: "
                        + ", ".join(HOOKS))
    args = parser.parse_args()
    off = switch_off(args.without)
    if args.quick:
        args.uploads, args.latency, args.keys, args.gap, args.rounds = 100, 0.02, 4, 0.05, 1

    from scenario_tui.core.config import DEFAULT_REFRESH_CONCURRENCY
    from scenario_tui.store.sqlite import Store

    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp_name, \
            FakeProcess(Path(tmp_name)) as server:
        tmp = Path(tmp_name)
        ids = server.create(args.uploads)
        for name in ("service.db", "tui.db"):
            with Store.open(tmp / name) as store:
                store.add(ids)
        server.latency(args.latency)
        concurrent = check_fake_concurrency(server.base_url, ids[0], args.latency)
        service_seconds, failed, window = asyncio.run(service_refresh(
            server.base_url, tmp / "service.db", ids, args.concurrency))
        wider = args.wider and asyncio.run(service_refresh(server.base_url, tmp / "service.db",
                                                           ids, args.wider))
        sdk_seconds = None if args.skip_sdk else sdk_loop(server.base_url, ids)
        keys = None if args.skip_tui else asyncio.run(tui_keys(server.base_url, tmp / "tui.db",
                                                               args))

    concurrency = args.concurrency or DEFAULT_REFRESH_CONCURRENCY
    ideal = len(ids) * args.latency / concurrency
    if off:
        print(f"bench_refresh: hooks switched off: {', '.join(off)}")
    print(f"bench_refresh: {machine()}; {len(ids):,} uploads, fake on loopback with "
          f"{args.latency * 1000:g} ms latency per request, refresh_concurrency {concurrency}")
    print(f"  fake concurrency check: 16 simultaneous GETs took {ms(concurrent)} "
          f"(serial would be {ms(16 * args.latency)})")
    print(f"  ideal {len(ids):,} x {args.latency * 1000:g} ms / {concurrency}: {ideal:.2f} s")
    print(f"  service.refresh_many: {service_seconds:.2f} s ({failed} failed; {window})")
    if wider:
        wide_ideal = len(ids) * args.latency / args.wider
        print(f"  service.refresh_many with concurrency {args.wider}: {wider[0]:.2f} s "
              f"({wider[1]} failed; {wider[2]}); ideal {wide_ideal:.2f} s: "
              f"{wider[0] / wide_ideal:.2f}x")
    if sdk_seconds is not None:
        print(f"  SDK uploads.retrieve, sequential: {sdk_seconds:.2f} s "
              f"({sdk_seconds / len(ids) * 1000:.1f} ms per upload)")
    if keys is not None:
        print(f"  TUI R (after y) to refresh done: {keys['seconds']:.2f} s (median of "
              f"{args.rounds}); {keys['summary']}")
        print(f"  {'key press (down/up)':36}{'n':>4}{'p50':>10}{'p95':>10}{'max':>10}")
        for label, name in (("idle", "idle"), ("during the TUI refresh", "busy"),
                            ("first after R, escape (no refresh)", "after_dialog_idle"),
                            ("first after R, y (refresh starts)", "after_dialog_busy")):
            values = keys[name]
            print(f"  {label:36}{len(values):>4}{ms(median(values)):>10}"
                  f"{ms(percentile(values, 95)):>10}{ms(max(values)):>10}")
        print("  each key during the refresh, ms: "
              + " ".join(f"{v * 1000:.0f}" for v in keys["busy"]))
    ok = ratio_line("refresh_many / ideal", service_seconds, ideal, limit=IDEAL_LIMIT,
                    quick=args.quick)
    if keys is not None:
        ok &= ratio_line("TUI refresh-all / ideal", keys["seconds"], ideal, limit=None,
                         quick=args.quick)
    if sdk_seconds is not None:
        speedup = sdk_seconds / service_seconds
        if args.quick:
            print(f"ratio SDK sequential / refresh_many: {speedup:.2f}x (no threshold in quick "
                  "mode)")
        else:
            met = speedup >= SDK_SPEEDUP
            ok &= met
            print(f"ratio SDK sequential / refresh_many: {speedup:.2f}x (target >= "
                  f"{SDK_SPEEDUP:g}x; at most {concurrency}x is possible with concurrency "
                  f"{concurrency}): {'met' if met else 'MISSED'}")
        if wider:
            print(f"ratio SDK sequential / refresh_many with concurrency {args.wider}: "
                  f"{sdk_seconds / wider[0]:.2f}x (informative)")
    if keys is not None:
        ok &= ratio_line("key p95 during refresh / idle key p95", percentile(keys["busy"], 95),
                         percentile(keys["idle"], 95), limit=KEY_LIMIT, quick=args.quick)
        ok &= ratio_line("first key after the confirmation, R y / R escape (median)",
                         median(keys["after_dialog_busy"]), median(keys["after_dialog_idle"]),
                         limit=None, quick=args.quick)
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
