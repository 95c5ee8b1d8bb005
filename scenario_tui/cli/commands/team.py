"""The team's commands: ``team init`` (create or migrate the schema of a PostgreSQL store, and
print the roles and grants a team needs), ``claim ID...`` and ``release ID...`` (claims work on
a local store too: there the holder is the login name).

``claim`` prints ``ID<TAB>HOLDER<TAB>EXPIRES`` per upload (``--json``: an array of
``{"id", "holder", "expiresAt", "mine"}``); exit code 1 when another holds any of them.

A team store is named like a local one: ``--store postgresql://user@host/db``, ``store = "..."``
in a profile, or ``SCENARIO_TUI_STORE``; its password comes from libpq's own sources.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable

from scenario_tui.cli.output import EXIT_FAILED, EXIT_OK, claim_to_json, emit_json, say, tab_lines
from scenario_tui.cli.wiring import build_service, init_team_store
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
    claim = cmd("claim", "claim uploads for yourself for a while, so the team sees who is on "
                         "them (renewed while you act on them)", cmd_claim)
    claim.add_argument("ids", nargs="+", metavar="ID", help="known upload IDs ('-': stdin)")
    claim.add_argument("--minutes", type=float, default=None,
                       help="how long the claim lasts (default: the claim_minutes setting, 30)")
    claim.add_argument("--json", action="store_true", help="print the claims as JSON")
    release = cmd("release", "release your claims on uploads", cmd_release)
    release.add_argument("ids", nargs="+", metavar="ID", help="known upload IDs ('-': stdin)")


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


def _known_ids(service, tokens: list[str]) -> tuple[list[str], int]:
    """The known upload IDs among ``tokens`` (stdin for '-'), each other one said on stderr;
    (IDs, how many were refused)."""
    from scenario_tui.cli.commands.uploads import read_id_tokens
    from scenario_tui.core.ids import parse_ids

    parsed = parse_ids(read_id_tokens(tokens, sys.stdin))
    refused = len(parsed.invalid)
    for _, why in parsed.invalid:
        say(f"invalid: {why}")
    wanted = []
    for upload_id in parsed.valid:
        if service.store.contains(upload_id):
            wanted.append(upload_id)
        else:
            refused += 1
            say(f"not known: {upload_id} (add it first: scenario-tui add {upload_id})")
    return wanted, refused


def cmd_claim(args, settings) -> int:
    if args.minutes is not None and not 1 <= args.minutes <= 24 * 60:
        raise errors.ConfigError("--minutes must be from 1 to 1440.")
    service = build_service(settings, must_exist=True)
    try:
        wanted, refused = _known_ids(service, args.ids)
        result = service.claims.take(wanted, args.minutes) if wanted else None
    finally:
        service.store.close()
    if result is None:
        return EXIT_FAILED
    claims = [*result.mine, *result.held]
    if args.json:
        emit_json([{"id": c.upload_id, **claim_to_json(c, service.claims.me)} for c in claims])
    else:
        tab_lines([(c.upload_id, c.holder, c.expires_at) for c in claims])
    for claim in result.held:
        say(f"{claim.upload_id}: {service.claims.describe(claim)}; left to them.")
    return EXIT_FAILED if result.held or refused else EXIT_OK


def cmd_release(args, settings) -> int:
    service = build_service(settings, must_exist=True)
    try:
        wanted, refused = _known_ids(service, args.ids)
        released = service.claims.release(wanted) if wanted else 0
    finally:
        service.store.close()
    say(f"{released} released" + (f"; {len(wanted) - released} were not yours to release"
                                   if released < len(wanted) else "") + ".")
    return EXIT_FAILED if refused else EXIT_OK
