"""Benchmark: start-up cost of the scripting CLI against a bare ``python -c pass``.

Runs, interleaved and repeated, in fresh processes (wall time of ``subprocess.run``, process
creation included):

- ``python -c pass`` (the floor: interpreter + site, same venv);
- ``scenario-tui --version``;
- ``scenario-tui list --json`` on a store of 10,000 known uploads (10% with snapshots).

Every child runs as an installed app would: bytecode cached (PYTHONPYCACHEPREFIX in the temp
dir) and stdout buffered, even where PYTHONDONTWRITEBYTECODE / PYTHONUNBUFFERED are set (as in
many containers); ``list --json`` is also timed with PYTHONUNBUFFERED=1, for information.
Reports medians, the ratios to ``python -c pass``, the absolute targets (150 ms and 400 ms), and
checks with ``-X importtime`` that neither command imports Textual. Usage::

    python bench/bench_cli.py            # 10,000 uploads, 15 rounds
    python bench/bench_cli.py --quick    # 500 uploads, 3 rounds, no thresholds
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, bench_env, check_line, fill_store, machine, median, ms, ratio_line

VERSION_LIMIT, LIST_LIMIT = 0.150, 0.400


def cli_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m scenario_tui``."""
    script = Path(sys.executable).with_name("scenario-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scenario_tui"]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    out = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=ROOT)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"{command} failed ({out.returncode}):\n{out.stderr.decode()[-2000:]}")
    return seconds


def imports_textual(args: list[str], env: dict[str, str]) -> bool:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "scenario_tui", *args],
                         env=env, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{args} failed:\n{out.stderr[-2000:]}")
    return any(line.rsplit("|", 1)[-1].strip().split(".")[0] == "textual"
               for line in out.stderr.splitlines() if line.startswith("import time:"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="small sizes, no thresholds")
    args = parser.parse_args()
    if args.quick:
        args.uploads, args.rounds = 500, 3

    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp_name:
        tmp = Path(tmp_name)
        store = tmp / "store.db"
        fill_store(store, args.uploads)
        env = bench_env("http://127.0.0.1:9/v1", tmp)  # never contacted: both commands are local
        cli = cli_command()
        list_json = [*cli, "--store", str(store), "list", "--json"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "scenario-tui --version": [*cli, "--version"],
            f"scenario-tui list --json ({args.uploads:,} uploads)": list_json,
            "  the same with PYTHONUNBUFFERED=1": list_json,
        }
        envs = {label: env for label in commands}
        envs["  the same with PYTHONUNBUFFERED=1"] = {**env, "PYTHONUNBUFFERED": "1"}
        listed = subprocess.run(list_json, env=env, capture_output=True, text=True, cwd=ROOT)
        count = len(json.loads(listed.stdout))
        if count != args.uploads:
            raise SystemExit(f"list --json printed {count} uploads, expected {args.uploads}")
        times: dict[str, list[float]] = {label: [] for label in commands}
        for label, command in commands.items():  # warm the page and bytecode caches
            timed(command, envs[label])
        for _ in range(args.rounds):
            for label, command in commands.items():
                times[label].append(timed(command, envs[label]))
        textual_version = imports_textual(["--version"], env)
        textual_list = imports_textual(["--store", str(store), "list", "--json"], env)

    how = "the scenario-tui console script" if len(cli) == 1 else "python -m scenario_tui"
    print(f"bench_cli: {machine()}; {args.rounds} interleaved rounds, median wall time of a "
          f"fresh process; {how}; "
          "bytecode cached, stdout buffered (PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED "
          "unset) unless said")
    base = median(times["python -c pass"])
    for label, values in times.items():
        print(f"  {label:44} median {ms(median(values)):>10}   min {ms(min(values)):>10}")
    labels = list(commands)
    version, listing = median(times[labels[1]]), median(times[labels[2]])
    ok = True
    ok &= ratio_line("--version / python -c pass", version, base, limit=None,
                     quick=args.quick)
    ok &= ratio_line("list --json / python -c pass", listing, base, limit=None,
                     quick=args.quick)
    ok &= check_line("scenario-tui --version", version, VERSION_LIMIT, quick=args.quick)
    ok &= check_line(f"scenario-tui list --json, {args.uploads:,} uploads", listing, LIST_LIMIT,
                     quick=args.quick)
    for label, imported in (("--version", textual_version), ("list --json", textual_list)):
        print(f"check {label} imports Textual: {'yes: MISSED' if imported else 'no: met'}")
        ok &= not imported
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
