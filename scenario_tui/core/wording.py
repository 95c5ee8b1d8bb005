"""The words of messages, light enough for any command to use (nothing heavy imported)."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """``1 upload``, ``2 uploads``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
