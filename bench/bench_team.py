"""Benchmark: a team of members (processes) completing a shared queue on one team store.

A throwaway PostgreSQL 15 cluster (``bench/pglib.py``) holds the team store; the fake Scenario
API is served by ``scenario-tui fake-api`` in a child process with 50 ms latency per request
(``POST /_fake/latency``, as bench_refresh.py sets it). The fake creates ``--uploads`` pending
uploads; the store is filled as a team would fill it (``service.add``, then
``service.refresh_many``: every upload shows ``pending``), before the latency is set.

Each member is a process of its own, logged in as a database role of its own (in the team's
group role, with the grants ``team init`` prints), with a service built by the CLI's wiring.
What a member does is what a person does with ``p``, ``t`` and ``c``: list the pending uploads
(``store.ids(status="pending")``), leave those someone else has claimed, claim a batch of the
rest (``service.claims.take``: the database decides who gets what; ``--batch`` uploads, fewer
near the end of the queue so that one member's last batch does not keep the others idle: at
most the free uploads divided by the members holding claims), complete the batch with the
service's own complete (the intent ledger, the re-read, one POST: ``service.complete``, as part
of one ``bulk_complete`` per batch, which reads the batch's intents at once, lets at most
``--concurrency`` of its requests be at the API at once, POSTs first, and writes its summary, as
``c`` on marked uploads does; the store is called in threads, as the TUI calls it, so that its
writes overlap the next request; a complete that goes through ends its claim), release the
claims of the uploads not sent, and start again until nothing is pending. An upload completed
by someone between a member's read and its claim is skipped by the re-read, never sent twice.

Afterwards the POSTs are counted at the fake (``GET /_fake/requests``): zero duplicates, every
upload completed once, and the time from the start signal to the last member's end is compared
with the ideal for the total concurrency::

    ideal = uploads x round trips per complete x latency / (members x concurrency per member)

where a complete is 2 round trips (the re-read the ledger needs, then the POST). Usage::

    python bench/bench_team.py                 # 20 members, 10,000 uploads, 50 ms latency
    python bench/bench_team.py --quick         # 3 members, 60 uploads, no thresholds
    python bench/bench_team.py --phases        # and where a member's wall time goes
    python bench/bench_team.py --members 1 --uploads 200 --db-rtt 0.005
                                               # the team store 5 ms away (bench/netdelay.py)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchlib import (
    HOOKS,
    KEY,
    SECRET,
    FakeProcess,
    bench_env,
    machine,
    proc_cpu,
    ratio_line,
    switch_off,
)

#: round trips per complete: the re-read (GET), then the POST
ROUND_TRIPS = 2
#: the issue's target: at least this share of the ideal throughput
THROUGHPUT_TARGET = 0.9


def settings_for(base_url: str, url: str, profile: str = "bench"):
    from scenario_tui.core.config import Settings

    return Settings(base_url=base_url, api_key=KEY, api_secret=SECRET, store_url=url,
                    profile=profile, max_retries=0)


# --- a member ------------------------------------------------------------------------------------


async def work(service, number: int, batch: int, concurrency: int, look: int,
               seconds: float) -> dict:
    """Take batches from the shared queue until nothing is pending that this member has not
    tried, for ``seconds`` at most; what happened."""
    import random

    from scenario_tui.core import errors
    from scenario_tui.service.bulk_complete import ERROR

    rng = random.Random(number)
    deadline = time.monotonic() + seconds
    store = service.store
    done: Counter[str] = Counter()

    async def complete(upload_id: str, tally) -> None:
        try:
            result = await service.complete(upload_id, tally)
        except errors.ScenarioTuiError as exc:
            done[f"refused: {type(exc).__name__}"] += 1
            tally.not_sent(upload_id, ERROR)
            return
        done["sent" if result.sent else "skipped (not pending at the re-read)"] += 1
        if result.sent:  # its answer is saved: no longer listed as pending
            tried.discard(upload_id)
        tally.result(result)

    # a person does not try the same upload again and again (those sent leave the pending list)
    tried: set[str] = set()
    while time.monotonic() < deadline:
        pending = [i for i in store.ids(status="pending", sort="added", descending=False,
                                        limit=look + len(tried)) if i not in tried][:look]
        if not pending:
            break
        held = store.claims(pending)
        free = [i for i in pending if i not in held]
        if not free:  # all claimed by others, who are on them: look again shortly
            done["waits"] += 1
            await asyncio.sleep(0.05)
            continue
        # leave some for the others: near the end of the queue, smaller claims (a claim
        # of 10 taken last would keep the others idle while it is worked through)
        others = len({claim.holder for claim in held.values()})
        size = max(1, min(batch, len(free) // (others + 1)))
        taken = service.claims.take(rng.sample(free, size))
        done["claims lost to another member"] += len(taken.held)
        mine = [claim.upload_id for claim in taken.mine]
        tried.update(mine)
        done["batches"] += 1
        tally = service.bulk_complete(mine, concurrency)  # requests in flight, POSTs first
        await asyncio.gather(*(complete(i, tally) for i in mine))
        unsent = [i for i in mine if i in tried]  # a complete that went through ended its claim
        if unsent:
            service.claims.release(unsent)
    else:
        done["gave up at the deadline"] += 1
    return dict(done)


def member(args) -> int:
    """One member's process: build the service, say ready, wait for the start line, work."""
    from scenario_tui.cli.wiring import build_service

    settings = settings_for(args.base_url, args.member, profile=f"member {args.number}")
    service = build_service(settings, holder_label=f"bench member {args.number}")
    service.keep_loop_free = True  # as the TUI's: the store's writes overlap the requests
    service.warm_up()
    phases: dict[str, float] = {}
    if args.phases:
        time_phases(service, phases)

    async def run() -> dict:
        async with service.client:
            print("ready", flush=True)
            sys.stdin.readline()
            started, cpu = time.perf_counter(), used_cpu()
            counts = await work(service, args.number, args.batch, args.concurrency, args.look,
                                args.deadline)
            return {"member": args.number, "actor": service.store.actor,
                    "seconds": time.perf_counter() - started, "ended": time.time(),
                    "cpu": used_cpu() - cpu, "phases": phases, **counts}

    if args.profile:
        import cProfile

        profile = cProfile.Profile()
        result = profile.runcall(asyncio.run, run())
        profile.dump_stats(Path(args.profile) / f"member-{args.number}.prof")
    else:
        result = asyncio.run(run())
    print(json.dumps(result), flush=True)
    sys.stdin.readline()  # connected until the coordinator has read the server's CPU time
    service.store.close()
    return 0


