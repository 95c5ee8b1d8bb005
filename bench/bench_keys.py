"""Benchmark: filter keystroke to updated list, against an idle key press, 100,000 uploads.

Drives the real app (``cli.build_service`` + ``ScenarioApp``, 80x24, ``App.run_test``) on a store
of 100,000 known uploads (10% with snapshots, some notes) against the fake API (served by
``scenario-tui fake-api`` in a child process; the newest 200 uploads exist there).
Latency is measured from sending a ``Key`` event (as ``Pilot.press`` does, without its idle
waits) to the first frame composited after the table holds the new state (see pilotlib):

- idle key: ``down`` in the upload list, the cursor moves one row (the detail pane follows);
- filter keystroke: with the filter input open, each typed character (then three backspaces,
  then ``escape`` that clears the filter) until the table shows a new listing for the new text
  (count and first page read in the screen's worker thread, then handed to the table).

Between presses the app is left alone for ``--gap`` seconds (longer than the detail pane's
0.15 s debounce and its fetch), so every key is measured on an idle app. Reports p50/p95/max
and the ratio of the p95s. Usage::

    python bench/bench_keys.py             # 100,000 uploads
    python bench/bench_keys.py --quick     # 3,000 uploads, a few keys, no thresholds
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchlib import (
    HOOKS,
    KEY,
    SECRET,
    FakeProcess,
    check_line,
    fill_store,
    machine,
    median,
    ms,
    percentile,
    ratio_line,
    switch_off,
)

FILTER_P95_LIMIT = 0.050
QUERIES = ["render_0420", "ticket #77", "{id}", "zq"]  # {id}: 8 characters of a known ID


async def measure(store_path: Path, base_url: str, args, some_id: str) -> dict[str, list[float]]:
    from pilotlib import FrameWatch, settle, workers_done

    from scenario_tui.cli.wiring import build_service
    from scenario_tui.core.config import Settings
    from scenario_tui.tui.app import ScenarioApp

    settings = Settings(base_url=base_url, api_key=KEY, api_secret=SECRET,
                        store_path=store_path, profile="bench")
    service = build_service(settings)
    app = ScenarioApp(service, settings)
    idle: list[float] = []
    typed: list[float] = []
    trail: list[str] = []  # "key:ms" per filter keystroke, for the report
    async with app.run_test(size=(80, 24)) as pilot:
        watch = FrameWatch(app)
        await workers_done(app)  # the start-up refresh
        await settle(pilot, 0.5)
        table = app.main_screen.table

        for _ in range(args.idle_keys):
            before = table.cursor
            idle.append(await watch.press("down", lambda b=before: table.cursor == b + 1))
            await settle(pilot, args.gap)

        queries = [q.format(id=some_id[5:13]) for q in QUERIES[: 1 if args.quick else None]]
        for query in queries:
            await pilot.press("slash")
            await settle(pilot, args.gap)
            filt = app.main_screen.query_one("#filter-input")
            keys = [*query, *["backspace"] * min(3, len(query) - 1), "escape"]
            text = ""
            trail.append(f"{query!r}:")
            for key in keys:
                text = text[:-1] if key == "backspace" else "" if key == "escape" else text + key
                old = table.listing  # the screen applies the stripped text as a new listing
                want = text.strip()

                def shown(old=old, want=want, typed=text, filt=filt) -> bool:
                    if want == old.query.search:  # the same search (a trailing space): the
                        return filt.value == typed  # list stands, the input shows the key
                    return table.listing is not old and table.listing.query.search == want

                typed.append(await watch.press(key, shown))
                trail.append(f"{'⌫' if key == 'backspace' else 'esc' if key == 'escape' else key}"
                             f"{typed[-1] * 1000:.0f}")
                await settle(pilot, args.gap)
        await workers_done(app)
    service.store.close()
    return {"idle": idle, "filter": typed, "trail": trail}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=100_000)
    parser.add_argument("--idle-keys", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds of rest between keys")
    parser.add_argument("--quick", action="store_true", help="small sizes, no thresholds")
    parser.add_argument("--without", default="", metavar="HOOK,...",
                        help="switch performance hooks off, to re-measure them: "
                        + ", ".join(HOOKS))
    args = parser.parse_args()
    off = switch_off(args.without)
    if args.quick:
        args.uploads, args.idle_keys, args.gap = 3_000, 5, 0.1

    with tempfile.TemporaryDirectory(prefix="bench-keys-") as tmp, \
            FakeProcess(Path(tmp)) as server:
        fresh = server.create(200)
        store = Path(tmp) / "store.db"
        started = time.perf_counter()
        ids = fill_store(store, args.uploads, newest=fresh)
        filled = time.perf_counter() - started
        result = asyncio.run(measure(store, server.base_url, args, ids[len(ids) // 3]))

    if off:
        print(f"bench_keys: hooks switched off: {', '.join(off)}")
    print(f"bench_keys: {machine()}; {args.uploads:,} uploads (filled in {filled:.1f} s), "
          f"80x24 run_test, key event to first frame showing the new state, {args.gap:g} s "
          f"rest between keys")
    print(f"  {'':36}{'n':>4}{'p50':>10}{'p95':>10}{'max':>10}")
    for label, name in (("idle key (down: cursor moves)", "idle"),
                        ("filter keystroke (list updated)", "filter")):
        values = result[name]
        print(f"  {label:36}{len(values):>4}{ms(median(values)):>10}"
              f"{ms(percentile(values, 95)):>10}{ms(max(values)):>10}")
    print("  each filter keystroke, ms: " + " ".join(result["trail"]))
    idle95, filter95 = percentile(result["idle"], 95), percentile(result["filter"], 95)
    ok = ratio_line("filter keystroke p95 / idle key p95", filter95, idle95, limit=None,
                    quick=args.quick)
    ok &= check_line(f"filter keystroke p95, {args.uploads:,} uploads", filter95,
                     FILTER_P95_LIMIT, quick=args.quick)
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
