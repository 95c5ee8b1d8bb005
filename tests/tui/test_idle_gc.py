"""``idle_gc.IdleCollections``: CPython's automatic full collections are switched off while the
TUI runs, and one runs when the user is idle (or when too long has passed), never right after a
key; the younger generations stay automatic; CPython's thresholds come back at the end."""

from __future__ import annotations

import gc

import pytest

from scenario_tui.tui.idle_gc import AT_MOST, DUE, NEVER, QUIET, IdleCollections


@pytest.fixture
def collections():
    made: list[IdleCollections] = []

    def make(**kwargs) -> IdleCollections:
        made.append(IdleCollections(**kwargs))
        return made[-1]

    yield make
    for each in made:
        each.give_back()


def test_take_over_switches_off_only_the_full_collections_and_give_back_restores(collections):
    saved = gc.get_threshold()
    idle = collections()
    idle.take_over(0.0)
    idle.take_over(5.0)  # twice: the saved thresholds are still CPython's
    assert gc.get_threshold() == (saved[0], saved[1], NEVER) and idle.active
    idle.give_back()
    idle.give_back()
    assert gc.get_threshold() == saved and not idle.active


def test_a_full_collection_runs_when_due_and_idle_or_when_too_long_has_passed(collections):
    ran: list[int] = []
    idle = collections(collect=lambda: ran.append(1))
    assert idle.tick(1000.0, 0.0) is False  # not taken over: CPython's business
    idle.take_over(100.0)
    assert idle.tick(100.0 + DUE - 0.1, 0.0) is False  # not due yet
    assert idle.tick(100.0 + DUE, 100.0 + DUE - QUIET / 2) is False  # a key just came
    assert ran == []
    assert idle.tick(100.0 + DUE + 1, 100.0 + DUE + 1 - QUIET) is True
    assert ran == [1] and idle.last == 100.0 + DUE + 1 and idle.count == 1
    assert idle.tick(100.0 + DUE + 2, 0.0) is False  # just ran
    start = idle.last
    assert idle.tick(start + AT_MOST - 0.1, start + AT_MOST - 0.2) is False  # keys keep coming
    assert idle.tick(start + AT_MOST, start + AT_MOST) is True  # but not forever
    assert ran == [1, 1]


def test_while_taken_over_cpython_collects_the_younger_generations_but_never_all(collections):
    gc.collect()
    before = [stats["collections"] for stats in gc.get_stats()]
    idle = collections()
    idle.take_over(0.0)
    kept = [[i] for i in range(400_000)]  # survivors: enough for CPython to collect all three
    during = [stats["collections"] for stats in gc.get_stats()]
    assert during[0] > before[0] and during[1] > before[1] and during[2] == before[2]
    idle.give_back()
    more = [[i] for i in range(400_000)]
    assert gc.get_stats()[2]["collections"] > during[2]  # CPython's own thresholds again
    assert len(kept) == len(more)
