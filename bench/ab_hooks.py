"""A/B of the performance hooks: each must keep earning its place (at least 10% on a target).

Runs ``bench_refresh.py --skip-sdk`` (or ``bench_keys.py`` with ``--keys``) once per variant per
round, variants interleaved in a shuffled order each round, where a variant is "all hooks on"
or "one group of hooks off" (``--without``, see ``benchlib.HOOKS``). Prints, per variant, the
pooled figures of its runs and the change against "all on":

- refresh: key p95 during the refresh-all (each run's own p95, median over runs), the ratio of
  that p95 to the run's idle p95 (the target's figure), ``refresh_many`` / ideal, and the TUI's
  refresh-all / ideal;
- keys: the idle key and the filter keystroke p95.

Usage::

    python bench/ab_hooks.py --rounds 4
    python bench/ab_hooks.py --keys --rounds 3
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from pathlib import Path

from benchlib import machine, median

HERE = Path(__file__).resolve().parent
REFRESH_VARIANTS = {
    "all on": "",
    "no key hand-over / frame resume": "key-handover,frame-resume",
}
KEYS_VARIANTS = {
    "all on": "",
    "no quiet input size": "quiet-input",
}
#: the figures shown (label in the bench's output -> column title)
REFRESH_FIGURES = {
    "during the TUI refresh p95": "key p95 busy, ms",
    "key p95 during refresh / idle key p95": "busy/idle p95",
    "refresh_many / ideal": "refresh_many/ideal",
    "TUI refresh-all / ideal": "TUI R/ideal",
}
KEYS_FIGURES = {
    "idle key (down: cursor moves) p95": "idle key p95, ms",
    "filter keystroke (list updated) p95": "filter p95, ms",
}
_ROW = re.compile(r"^  (\S.*?)\s+\d+\s+([\d.]+) ms\s+([\d.]+) ms")
_RATIO = re.compile(r"^ratio (.+?): ([\d.]+)x")


def run_once(script: str, without: str, extra: list[str]) -> dict[str, float]:
    argv = [sys.executable, str(HERE / script), *extra]
    argv += ["--without", without] if without else []
    out = subprocess.run(argv, capture_output=True, text=True, cwd=HERE, timeout=1200).stdout
    found: dict[str, float] = {}
    for line in out.splitlines():
        if m := _ROW.match(line):
            found[f"{m.group(1)} p95"] = float(m.group(3))
        elif m := _RATIO.match(line):
            found[m.group(1)] = float(m.group(2))
    if not found:
        raise SystemExit(f"no figures in the output of {argv}:\n{out[-2000:]}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--keys", action="store_true", help="bench_keys.py instead of refresh")
    parser.add_argument("--quick", action="store_true", help="pass --quick to the bench")
    args = parser.parse_args()
    script, variants, figures, extra = (
        ("bench_keys.py", KEYS_VARIANTS, KEYS_FIGURES, []) if args.keys
        else ("bench_refresh.py", REFRESH_VARIANTS, REFRESH_FIGURES, ["--skip-sdk"]))
    if args.quick:
        extra.append("--quick")
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    rng = random.Random(11)
    for round_no in range(args.rounds):
        order = list(variants)
        rng.shuffle(order)
        for name in order:
            runs[name].append(run_once(script, variants[name], extra))
            print(f"round {round_no + 1}: {name} done", file=sys.stderr, flush=True)
    keys = list(figures)
    print(f"ab_hooks ({script}): {machine()}; {args.rounds} runs per variant, interleaved; "
          "medians over runs; change against 'all on' (positive: slower without the hook)")
    base = {k: median(r[k] for r in runs["all on"] if k in r) for k in keys
            if any(k in r for r in runs["all on"])}
    print(f"  {'variant':34}" + "".join(f"{figures[k]:>22}" for k in keys))
    for name in variants:
        cells = []
        for k in keys:
            found = [r[k] for r in runs[name] if k in r]
            if not found or k not in base:
                cells.append("-")
                continue
            value = median(found)
            change = (value / base[k] - 1) * 100 if base[k] else 0.0
            cells.append(f"{value:.2f} ({change:+.0f}%)" if name != "all on" else f"{value:.2f}")
        print(f"  {name:34}" + "".join(f"{c:>22}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
