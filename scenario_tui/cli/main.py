"""``scenario-tui``: parse the arguments, load the settings, run the command, and turn what
escapes it (an expected error, Ctrl+C, a closed pipe) into a message and an exit code.

The grammar is in ``parser``, the wiring in ``wiring``, what is written and the exit codes in
``output``, the commands in ``commands/``. stdout carries data, stderr diagnostics.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, Sequence

from scenario_tui import __version__
from scenario_tui.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, report_error, say
from scenario_tui.cli.parser import build_parser, settings_from, tui_only_args
from scenario_tui.core import errors


@contextmanager
def _translate_interrupts() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        say("Interrupted.")
        raise SystemExit(EXIT_INTERRUPTED) from None


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == ["--version"]:  # answered before the parser and its subcommands are built
        print(f"scenario-tui {__version__}")
        return EXIT_OK
    args = tui_only_args(given) or build_parser().parse_args(given)
    handler = getattr(args, "handler", None)
    if handler is None:  # no subcommand: the TUI
        from scenario_tui.cli.commands import app

        handler = app.cmd_tui
    try:
        with _translate_interrupts():
            settings = settings_from(args)
            for warning in settings.warnings:
                say(f"warning: {warning}")
            return handler(args, settings)
    except errors.ScenarioTuiError as exc:
        report_error(exc)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_FAILED
