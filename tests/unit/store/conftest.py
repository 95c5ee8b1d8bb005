"""The store suite's fixtures: ``backend`` is each store backend in turn (SQLite in a file,
PostgreSQL in a fresh database of the test cluster), ``any_store`` a store open on it."""

from __future__ import annotations

import pytest

from tests.unit.store.backends import START, Backend, PostgresBackend, SQLiteBackend, TickingClock


@pytest.fixture
def clock():
    return TickingClock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, tmp_path) -> Backend:
    if request.param == "sqlite":
        return SQLiteBackend(tmp_path / "data" / "store.db")
    return PostgresBackend(request.getfixturevalue("pg_url"))


@pytest.fixture
def any_store(backend: Backend, clock):
    """A store on each backend; a ticking clock is set back to ``START`` once it is open (a
    SQLite file reads it for its migrations)."""
    opened = backend.open(clock=clock)
    if isinstance(clock, TickingClock):
        clock.now = START
    try:
        yield opened
    finally:
        opened.close()
