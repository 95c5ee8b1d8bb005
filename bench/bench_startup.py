"""Benchmark: time from launch to the first screen showing the list, and resident memory.

Each program is started in a fresh 80x24 tmux session (a private tmux server) and the pane is
polled with ``capture-pane`` every 5 ms (sent through one tmux client in control mode:
``tmuxlib``) until a known text is on screen:

- ``bare``: a bare Textual app showing one line of text (the baseline);
- ``app-big``: ``python -m scenario_tui --store BIG`` with 100,000 known uploads (10% with a
  snapshot), polled until the newest upload's row (its ID as the table shows it) appears;
- ``app-small``: the same with 10 known uploads;
- ``pg-big`` and ``pg-small``: the same two stores copied into a team store (PostgreSQL 15,
  a throwaway cluster started here: ``bench/pglib.py``), ``--store postgresql://...``, as it
  starts every time but the first on a machine: on the front page its last session kept
  (``store.front_page``; a launch ended with ``q`` keeps it before the timed runs), the store
  opened after the first frame;
- ``pg-big-cold`` and ``pg-small-cold``: the same at its first start (no front page kept: its
  data directory is emptied before each launch), the store opened before the first frame.

``--backend`` says which stores run (``sqlite``, ``postgres`` or ``both``, the default; the
bare app always does). With both, the team store's memory is also compared with the local
store's (the issue's budget: at most +30 MB at 100,000 uploads).

The app talks to the fake Scenario API (``scenario-tui fake-api`` in a child process, no
latency); the newest 200 known uploads exist in the fake, so the start-up refresh succeeds.
Variants run interleaved, in a shuffled order each round; the medians are compared. Children
run with bytecode cached and stdout buffered (see benchlib.python_env). Memory: VmRSS and VmHWM
of the program's process (from /proc) right when the marker appeared and again after
``--settle`` seconds. Usage::

    python bench/bench_startup.py             # 100,000 and 10 uploads, 7 rounds
    python bench/bench_startup.py --quick     # 2,000 and 10 uploads, 1 round, no thresholds
    python bench/bench_startup.py --backend sqlite   # the local store only (no PostgreSQL)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    ROOT,
    FakeProcess,
    bench_env,
    fill_store,
    machine,
    median,
    ms,
    proc_memory,
    ratio_line,
)
from tmuxlib import TmuxLab, have_tmux

from scenario_tui.store.front_page import FOLDER

BARE_TEXT = "bare textual app ready"
BARE_APP = f"""
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static({BARE_TEXT!r})