#: what ``--phases`` times in each member: the store's verbs a complete and a batch use, and
#: the two requests
_TIMED = {"store": ("latest_intent", "latest_intents", "ids", "claims", "claim", "release",
                    "begin_intent", "settle_intent"),
          "client": ("get_upload", "complete_upload")}


def time_phases(service, phases: dict[str, float]) -> None:
    """Add to ``phases`` the wall-clock seconds spent in each verb of ``_TIMED`` (by name)."""
    import functools

    def timed(owner, name: str) -> None:
        call = getattr(owner, name)
        label = name
        if asyncio.iscoroutinefunction(call):
            @functools.wraps(call)
            async def waited(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return await call(*args, **kwargs)
                finally:
                    phases[label] = phases.get(label, 0.0) + time.perf_counter() - started
            setattr(owner, name, waited)
        else:
            @functools.wraps(call)
            def ran(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return call(*args, **kwargs)
                finally:
                    phases[label] = phases.get(label, 0.0) + time.perf_counter() - started
            setattr(owner, name, ran)

    for name in _TIMED["store"]:
        timed(service.store, name)
    for name in _TIMED["client"]:
        timed(service.client, name)


def used_cpu() -> float:
    """CPU seconds (user + system) this process has used so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the coordinator ----------------------------------------------------------------------------


def fake_get(server: FakeProcess, path: str) -> dict:
    import http.client

    conn = http.client.HTTPConnection(str(server.host), server.port, timeout=120)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


async def seed(base_url: str, url: str, ids: list[str]) -> float:
    """The queue as the team sees it: every upload added, then refreshed (pending)."""
    from scenario_tui.cli.wiring import build_service

    service = build_service(settings_for(base_url, url, profile="lead"))
    started = time.perf_counter()
    async with service.client:
        service.add(ids)
        await service.refresh_many(ids, concurrency=12)
    service.store.close()
    return time.perf_counter() - started


def cpu_times() -> tuple[int, int]:
    """The machine's busy and total CPU time so far, in clock ticks (/proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def run_members(args, server: FakeProcess, team, urls: list[str],
                tmp: Path) -> tuple[float, list, dict[str, float]]:
    """Start the members, wait until each is ready, start them at once; the seconds from the
    start line to the last member's end (its own clock reading when its queue was empty: the
    processes' exits are not counted), each member's report, and where the CPU time went
    meanwhile: the machine's busy share (every process: members, fake, PostgreSQL, others'),
    and the seconds used by the members, the fake and the PostgreSQL server."""
    env = bench_env(server.base_url, tmp)
    procs = [subprocess.Popen(
        [sys.executable, __file__, "--member", url, "--number", str(i), "--base-url",
         server.base_url, "--batch", str(args.batch), "--concurrency", str(args.concurrency),
         "--look", str(args.look), "--deadline", str(args.deadline),
         "--without", args.without] + (["--phases"] if args.phases else [])
        + (["--profile", args.profile] if args.profile else []),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        stderr=open(tmp / f"member-{i}.log", "w")) for i, url in enumerate(urls)]
    try:
        for i, proc in enumerate(procs):
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"member {i} did not start: {line!r}; "
                                   + (tmp / f"member-{i}.log").read_text()[-2000:])
        fake_cpu, server_cpu = proc_cpu(server.proc.pid), team.server_cpu()
        xacts = team.transactions()
        started = time.time()  # the wall clock: the members report their end on it
        cpu_before = cpu_times()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for i, proc in enumerate(procs):
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                proc.wait(timeout=60)
                raise RuntimeError(f"member {i} exited {proc.returncode}: "
                                   + (tmp / f"member-{i}.log").read_text()[-2000:])
            reports.append(json.loads(line))
        cpu_after = cpu_times()
        xacts = team.transactions() - xacts
        cpu = {"busy": (cpu_after[0] - cpu_before[0]) / max(cpu_after[1] - cpu_before[1], 1),
               "members": sum(r["cpu"] for r in reports),
               "fake": proc_cpu(server.proc.pid) - fake_cpu,
               "postgres": sum(v - server_cpu.get(pid, 0.0)
                               for pid, v in team.server_cpu().items()),
               "transactions": xacts}
        for i, proc in enumerate(procs):
            proc.communicate("bye\n", timeout=60)
            if proc.returncode != 0:
                raise RuntimeError(f"member {i} exited {proc.returncode}: "
                                   + (tmp / f"member-{i}.log").read_text()[-2000:])
        return max(r["ended"] for r in reports) - started, reports, cpu
    finally:
        for proc in procs:  # the members this function started
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def relay(team, rtt: float, stack: contextlib.ExitStack) -> int:
    """The port of a ``bench/netdelay.py`` process in front of the team's server (started once,
    stopped with ``stack``)."""
    if not hasattr(team, "relay_port"):
        socket = team.cluster.socket_dir / ".s.PGSQL.5432"
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("netdelay.py")),
                                 "--rtt", str(rtt), "--to", str(socket)],
                                stdout=subprocess.PIPE, text=True)
        stack.callback(lambda: (proc.kill(), proc.wait()))
        assert proc.stdout is not None
        team.relay_port = int(proc.stdout.readline())
    return int(team.relay_port)


