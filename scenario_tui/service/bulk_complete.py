"""One summary for a bulk complete: "15 sent: 8 imported, 7 failed; 2 not sent", written once to
the activity log with the ID of every upload it touched, for the CLI and the TUI alike.

Each upload of a bulk complete already has its own entries (``sending``, then how it ended);
the summary is the entry a person reads first (``L``, ``log``), and the one the TUI's toast
repeats. Uploads end in any order, from any worker: each caller says how each one ended
(``sent`` with the status it reached, or ``not_sent``) and the last one writes the summary.

Headless (no Textual).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from scenario_tui.core import errors
from scenario_tui.service.request_gate import RequestGate
from scenario_tui.store.protocol import StoreProtocol

if TYPE_CHECKING:
    from scenario_tui.service.completion import CompleteResult
    from scenario_tui.store.intents import Intent


class _Logs(Protocol):
    """What the summary needs of the service: its store and profile (not the service itself,
    which imports this module)."""

    store: StoreProtocol
    profile: str

_UNREAD = object()  # an upload whose intent the batch has not read (or handed out)
#: the statuses a sent upload is summed up by, in this order (any other follows, as it came)
_ORDER = ("imported", "failed", "validated", "validating", "complete", "pending", "uncertain")
#: how an upload that was not sent is counted: "not sent" (skipped: not pending, as the
#: confirmation said), or "error" (refused, or its read before sending failed)
NOT_SENT, ERROR = "not sent", "error"


def counted_word(count: int, word: str) -> str:
    """``1 error``, ``18 errors``, ``8 imported``: only ``ERROR`` takes a plural (the others
    are statuses and "not sent", as they are everywhere else)."""
    return f"{count} {word}{'s' if word == ERROR and count > 1 else ''}"


def tally_text(sent: dict[str, str], not_sent: dict[str, str]) -> str:
    """``15 sent: 8 imported, 7 failed; 2 not sent, 1 error`` from the status each sent
    upload reached (``sent``: ID -> status) and why each other one was not sent."""
    def counted(values: Iterable[str], order: tuple[str, ...]) -> str:
        counts: dict[str, int] = {}
        for value in values:
            counts[value] = counts.get(value, 0) + 1
        known = [word for word in order if word in counts]
        words = known + sorted(word for word in counts if word not in order)
        return ", ".join(counted_word(counts[word], word) for word in words)

    text = f"{len(sent)} sent"
    if sent:
        text += ": " + counted(sent.values(), _ORDER)
    if not_sent:
        text += "; " + counted(not_sent.values(), (NOT_SENT, ERROR))
    return text


class BulkComplete:
    """The tally of one complete of several uploads, and its summary entry; with a
    ``concurrency``, the gate its completes' requests pass (``request_gate``).

    ``sent(id, status)`` or ``not_sent(id, why)`` once per upload (again for the same upload:
    the later word wins, e.g. "validating" then "imported" after following it); ``result(r)``
    reads a ``CompleteResult``. Once every upload has ended, ``finish()`` (called by the last
    of them, or by the caller) writes the summary entry and returns its text; later calls
    return the same text and write nothing. A complete of one upload writes no summary (its
    own entries say it all). With ``write=False`` the last one only sums up (``summed_up``),
    and the caller writes the entry where it likes (``summary_entry``: the TUI, in a thread).
    """

    _entry_taken = False  # the summary entry was written, or handed out to be written

    def __init__(self, service: _Logs, upload_ids: Iterable[str],
                 concurrency: int | None = None) -> None:
        self.service = service
        self.ids = list(dict.fromkeys(upload_ids))
        #: the batch's requests at the API (``concurrency`` at once, POSTs first), or no limit
        self.gate = RequestGate(concurrency) if concurrency else None
        self.reached: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.text: str | None = None  # the summary, once written
        #: the latest intent of each upload not yet asked for (``latest_intent``)
        self._ahead: dict[str, Intent | None] | None = None
        self._reading = threading.Lock()

    def latest_intent(self, upload_id: str) -> Intent | None:
        """The latest intent of ``upload_id``, as the complete's first read (``completion``)
        needs it: the first call reads those of every upload of the batch at once (one read of
        the store, where one each would be a round trip each to a team store), and each is
        handed out once. A read made before any request for the upload is as good as one made
        just before it: an intent opened since is found when the complete opens its own, and
        the complete reads again (``UploadChangedError``, ``IntentHeldError``)."""
        with self._reading:  # the batch's completes may ask from several threads at once
            if self._ahead is None:
                found = self.service.store.latest_intents(self.ids)
                self._ahead = {i: found.get(i) for i in self.ids}
            ahead = self._ahead.pop(upload_id, _UNREAD)
        if ahead is _UNREAD:  # not of the batch, or handed out already
            return self.service.store.latest_intent(upload_id)
        return ahead  # type: ignore[return-value]

    def has_read(self, upload_id: str) -> bool:
        """Whether ``latest_intent(upload_id)`` would answer from memory (read for the whole
        batch already, and not handed out yet), without a call to the store. Never waits: while
        another complete of the batch reads the intents in a thread, False (the caller then
        asks in a thread too, where waiting for that read holds up nothing; on the TUI's loop,
        waiting here would freeze the screen for a round trip to the team store)."""
        if not self._reading.acquire(blocking=False):
            return False
        try:
            return self._ahead is not None and upload_id in self._ahead
        finally:
            self._reading.release()

    @property
    def done(self) -> bool:
        return all(i in self.reached or i in self.skipped for i in self.ids)

    def sent(self, upload_id: str, status: str | None, *, write: bool = True) -> str | None:
        """``upload_id`` was sent and reached ``status`` (None: unknown, "uncertain")."""
        self.skipped.pop(upload_id, None)
        self.reached[upload_id] = status or "uncertain"
        return self._maybe_finish(write)

    def not_sent(self, upload_id: str, why: str, *, write: bool = True) -> str | None:
        """``upload_id`` was not sent: ``NOT_SENT`` (skipped: not pending) or ``ERROR``."""
        self.reached.pop(upload_id, None)
        self.skipped[upload_id] = why
        return self._maybe_finish(write)

    def result(self, result: CompleteResult, *, write: bool = True) -> str | None:
        """Count a ``CompleteResult`` (the status it read or caused, if sent)."""
        if not result.sent:
            return self.not_sent(result.upload_id, NOT_SENT, write=write)
        status = "uncertain" if result.uncertain and result.upload is None else (
            result.upload.status if result.upload else None)
        return self.sent(result.upload_id, status, write=write)

    def summary(self) -> str:
        return tally_text(self.reached, self.skipped)

    def _maybe_finish(self, write: bool) -> str | None:
        """Once every upload has ended: ``finish()``, or without ``write`` its text only."""
        if not self.done:
            return None
        return self.finish() if write else self.summed_up()

    def summed_up(self) -> str:
        """The summary's text, as it stands at the first call (later calls: the same text)."""
        if self.text is None:
            self.text = self.summary()
        return self.text

    def summary_entry(self) -> Callable[[], None] | None:
        """The write of the summary entry, its words fixed now (``summed_up``'s text, the
        outcome, the IDs), for the caller to call where it likes (blocking: a team store is a
        round trip away); None once handed out, and for one upload. A store that cannot take
        it does not hide the outcome: each upload's own entries are there, the text is shown."""
        text = self.summed_up()
        if self._entry_taken or len(self.ids) < 2:
            return None
        self._entry_taken = True
        bad = ("failed", "uncertain", ERROR)
        failed = sum(1 for s in self.reached.values() if s in bad) + sum(
            1 for why in self.skipped.values() if why == ERROR)
        outcome = "ok" if not failed else "failed" if failed == len(self.ids) else "partial"
        ids = [i for i in self.ids if i in self.reached or i in self.skipped]
        store, profile = self.service.store, self.service.profile

        def write() -> None:
            try:
                store.log_event(action="complete", outcome=outcome, profile=profile,
                                message=text, upload_ids=ids)
            except errors.StoreError:
                pass

        return write

    def finish(self) -> str:
        """Write the summary entry (``summary_entry``, at once) and return its text."""
        write = self.summary_entry()
        if write is not None:
            write()
        return self.summed_up()
