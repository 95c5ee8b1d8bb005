"""Checked argument types for the subcommands' flags: a wrong value is a usage error (exit 2)
from argparse, said before anything is read or sent."""

from __future__ import annotations

import argparse

from scenario_tui.core.vocabulary import UPLOAD_KINDS


def positive_int(text: str) -> int:
    """A whole number of at least 1 (``log --limit -5`` used to print everything)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def upload_kind(text: str) -> str:
    """One of the kinds the API is known to take (``import --kind banana`` used to reach the
    API and exit 1 on its HTTP 400)."""
    kind = text.strip().lower()
    if kind not in UPLOAD_KINDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a known kind: one of {', '.join(UPLOAD_KINDS)}")
    return kind
