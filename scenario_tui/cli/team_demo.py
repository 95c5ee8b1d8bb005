"""``scenario-tui demo --team``: the team features at work, with nothing to set up. A throwaway
PostgreSQL cluster (``store.postgres.cluster``: removed on exit, on SIGTERM and SIGHUP too), the
team store's schema and roles on it, the fake API with the plain demo's sample uploads, and the
TUI as "me", while a simulated teammate, "ann" (``cli.teammate``: her own database role,
connection and service), claims, notes and completes uploads every few seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenario_tui.cli.output import say
from scenario_tui.core import errors

if TYPE_CHECKING:
    import argparse

    from scenario_tui.core.config import Settings
    from scenario_tui.fake.scenario import FakeScenario
    from scenario_tui.store.postgres.cluster import Cluster

#: the demo's user (the TUI) and the simulated teammate: database roles of the team's group
ME, ANN = "me", "ann"
DATABASE = "scenario_demo"
#: seconds between two of the teammate's steps (--teammate-pace)
DEFAULT_PACE = 4.0
NEEDS_SERVER = ("demo --team needs the PostgreSQL server binaries (initdb, pg_ctl; Debian "
                "package postgresql)")


def check_team_demo(args: argparse.Namespace) -> Path | None:
    """For ``demo --team``: the directory of the server binaries, once every prerequisite is
    there; else ``PostgresUnavailableError`` (exit code 2) saying what is missing, before
    anything is started. None for the plain demo (which refuses the team's flags)."""
    from importlib.util import find_spec

    from scenario_tui.cli.wiring import TEAM_EXTRA_HINT
    from scenario_tui.store.postgres import cluster

    if not args.team:
        if args.teammate_pace is not None:
            raise errors.ConfigError("--teammate-pace goes with --team (demo --team).")
        return None
    if args.teammate_pace is None:
        args.teammate_pace = DEFAULT_PACE
    if args.teammate_pace < 0:
        raise errors.ConfigError("--teammate-pace must be 0 or more seconds.")
    title = "PostgreSQL not available"
    bindir = cluster.find_bindir()
    if bindir is None:
        raise cluster.PostgresUnavailableError(
            f"{NEEDS_SERVER}: none were found on PATH or by pg_config. Install them, or run "
            "the plain demo (scenario-tui demo).", title=title)
    reason = cluster.why_cannot_run(bindir)
    if reason is not None:
        raise cluster.PostgresUnavailableError(f"demo --team cannot start PostgreSQL here: "
                                               f"{reason}.", title=title)
    if find_spec("psycopg") is None:
        raise cluster.PostgresUnavailableError(
            f"demo --team needs the 'team' extra (psycopg): {TEAM_EXTRA_HINT}.", title=title)
    return bindir


def set_up_team(server: Cluster, database: str = DATABASE,
                members: tuple[str, ...] = (ME, ANN)) -> dict[str, str]:
    """A team store on ``server``: the database, its schema (``team init``), the team's group
    role with the grants ``team init`` prints, and a login role in it per member; the URL each
    member connects with."""
    from scenario_tui.cli.wiring import init_team_store
    from scenario_tui.store.postgres.team import GROUP_ROLE

    server.create_database(name=database)
    report = init_team_store(server.url(database))
    roles = [f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{member}') THEN"
             f" CREATE ROLE {member} LOGIN IN ROLE {GROUP_ROLE}; END IF; END $$"
             for member in members]  # roles belong to the cluster: made once
    server.execute(report.grants_sql(GROUP_ROLE), *roles, database=database)
    return {member: server.url(database, member) for member in members}


def team_settings(settings: Settings, base_url: str, store_url: str) -> Settings:
    """The demo's settings for one member: the served fake, the team store as that member."""
    return settings.with_overrides(
        base_url=base_url, api_key="demo-key", api_secret="demo-secret", jwt=None,
        project_id=None, store_url=store_url, demo=True, profile="demo", read_only=False,
        warnings=())


def run_team_demo(args: argparse.Namespace, settings: Settings, bindir: Path, *,
                  holder_label: str) -> Any:
    """Start it all, run the TUI until it is quit, take it all down; the app, once ended.
    ``holder_label`` names the TUI in the intents it holds."""
    import time

    from scenario_tui.fake.scenario import FakeScenario
    from scenario_tui.fake.server import serve
    from scenario_tui.store.postgres.cluster import Cluster, remove_on_signals

    say("demo --team: starting a throwaway PostgreSQL cluster (removed on exit)...")
    fake = FakeScenario(step_seconds=args.step_seconds, seed_epoch=time.time() - 5400)
    with Cluster.start(bindir, prefix="scenario-tui-team-demo-") as server:
        restore = remove_on_signals(server)
        try:
            with serve(fake) as api:
                app = _run_with(args, settings, server, fake, api.base_url, holder_label)
        finally:
            restore()
    say("demo --team: the PostgreSQL cluster is stopped and removed.")
    return app


def _run_with(args: argparse.Namespace, settings: Settings, server: Cluster,
              fake: FakeScenario, base_url: str, holder_label: str) -> Any:
    from scenario_tui.cli.demo_seed import seed_demo_store
    from scenario_tui.cli.teammate import TeammateThread
    from scenario_tui.cli.wiring import build_service, open_store

    urls = set_up_team(server)
    mine = team_settings(settings, base_url, urls[ME])
    service = build_service(mine, holder_label=holder_label, store=open_store(mine, warn=False))
    try:
        seed_demo_store(service.store, fake)
        ann = TeammateThread(team_settings(settings, base_url, urls[ANN]),
                             pace=args.teammate_pace)
        ann.start()
        try:
            from scenario_tui.tui.app import ScenarioApp

            app = ScenarioApp(service, mine)
            app.run()
        finally:
            ann.stop()
    finally:
        service.store.close()
    if ann.error is not None:
        say(f"demo --team: the simulated teammate stopped early: {ann.error}")
    return app
