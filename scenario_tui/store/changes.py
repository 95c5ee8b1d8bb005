"""What a store tells its followers when a teammate changed something: the words shared by the
backends (no driver imported).

A team store (``StoreProtocol.follow_changes``) calls ``on_change`` with a ``Change`` naming the
uploads whose row, note, claim, intent or log entries changed, and ``on_state`` with False when
it lost the connection that carries them, True when it has it back (followed by ``Change(())``:
what happened meanwhile was not heard). A local store has no teammates: it follows nothing
(``follow_changes`` returns None) and its reader keeps polling.

Both callbacks run on the feed's own thread: a UI hops to its own loop itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

#: the channel (``LISTEN``/``NOTIFY``) a team store announces its changes on
CHANNEL = "scenario_tui_changes"
#: the payload that means "anything may have changed" (a list too long to send)
EVERYTHING = "*"


@dataclass(frozen=True)
class Change:
    """Uploads that changed. Empty: anything may have changed (re-read everything)."""

    upload_ids: tuple[str, ...]

    @property
    def everything(self) -> bool:
        return not self.upload_ids

    @classmethod
    def merged(cls, changes: Iterable[Change]) -> Change:
        """One change for several (a burst): their IDs in first-seen order, or everything
        when any of them is everything."""
        ids: dict[str, None] = {}
        for change in changes:
            if change.everything:
                return cls(())
            ids.update(dict.fromkeys(change.upload_ids))
        return cls(tuple(ids))


class ChangeFeed(Protocol):
    """A running feed of changes (``StoreProtocol.follow_changes``)."""

    #: False while the feed's connection is lost (it reconnects by itself)
    connected: bool

    def close(self) -> None:
        """Stop following (promptly; idempotent): no callback runs after it returns. It waits
        for a callback that is running: a callback must not wait for the thread that closes
        (use ``call_soon_threadsafe``-like hops, not blocking ones, from a loop that closes)."""
        ...


OnChange = Callable[[Change], None]
OnState = Callable[[bool], None]