def through_relay(url: str, port: int) -> str:
    """``url`` (over the cluster's socket) as the same user and database over the relay."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"postgresql://{parts.username}@127.0.0.1:{port}{parts.path}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=1,
                        help="completes in flight per member (default 1: one after the other, "
                        "as scenario-tui complete sends them)")
    parser.add_argument("--batch", type=int, default=10, help="uploads a member claims at once")
    parser.add_argument("--look", type=int, default=0,
                        help="pending uploads a member reads before claiming (default: batch x "
                        "members x 2)")
    parser.add_argument("--deadline", type=float, default=0, help="seconds after which the "
                        "members stop (default: 20 x the ideal, at least 60)")
    parser.add_argument("--db-rtt", type=float, default=0.0, help="seconds each round trip to "
                        "the team store costs the members (bench/netdelay.py between them and "
                        "the server, as for a server on another machine; default 0: its socket)")
    parser.add_argument("--quick", action="store_true", help="3 members, 60 uploads, no "
                        "thresholds (the counts are still checked)")
    parser.add_argument("--phases", action="store_true", help="time the store's verbs and the "
                        "requests in each member (wall clock, per upload)")
    parser.add_argument("--profile", default="", metavar="DIR",
                        help="write each member's cProfile statistics to DIR/member-N.prof")
    parser.add_argument("--without", default="", metavar="HOOK,...",
                        help="switch these performance hooks off in the members "
                        f"(benchlib.HOOKS: {', '.join(HOOKS)})")
    # a member's process (started by the coordinator)
    parser.add_argument("--member", help=argparse.SUPPRESS)
    parser.add_argument("--number", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.member:
        switch_off(args.without)
        return member(args)
    switch_off(args.without)  # an unknown name stops here, before anything is started
    if args.quick:
        args.members, args.uploads, args.batch = 3, 60, 5
    args.look = args.look or args.batch * args.members * 2
    ideal = args.uploads * ROUND_TRIPS * args.latency / (args.members * args.concurrency)
    args.deadline = args.deadline or max(60.0, 20 * ideal)

    from pglib import TeamCluster

    with tempfile.TemporaryDirectory(prefix="bench-team-") as tmp_name, \
            TeamCluster() as team, FakeProcess(Path(tmp_name)) as server, \
            contextlib.ExitStack() as stack:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        ids = server.create(args.uploads)
        created = time.perf_counter() - started
        seeded = asyncio.run(seed(server.base_url, team.url, ids))
        urls = team.members(args.members)
        if args.db_rtt > 0:
            urls = [through_relay(url, relay(team, args.db_rtt, stack)) for url in urls]
        before = len(fake_get(server, "/_fake/requests")["requests"])
        server.latency(args.latency)
        load = os.getloadavg()
        seconds, reports, cpu = run_members(args, server, team, urls, tmp)
        requests = fake_get(server, "/_fake/requests")["requests"][before:]
        statuses = {u["id"]: u["status"] for u in fake_get(server, "/_fake/uploads")["uploads"]}
        version = team.version()
        intents = dict(team.rows("SELECT state, count(*) FROM intents GROUP BY state"))
        sent_twice = team.rows("SELECT upload_id FROM intents WHERE state = 'sent'"
                               " GROUP BY upload_id HAVING count(*) > 1")
        actors = len(team.rows("SELECT DISTINCT actor FROM intents"))
        left_pending = team.rows("SELECT count(*) FROM uploads WHERE status = 'pending'")[0][0]

    posts = Counter(r["path"].split("/")[-2] for r in requests
                    if r["method"] == "POST" and r["path"].endswith("/action"))
    gets = sum(1 for r in requests if r["method"] == "GET")
    wanted = set(ids)
    duplicates = {i: n for i, n in posts.items() if n > 1}
    missing = sorted(wanted - set(posts))
    unknown = sorted(set(posts) - wanted)
    still_pending = sorted(i for i in ids if statuses.get(i) == "pending")
    totals: Counter[str] = Counter()
    for report in reports:
        totals.update({k: v for k, v in report.items() if isinstance(v, int)
                       and k not in ("member", "ended", "cpu")})
    per_upload = (cpu["members"] + cpu["postgres"] + cpu["fake"]) / args.uploads
    concurrency = args.members * args.concurrency

    network = (f", {args.db_rtt * 1000:g} ms per round trip to the team store (bench/netdelay.py)"
               if args.db_rtt > 0 else "")
    off = f"; hooks off in the members: {args.without}" if args.without else ""
    print(f"bench_team: {machine()}, PostgreSQL {version.split()[0]}{network}{off}; "
          f"{args.members} "
          f"members (processes, a database role each) x concurrency {args.concurrency}, "
          f"{args.uploads:,} pending uploads, claims of {args.batch}, fake on loopback with "
          f"{args.latency * 1000:g} ms latency per request")
    print(f"  set-up: {args.uploads:,} created at the fake in {created:.1f} s; added and "
          f"refreshed into the team store in {seeded:.1f} s")
    print(f"  ideal {args.uploads:,} x {ROUND_TRIPS} round trips x {args.latency * 1000:g} ms / "
          f"({args.members} x {args.concurrency}): {ideal:.2f} s")
    print(f"  machine: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before the "
          f"members started; CPU {cpu['busy']:.0%} busy while they ran ({os.cpu_count()} cores): "
          f"{cpu['members']:.1f} s in the members, {cpu['postgres']:.1f} s in PostgreSQL, "
          f"{cpu['fake']:.1f} s in the fake ({per_upload * 1000:.1f} ms per upload: at most "
          f"{os.cpu_count() / per_upload:.0f} completes/s on {os.cpu_count()} cores)")
    print(f"  members done in {seconds:.2f} s ({args.uploads / seconds:.0f} completes/s; "
          f"slowest member {max(r['seconds'] for r in reports):.2f} s, fastest "
          f"{min(r['seconds'] for r in reports):.2f} s)")
    print(f"  at the fake: {sum(posts.values()):,} complete POSTs for {len(posts):,} uploads, "
          f"{gets:,} GETs ({(gets + sum(posts.values())) / max(len(posts), 1):.2f} round trips "
          f"per completed upload)")
    if args.phases:
        timed: Counter[str] = Counter()
        for report in reports:
            timed.update(report["phases"])
        print(f"  phases: a member's wall time per upload "
              f"{sum(r['seconds'] for r in reports) * 1000 / args.uploads:.1f} ms; time in each "
              "verb per upload (ms; the store's writes overlap the requests) "
              + "; ".join(f"{k} {v * 1000 / args.uploads:.2f}" for k, v in
                          sorted(timed.items(), key=lambda kv: -kv[1])))
    print("  members: " + "; ".join(f"{k} {v:,}" for k, v in sorted(totals.items())))
    print(f"  team store: {cpu['transactions'] / args.uploads:.1f} transactions per upload"
          f" (members' claims and reads included); intents {dict(sorted(intents.items()))}, "
          f"by {actors} actors; {left_pending} left pending")
    ok = True
    for label, bad in (("duplicate POSTs (same upload twice)", sorted(duplicates)),
                       ("uploads never completed", missing),
                       ("POSTs for uploads not in the queue", unknown),
                       ("uploads still pending at the fake", still_pending),
                       ("uploads with two 'sent' intents", [r[0] for r in sent_twice])):
        ok &= not bad
        example = f" (e.g. {bad[0]})" if bad else ""
        print(f"check {label}: {len(bad)}{example} (target 0): {'MISSED' if bad else 'met'}")
    ratio_line("team time / ideal", seconds, ideal, limit=None, quick=False)
    throughput = ideal / seconds
    if args.quick:
        print(f"ratio team throughput / ideal: {throughput:.2f}x (no threshold in quick mode)")
    else:
        met = throughput >= THROUGHPUT_TARGET
        ok &= met
        print(f"ratio team throughput / ideal: {throughput:.2f}x (target >= "
              f"{THROUGHPUT_TARGET:g}x): {'met' if met else 'MISSED'}")
    one_trip = args.uploads * args.latency / concurrency
    ratio_line("team time / one round trip per upload (uploads x latency / concurrency)",
               seconds, one_trip, limit=None, quick=args.quick)
    counts_ok = not (duplicates or missing or unknown or still_pending or sent_twice)
    return 0 if ok or (args.quick and counts_ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())
