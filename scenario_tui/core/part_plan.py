"""How a file is cut into the parts of a multipart upload.

Scenario stores uploads in S3-style multipart storage, so its rules are S3's:

- every part but the last is at least ``MIN_PART_SIZE``. We use **5 MiB (5,242,880 bytes)**, S3's
  documented minimum; Scenario's guide says "5 MB", and 5 MiB satisfies either reading;
- at most ``MAX_PARTS`` (10,000) parts, each at most ``MAX_PART_SIZE`` (5 GiB);
- a file no larger than the part size travels as one part (so anything below 5 MiB is one part).

When a file would need more than 10,000 parts at the requested size, the part size grows (to a
whole number of MiB) until 10,000 parts are enough. An empty file is planned as one part of 0
bytes (pure arithmetic); the uploader refuses empty files, because the API wants ``fileSize > 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scenario_tui.core.errors import ConfigError
from scenario_tui.core.units import GIB, MIB, human_size

MIN_PART_SIZE = 5 * MIB
DEFAULT_PART_SIZE = 8 * MIB
MAX_PART_SIZE = 5 * GIB
MAX_PARTS = 10_000
MAX_FILE_SIZE = MAX_PARTS * MAX_PART_SIZE

@dataclass(frozen=True)
class Part:
    """One slice of the file: part ``number`` (from 1) is ``size`` bytes from ``offset``."""

    number: int
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def check_part_size(part_size: int) -> int:
    """``part_size`` if it is allowed (5 MiB to 5 GiB), else ``ConfigError`` saying why."""
    if part_size < MIN_PART_SIZE:
        raise ConfigError(
            f"The part size {human_size(part_size)} is below the storage minimum of 5 MiB "
            f"({MIN_PART_SIZE} bytes); use 5MiB or more (8MiB to 32MiB is usual)."
        )
    if part_size > MAX_PART_SIZE:
        raise ConfigError(
            f"The part size {human_size(part_size)} is above the storage maximum of 5 GiB."
        )
    return part_size


def plan_parts(file_size: int, part_size: int = DEFAULT_PART_SIZE) -> list[Part]:
    """Cut ``file_size`` bytes into parts of ``part_size`` (the last one shorter).

    The part size grows (to a whole MiB) when ``part_size`` would need more than 10,000 parts.
    Raises ``ConfigError`` for a part size outside 5 MiB..5 GiB or a file above 10,000 x 5 GiB.
    """
    if file_size < 0:
        raise ConfigError(f"A file size cannot be negative: {file_size}.")
    check_part_size(part_size)
    if file_size == 0:
        return [Part(1, 0, 0)]
    if file_size > MAX_FILE_SIZE:
        raise ConfigError(
            f"The file is {human_size(file_size)}; a multipart upload holds at most "
            f"{MAX_PARTS:,} parts of 5 GiB ({human_size(MAX_FILE_SIZE)})."
        )
    if math.ceil(file_size / part_size) > MAX_PARTS:
        part_size = math.ceil(file_size / MAX_PARTS / MIB) * MIB
        part_size = min(part_size, MAX_PART_SIZE)
    count = math.ceil(file_size / part_size)
    return _layout(file_size, part_size, count)


def plan_for_count(file_size: int, count: int, part_size: int | None = None) -> list[Part]:
    """A plan of exactly ``count`` parts (to resume an upload created with that many parts).

    ``part_size`` is the size of every part but the last when known (from parts already sent);
    otherwise the smallest equal size that makes ``count`` parts is used. Raises ``ConfigError``
    when no valid plan of ``count`` parts exists for ``file_size`` bytes.
    """
    if count < 1 or count > MAX_PARTS:
        raise ConfigError(f"An upload has 1 to {MAX_PARTS:,} parts, not {count}.")
    if count == 1:
        return [Part(1, 0, file_size)]
    size = part_size if part_size is not None else math.ceil(file_size / count)
    last = file_size - size * (count - 1)
    if size < MIN_PART_SIZE or size > MAX_PART_SIZE or not 0 < last <= size:
        raise ConfigError(
            f"A file of {file_size} bytes cannot be cut into {count} parts"
            + (f" of {size} bytes" if part_size is not None else "")
            + "; is it the same file the upload was created for?"
        )
    return _layout(file_size, size, count)


def _layout(file_size: int, part_size: int, count: int) -> list[Part]:
    parts = [Part(n + 1, n * part_size, part_size) for n in range(count - 1)]
    offset = (count - 1) * part_size
    parts.append(Part(count, offset, file_size - offset))
    return parts
