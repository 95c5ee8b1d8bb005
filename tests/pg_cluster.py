"""The pytest side of the throwaway PostgreSQL cluster (``scenario_tui.store.postgres.cluster``,
shared with ``demo --team``): one per test session, started when a test first asks for it,
stopped and removed at the end of the session (also on Ctrl+C: atexit).

Without the server binaries (``initdb``, ``pg_ctl``) or psycopg, the tests that need the cluster
are skipped saying why, unless ``SCENARIO_TUI_REQUIRE_POSTGRES=1`` (CI): then it is a failure.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path
from typing import NoReturn

import pytest

from scenario_tui.store.postgres.cluster import (
    SUPERUSER,
    Cluster,
    ClusterError,
    find_bindir,
    why_cannot_run,
)

__all__ = ["SUPERUSER", "Cluster", "ClusterError", "find_bindir", "migrate", "required",
           "unavailable", "why_unavailable", "TEMPLATE"]

#: set to 1 where a missing PostgreSQL must fail the tests rather than skip them (CI)
REQUIRE_VARIABLE = "SCENARIO_TUI_REQUIRE_POSTGRES"
#: the database holding the migrated schema, copied for each test
TEMPLATE = "scenario_template"


def required() -> bool:
    """Whether a missing server fails the tests (``SCENARIO_TUI_REQUIRE_POSTGRES=1``)."""
    return os.environ.get(REQUIRE_VARIABLE, "").strip() == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the test that needs PostgreSQL, saying why; fail it instead when it is required."""
    if required():
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1: PostgreSQL is required here)",
                    pytrace=False)
    pytest.skip(f"{reason}: the PostgreSQL tests need it (set {REQUIRE_VARIABLE}=1 to fail "
                "instead of skipping)")


def why_unavailable(bindir: Path | None) -> str | None:
    """What stops the tests from running the cluster, or None."""
    if find_spec("psycopg") is None:
        return "psycopg is not installed (the 'team' extra)"
    return why_cannot_run(bindir)


def migrate(url: str) -> object:
    """The team store's schema set-up (``team init``) on the database at ``url``."""
    from scenario_tui.store.postgres.team import init_schema

    return init_schema(url)
