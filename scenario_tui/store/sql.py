"""IN-lists for the store's queries: long ID lists go in chunks, one placeholder per value."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
_CHUNK = 500  # values per "IN (...)", well under SQLite's limit on bound parameters


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``_CHUNK``."""
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def marks(items: Iterable[object]) -> str:
    """The placeholders of an IN-list of ``items``: "?, ?, ?"."""
    return ", ".join("?" for _ in items)
