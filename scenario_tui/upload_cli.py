"""The ``upload`` and ``import`` subcommands (placeholder until the upload issue lands)."""

from __future__ import annotations


def add_commands(cmd):
    """Register subcommands with ``cmd(name, help) -> ArgumentParser``; return name -> handler."""
    return {}
