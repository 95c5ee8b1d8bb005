"""How a file is cut into parts (``core.part_plan``) and how part sizes are written
(``core.units``), at the storage limits."""

from __future__ import annotations

import pytest

from scenario_tui.core import errors
from scenario_tui.core.part_plan import (
    DEFAULT_PART_SIZE,
    MAX_FILE_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    Part,
    plan_for_count,
    plan_parts,
)
from scenario_tui.core.units import GIB, MIB, TIB, parse_size


def assert_valid_plan(plan: list[Part], size: int) -> None:
    assert [p.number for p in plan] == list(range(1, len(plan) + 1))
    assert sum(p.size for p in plan) == size
    assert all(a.end == b.offset for a, b in zip(plan, plan[1:], strict=False))
    assert all(p.size >= MIN_PART_SIZE for p in plan[:-1])
    assert len(plan) <= MAX_PARTS


@pytest.mark.parametrize("text, expected", [
    ("8MiB", 8 * MIB), ("16MB", 16_000_000), ("1048576", 1_048_576), ("1.5GiB", 3 * GIB // 2),
    ("5 mib", 5 * MIB), ("32M", 32 * MIB), ("2k", 2048), ("1TB", 10**12), ("0.5KiB", 512),
    (" 7B ", 7),
])
def test_parse_size_accepts_units(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("junk", ["", "lots", "8XB", "-1", "1e5", "8MiBs", "MiB", "1,5MiB"])
def test_parse_size_refuses_junk_with_a_clear_message(junk):
    with pytest.raises(errors.ConfigError, match="is not a size.*8MiB"):
        parse_size(junk)


def test_plan_empty_file_is_one_empty_part():
    """Decision: the plan of 0 bytes is one 0-byte part; the uploader refuses empty files."""
    assert plan_parts(0) == [Part(1, 0, 0)]


@pytest.mark.parametrize("size, part, expected", [
    (1, DEFAULT_PART_SIZE, [1]),
    (MIN_PART_SIZE - 1, MIN_PART_SIZE, [MIN_PART_SIZE - 1]),
    (MIN_PART_SIZE, MIN_PART_SIZE, [MIN_PART_SIZE]),  # exactly 5 MiB: still one part
    (MIN_PART_SIZE + 1, MIN_PART_SIZE, [MIN_PART_SIZE, 1]),
    (DEFAULT_PART_SIZE, DEFAULT_PART_SIZE, [DEFAULT_PART_SIZE]),
    (DEFAULT_PART_SIZE + 1, DEFAULT_PART_SIZE, [DEFAULT_PART_SIZE, 1]),  # one byte over a part
    (12 * MIB, 5 * MIB, [5 * MIB, 5 * MIB, 2 * MIB]),
])
def test_plan_boundaries(size, part, expected):
    plan = plan_parts(size, part)
    assert [p.size for p in plan] == expected
    assert_valid_plan(plan, size)


def test_plan_exactly_10000_parts_then_one_byte_more_grows_the_part_size():
    size = MAX_PARTS * MIN_PART_SIZE
    plan = plan_parts(size, MIN_PART_SIZE)
    assert len(plan) == MAX_PARTS and {p.size for p in plan} == {MIN_PART_SIZE}
    grown = plan_parts(size + 1, MIN_PART_SIZE)
    assert_valid_plan(grown, size + 1)
    assert grown[0].size == 6 * MIB and len(grown) < MAX_PARTS


def test_plan_huge_file_needs_bigger_parts_in_whole_mib():
    plan = plan_parts(TIB, DEFAULT_PART_SIZE)
    assert_valid_plan(plan, TIB)
    assert plan[0].size == 105 * MIB and len(plan) == 9987
    biggest = plan_parts(MAX_FILE_SIZE, DEFAULT_PART_SIZE)
    assert len(biggest) == MAX_PARTS and biggest[0].size == 5 * GIB
    with pytest.raises(errors.ConfigError, match="at most 10,000 parts"):
        plan_parts(MAX_FILE_SIZE + 1)


@pytest.mark.parametrize("part", [MIN_PART_SIZE - 1, 1 * MIB, 5 * GIB + 1])
def test_plan_refuses_part_sizes_outside_storage_limits(part):
    with pytest.raises(errors.ConfigError, match="part size"):
        plan_parts(100 * MIB, part)


def test_plan_for_count_rebuilds_a_layout_or_refuses():
    assert [p.size for p in plan_for_count(12 * MIB, 3, 5 * MIB)] == [5 * MIB, 5 * MIB, 2 * MIB]
    assert [p.size for p in plan_for_count(12 * MIB, 2)] == [6 * MIB, 6 * MIB]
    assert plan_for_count(100, 1) == [Part(1, 0, 100)]
    with pytest.raises(errors.ConfigError, match="same file"):
        plan_for_count(12 * MIB, 3, 8 * MIB)