Bare().run()
"""
MIB = 1024 * 1024
LIMITS = {"app-big": 1.3, "app-small": 1.2, "pg-big": 1.3, "pg-small": 1.2,
          "pg-big-cold": 1.3, "pg-small-cold": 1.2}
MEMORY_LIMIT = 60 * MIB
#: the team store's resident memory over the local store's, at 100,000 uploads (issue 18)
TEAM_MEMORY_LIMIT = 30 * MIB


def row_marker(upload_id: str) -> str:
    """The ID as the table shows it at 80 columns (a 22-wide column: 21 characters and '…')."""
    return upload_id[:21]


def wait_gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)
    if os.path.exists(f"/proc/{pid}"):
        os.kill(pid, signal.SIGTERM)  # the program this script started, by its PID


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both",
                        help="which stores to start the app on (default: both)")
    parser.add_argument("--quick", action="store_true", help="small sizes, no thresholds")
    args = parser.parse_args()
    if args.quick:
        args.big, args.rounds, args.settle = 2_000, 1, 0.2
    if not have_tmux():
        raise SystemExit("bench_startup needs tmux")
    sqlite, postgres = args.backend in ("sqlite", "both"), args.backend in ("postgres", "both")
    if postgres:
        from pglib import why_unavailable

        reason = why_unavailable()
        if reason:
            raise SystemExit(f"bench_startup --backend {args.backend}: PostgreSQL is not "
                             f"available here ({reason}); use --backend sqlite")

    names = ["bare"] + (["app-big", "app-small"] if sqlite else []) + (
        ["pg-big", "pg-small", "pg-big-cold", "pg-small-cold"] if postgres else [])
    results: dict[str, list] = {name: [] for name in names}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-startup-")))
        server = stack.enter_context(FakeProcess(tmp))
        fresh = server.create(200)
        started = time.perf_counter()
        files = {"big": tmp / "big.db", "small": tmp / "small.db"}
        fill_store(files["big"], args.big, newest=fresh)
        fill_store(files["small"], args.small, newest=fresh[-min(args.small, 200):])
        filled = time.perf_counter() - started
        stores = {"app-big": str(files["big"]), "app-small": str(files["small"])}
        pg_version, copied = "", 0.0
        if postgres:
            from pglib import TeamCluster, copy_store

            started = time.perf_counter()
            team = stack.enter_context(TeamCluster())
            stores["pg-big"], stores["pg-small"] = team.url, team.new_store("small")
            stores["pg-big-cold"], stores["pg-small-cold"] = stores["pg-big"], stores["pg-small"]
            copy_store(files["big"], stores["pg-big"])
            copy_store(files["small"], stores["pg-small"])
            copied, pg_version = time.perf_counter() - started, team.version()
        env = bench_env(server.base_url, tmp)
        cold_data = tmp / "data-cold"  # no front page kept there (emptied before each launch)
        cold_env = {**env, "SCENARIO_TUI_DATA_DIR": str(cold_data)}
        variants = {"bare": ([sys.executable, "-c", BARE_APP], BARE_TEXT, env)}
        for name in names[1:]:
            variants[name] = ([sys.executable, "-m", "scenario_tui", "--store", stores[name]],
                              row_marker(fresh[-1]), cold_env if name.endswith("-cold") else env)
        order = list(variants)
        rng = random.Random(7)
        with TmuxLab() as lab:
            for name, (argv, marker, run_env) in variants.items():
                # warm-up: page cache, .pyc files; a team store's front page kept (quit with q)
                keeps_page = name in ("pg-big", "pg-small")
                if args.quick and not keeps_page:
                    continue
                launch = lab.launch(argv, run_env, marker, cwd=str(ROOT))
                if keeps_page:
                    time.sleep(args.settle)  # connected: the page is the store's own
                    lab.quit()
                else:
                    lab.stop()
                wait_gone(launch.pid)
            for _ in range(args.rounds):
                rng.shuffle(order)
                for name in order:
                    argv, marker, run_env = variants[name]
                    shutil.rmtree(cold_data / FOLDER, ignore_errors=True)
                    launch = lab.launch(argv, run_env, marker, cwd=str(ROOT))
                    first = proc_memory(launch.pid)
                    time.sleep(args.settle)
                    settled = proc_memory(launch.pid)
                    lab.stop()
                    wait_gone(launch.pid)
                    results[name].append((launch, first, settled))

    print(f"bench_startup: {machine()}; tmux 80x24, capture-pane polled every 5 ms (control mode); "
          f"{args.rounds} round(s), shuffled; stores filled in {filled:.1f} s"
          + (f"; PostgreSQL {pg_version.split()[0]}, team stores copied in {copied:.1f} s"
             if postgres else ""))
    print(f"  {'':34}{'median':>10}{'min':>10}{'max':>10}{'RSS@first':>12}{'RSS+settle':>12}"
          f"{'HWM':>9}")
    labels = {"bare": "bare Textual app (1 line)",
              "app-big": f"scenario-tui, {args.big:,} uploads",
              "app-small": f"scenario-tui, {args.small:,} uploads",
              "pg-big": f"team store, {args.big:,} uploads",
              "pg-small": f"team store, {args.small:,} uploads",
              "pg-big-cold": f"team store, {args.big:,}, first start",
              "pg-small-cold": f"team store, {args.small:,}, first start"}
    summary = {}
    for name, runs in results.items():
        secs = [r[0].seconds for r in runs]
        first = median(r[1]["VmRSS"] for r in runs)
        settled = median(r[2]["VmRSS"] for r in runs)
        hwm = median(r[2]["VmHWM"] for r in runs)
        summary[name] = (median(secs), first, settled, hwm)
        print(f"  {labels[name]:34}{ms(median(secs)):>10}{ms(min(secs)):>10}{ms(max(secs)):>10}"
              f"{first / MIB:>10.1f}MB{settled / MIB:>10.1f}MB{hwm / MIB:>7.1f}MB")
    ok = True
    for name in names[1:]:
        ok &= ratio_line(f"startup {labels[name]} / bare app", summary[name][0],
                         summary["bare"][0], limit=LIMITS[name], quick=args.quick)
    memory = [("app-big", "bare", "bare app", MEMORY_LIMIT)] if sqlite else []
    if postgres:
        memory.append(("pg-big", "bare", "bare app", MEMORY_LIMIT))
    if sqlite and postgres:
        memory.append(("pg-big", "app-big", labels["app-big"], TEAM_MEMORY_LIMIT))
    for name, base, base_label, limit in memory:
        for idx, when in ((1, "at first screen"), (2, f"after {args.settle:g} s"),
                          (3, "peak (HWM)")):
            ok &= memory_line(f"memory {labels[name]} - {base_label}, {when}",
                              summary[name][idx] - summary[base][idx], limit,
                              quick=args.quick, informative=idx == 3)
    return 0 if ok or args.quick else 1


def memory_line(label: str, extra: float, limit: float, *, quick: bool,
                informative: bool) -> bool:
    """Print ``check LABEL: +N MB (target <= +L MB): met|MISSED``; whether it counts as met."""
    if quick:
        print(f"check {label}: {extra / MIB:+.1f} MB (no threshold in quick mode)")
        return True
    met = extra <= limit
    print(f"check {label}: {extra / MIB:+.1f} MB (target <= +{limit / MIB:g} MB"
          f"{', informative' if informative else ''}): {'met' if met else 'MISSED'}")
    return met or informative


if __name__ == "__main__":
    raise SystemExit(main())
