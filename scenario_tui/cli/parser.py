"""The command line's grammar: the global flags, the parser with every subcommand, and the
settings the parsed arguments select.

Each module of ``cli/commands`` declares its own subcommands (flags and handler); the parser
only gathers them. A handler is set as the ``handler`` default of its subcommand; no subcommand
means the TUI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from scenario_tui import __version__

if TYPE_CHECKING:
    import argparse

    from scenario_tui.core.config import Settings

#: the global flags: the type of each one's value (None: a switch), and its help
GLOBAL_FLAGS: dict[str, tuple[Callable[[str], Any] | None, str]] = {
    "--profile": (str, "named profile from the config file"),
    "--base-url": (str, "API base URL (env SCENARIO_BASE_URL)"),
    "--project-id": (str, "projectId sent with every call"),
    # checked (not empty; a URL without a password) with the rest
    "--store": (str, "the store: a local file's path, or a team store's "
                     "postgresql://USER@HOST/DB (env SCENARIO_TUI_STORE)"),
    "--new-store": (None, "let the TUI create a --store file that does not exist yet (add, "
                          "upload, import and complete create one anyway)"),
    "--read-only": (None, "refuse every mutation"),
    "--allow-insecure-http": (None, "allow plain http:// to a non-loopback host"),
}


def _global_flags() -> argparse.ArgumentParser:
    """A parent parser with the global flags, given to the top parser and to every subcommand so
    that they are accepted before or after it."""
    import argparse

    parent = argparse.ArgumentParser(add_help=False)
    for flag, (value_type, help_) in GLOBAL_FLAGS.items():
        if value_type is not None:
            parent.add_argument(flag, default=argparse.SUPPRESS, help=help_, type=value_type)
        else:
            parent.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=help_)
    return parent


def build_parser() -> argparse.ArgumentParser:
    import argparse

    # the subcommands' modules load here, not with this one: the TUI's start-up parses its
    # arguments without them (``tui_only_args``)
    from scenario_tui.cli.commands import app, team, transfers, triage, uploads

    flags = _global_flags()
    parser = argparse.ArgumentParser(
        prog="scenario-tui", parents=[flags],
        description="Triage, complete and follow Scenario uploads, in a TUI or from scripts.",
    )
    parser.add_argument("--version", action="version", version=f"scenario-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str, handler: Callable[..., int]) -> argparse.ArgumentParser:
        command = sub.add_parser(name, parents=[flags], help=help_, description=help_)
        command.set_defaults(handler=handler)
        return command

    for module in (app, uploads, triage, transfers, team):
        module.add_commands(cmd)
    return parser


def tui_only_args(given: Sequence[str]) -> Any:
    """The arguments when they are global flags alone, spelled out (``--store X`` or
    ``--store=X``): the TUI starts without importing argparse or building the subcommands'
    parsers (a start-up cost). None for anything else (a subcommand or any other token, help,
    an abbreviated or unknown flag, a missing value): the full parser takes those, with its
    usual messages. The result has the same attributes as the full parser's."""
    from types import SimpleNamespace

    values: dict[str, Any] = {}
    tokens = iter(given)
    for token in tokens:
        flag, equals, value = token.partition("=")
        if flag not in GLOBAL_FLAGS:
            return None
        value_type = GLOBAL_FLAGS[flag][0]
        if value_type is None:  # a switch
            if equals:
                return None
            values[flag[2:].replace("-", "_")] = True
            continue
        if not equals:
            following = next(tokens, None)
            if following is None or following.startswith("-"):
                return None
            value = following
        values[flag[2:].replace("-", "_")] = value_type(value)
    return SimpleNamespace(**values, command=None)


def settings_from(args: Any) -> Settings:
    """The settings for parsed ``args``: its global flags over the environment, the config file
    and the defaults."""
    from scenario_tui.core.config import load_settings

    keys = ("profile", "base_url", "project_id", "store", "read_only", "allow_insecure_http")
    return load_settings({k: getattr(args, k, None) for k in keys})
