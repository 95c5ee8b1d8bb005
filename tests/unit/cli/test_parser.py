"""The parser: the TUI's fast reading of global flags agrees with the full parser."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("argv", [
    [], ["--store", "x.db"], ["--read-only"], ["--profile", "p", "--base-url", "https://a.b"],
    ["--store", "list"], ["--project-id", "p1", "--allow-insecure-http"], ["--store=x.db"],
    ["--store", "a.db", "--read-only", "--store", "b.db"], ["--base-url=https://a.b/v1?x=1"],
    ["--profile", ""],
])
def test_tui_arguments_parse_as_the_full_parser_does(argv):
    """The TUI's arguments skip building the subcommand parsers, with the very same result."""
    from scenario_tui.cli.parser import build_parser, tui_only_args

    fast = tui_only_args(argv)
    assert fast is not None
    assert vars(fast) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [
    ["list"], ["--store"], ["--bogus"], ["-h"], ["--store", "x", "add", "up_1"], ["--ver"],
    ["upload", "f.png"], ["--sto", "x.db"], ["--read-only=yes"], ["--store", "--read-only"],
    ["--help"], ["--"], ["x.db"],
])
def test_anything_but_global_flags_goes_to_the_full_parser(argv):
    from scenario_tui.cli.parser import tui_only_args

    assert tui_only_args(argv) is None


def test_an_abbreviated_flag_still_starts_the_tui_through_the_full_parser():
    from scenario_tui.cli.parser import build_parser

    args = build_parser().parse_args(["--sto", "x.db", "--read"])
    assert args.command is None and str(args.store) == "x.db" and args.read_only is True
