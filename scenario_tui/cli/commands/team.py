"""The team store's commands: ``team init`` (create or migrate the schema of a PostgreSQL store,
and print the roles and grants a team needs).

A team store is named like a local one: ``--store postgresql://user@host/db``, ``store = "..."``
in a profile, or ``SCENARIO_TUI_STORE``; its password comes from libpq's own sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from scenario_tui.cli.output import EXIT_OK, say
from scenario_tui.cli.wiring import init_team_store
from scenario_tui.core import errors

if TYPE_CHECKING:
    import argparse

NEEDS_URL = ("'team init' works on a team store: give --store postgresql://USER@HOST/DB (or a "
             "profile's store, or SCENARIO_TUI_STORE); the password comes from PGPASSWORD, "
             "~/.pgpass or a service file.")


def add_commands(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare these subcommands with ``cmd(name, help, handler) -> ArgumentParser``."""
    team = cmd("team", "the team store (PostgreSQL): 'team init' creates or upgrades its schema "
                       "and prints the grants it needs", cmd_team)
    team.add_argument("what", choices=("init",), metavar="init",
                      help="init: create or upgrade the schema (safe to run again, and by two "
                           "members at once)")


def cmd_team(args, settings) -> int:
    from scenario_tui.core.store_url import describe

    if not settings.store_url:
        raise errors.ConfigError(NEEDS_URL, title="No team store given")
    report = init_team_store(settings.store_url)
    where = describe(settings.store_url)
    if report.applied:
        say(f"{where}: applied {', '.join(report.applied)} "
            f"(schema {report.version}).")
    else:
        say(f"{where}: schema {report.version} is up to date; nothing to do.")
    say("The roles and grants a team needs (run them once as the database's owner; "
        "printed on stdout):")
    print(report.grants_sql())
    return EXIT_OK
