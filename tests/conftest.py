"""Shared fixtures: a fake Scenario API (in-process or on loopback), settings on a temp store,
and the app's real wiring (``cli.wiring.build_service``) on top of them."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core.config import Settings
from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.server import serve
from tests.pg_cluster import (
    TEMPLATE,
    Cluster,
    ClusterError,
    find_bindir,
    unavailable,
    why_unavailable,
)
from tests.pg_cluster import migrate as migrate_team_schema


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    """Never touch the real user's config or data."""
    monkeypatch.setenv("SCENARIO_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SCENARIO_TUI_CONFIG", str(tmp_path / "config.toml"))
    # copies go out with OSC 52 only: never into the tmux the tests may run in, never a dialog
    # (tests/tui/test_clipboard.py sets the other routes itself)
    monkeypatch.setenv("SCENARIO_TUI_CLIPBOARD", "osc52")
    for name in ("SCENARIO_SDK_API_KEY", "SCENARIO_SDK_API_SECRET", "SCENARIO_SDK_JWT",
                 "SCENARIO_BASE_URL", "SCENARIO_PROJECT_ID", "SCENARIO_TUI_PROFILE",
                 "SCENARIO_CUSTOM_HEADERS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_frozen_objects_carried_over():
    """The TUI freezes what its start-up built (``gc.freeze``): right for one app per process.
    Here apps come one after another, so each test gives back what was frozen in it and
    collects it. Carried over, every app's objects (its garbage too) piled up across the suite
    and came back together in one full collection of about 1.2 s, in the middle of a test
    with a 0.5 s timeout."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()


@pytest.fixture
def fake() -> FakeScenario:
    return FakeScenario(step_seconds=0.0)


def make_settings(tmp_path: Path, **overrides) -> Settings:
    values = dict(
        base_url="http://fake-scenario.invalid/v1", api_key="test-key",
        api_secret="test-secret-value", store_path=tmp_path / "store.db",
        poll_min_seconds=0.01, poll_max_seconds=0.05, max_retries=0, profile="test",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path)


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def service(fake, settings):
    svc = build_service(settings, transport=fake.transport(), sleep=_no_sleep)
    yield svc
    svc.store.close()


@pytest.fixture
def server(fake):
    with serve(fake) as handle:
        yield handle


@pytest.fixture
def served_settings(tmp_path, server) -> Settings:
    return make_settings(tmp_path, base_url=server.base_url)


@pytest.fixture
def cli_env(tmp_path, server) -> dict[str, str]:
    """Environment for running ``scenario-tui`` as a subprocess against the served fake."""
    env = dict(os.environ)
    env.update(
        SCENARIO_BASE_URL=server.base_url, SCENARIO_SDK_API_KEY="cli-key",
        SCENARIO_SDK_API_SECRET="cli-secret-value", SCENARIO_TUI_DATA_DIR=str(tmp_path / "data"),
        SCENARIO_TUI_CONFIG=str(tmp_path / "config.toml"), NO_COLOR="1",
    )
    return env


def make_app(fake, tmp_path: Path, ids=None, **overrides):
    """The real app on the in-process fake, its store holding ``ids`` (the fake's seeded
    uploads when None)."""
    from scenario_tui.tui.app import ScenarioApp

    settings = make_settings(tmp_path, **overrides)
    service = build_service(settings, transport=fake.transport())
    service.store.add(fake.seeded_ids if ids is None else ids)
    return ScenarioApp(service, settings)


async def settle(app, pilot) -> None:
    """Let every worker finish and the screen catch up (never a sleep)."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def select(app, pilot, upload_id: str) -> None:
    """Put the list's cursor on ``upload_id`` and let the details catch up."""
    table = app.main_screen.table
    for index in range(table.listing.count()):
        if table.listing.row(index).id == upload_id:
            table.cursor = index
            await settle(app, pilot)
            return
    raise AssertionError(f"{upload_id} not listed")


# --- PostgreSQL (tests/pg_cluster.py): a real server, started by the first test that needs it --


def pytest_collection_modifyitems(items) -> None:
    """Every test that uses the cluster carries the ``postgres`` marker (``-m "not postgres"``
    then never starts it), whether or not it says so itself."""
    for item in items:
        if "pg_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_cluster():
    """One PostgreSQL cluster for the session (skipped, or failed where required, when this
    machine cannot run one); stopped and removed at the end."""
    bindir = find_bindir()
    reason = why_unavailable(bindir)
    if reason is not None or bindir is None:
        unavailable(reason or "no PostgreSQL server binaries")
    try:
        cluster = Cluster.start(bindir, prefix="stpg-")
    except ClusterError as exc:
        pytest.fail(f"the test PostgreSQL cluster did not start: {exc}", pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster) -> str:
    """The template database: the team store's schema, migrated once for the session."""
    return pg_cluster.make_template(TEMPLATE, migrate_team_schema)


@pytest.fixture
def pg_url(pg_cluster, pg_template):
    """A fresh database holding the migrated schema (a copy of the template), for this test."""
    name = pg_cluster.create_database(pg_template)
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture
def pg_empty_url(pg_cluster):
    """A fresh database without the schema (for ``team init``)."""
    name = pg_cluster.create_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)
