"""Fixtures of the fake API's tests: a clock the tests move, the fake on it, clients, a server."""

from __future__ import annotations

import httpx
import pytest

from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.server import serve
from tests.unit.fake.helpers import AUTH, STEP


class FakeClock:
    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeScenario:
    return FakeScenario(step_seconds=STEP, clock=clock, rng_seed=7)


@pytest.fixture
async def client(fake: FakeScenario):
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=fake.base_url, auth=AUTH
    ) as c:
        yield c


@pytest.fixture
async def raw(fake: FakeScenario):
    """A client with no Scenario credentials, for part URLs."""
    async with httpx.AsyncClient(transport=fake.transport()) as c:
        yield c


@pytest.fixture
def server():
    with serve(FakeScenario(rng_seed=3)) as handle:
        yield handle
