"""Completing an upload exactly once, across processes: the use case behind
``UploadService.complete``.

1. If another actor holds the upload's intent (a complete, or a transfer of its parts, in any
   process on this store), refuse before any request, saying who and since when.
2. Re-read the upload (a read also reconciles an intent whose holder is gone). Not pending:
   skipped. Pending, but an earlier attempt was interrupted: refused once (it may have
   arrived); asking again sends it.
3. Open an intent, committed with a ``sending`` entry in the activity log and the read, before
   the POST; a store that cannot record it sends nothing. If another actor acted since our
   read (a newer intent), read again instead.
4. POST once (never retried; a lost answer is re-read by the client), then settle the intent
   with the outcome and the answer. A store that fails at that moment yields a warning, never
   a failure.

Headless (no Textual).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Callable, Protocol, TypeVar

from scenario_tui.api.client import CompleteOutcome, ScenarioClient
from scenario_tui.core import errors
from scenario_tui.service.despite_cancel import opened_despite_cancel
from scenario_tui.service.ledger import IntentLedger
from scenario_tui.service.request_gate import RequestGate
from scenario_tui.store.intents import Intent
from scenario_tui.store.protocol import StoreProtocol

if TYPE_CHECKING:  # pydantic loads at the first API answer
    from scenario_tui.core.models import Upload

T = TypeVar("T")

#: reads of the upload at most, when other processes keep acting on it meanwhile
_READS = 3
#: how an intent is settled when its complete was stopped (q, a cancelled worker) while the
#: intent was being opened in a thread (``despite_cancel``)
STOPPED_AS_OPENED = "Stopped as its intent was being opened: the complete was not sent."


@dataclass
class CompleteResult:
    """The outcome of asking to complete one upload.

    ``sent`` says whether the POST went out. ``skipped`` holds why it did not (not pending).
    ``outcome`` is the client's account of the POST when it was sent. ``warning`` says what
    could not be recorded afterwards (the store was locked or full), if anything.
    """

    upload_id: str
    upload: Upload | None
    sent: bool
    skipped: str | None = None
    outcome: CompleteOutcome | None = None
    warning: str | None = None

    @property
    def uncertain(self) -> bool:
        return bool(self.outcome and self.outcome.uncertain)

    def summary(self) -> str:
        if self.skipped:
            return f"Not sent: {self.skipped}."
        text = self.outcome.summary() if self.outcome else "Done."
        return f"{text} {self.warning}" if self.warning else text


class ReadAhead(Protocol):
    """What a batch of completes gives each (``BulkComplete`` is one): the first read of the
    intents, made for all its uploads at once, and the gate its requests pass, if any."""

    gate: RequestGate | None

    def latest_intent(self, upload_id: str) -> Intent | None: ...

    def has_read(self, upload_id: str) -> bool: ...


def _place(batch: ReadAhead | None, *, urgent: bool = False) -> AbstractAsyncContextManager[
        object]:
    """A place for one request at the API: the batch's gate's, or none needed."""
    if batch is None or batch.gate is None:
        return nullcontext()
    return batch.gate.place(urgent=urgent)


class CompleteHost(Protocol):
    """What completing needs of the service (``UploadService`` is one)."""

    client: ScenarioClient
    store: StoreProtocol
    ledger: IntentLedger

    async def read(self, upload_id: str) -> Upload: ...

    async def io(self, call: Callable[[], T]) -> T: ...

    def log_action(self, action: str, outcome: str, upload_id: str | None,
                   exc: errors.ScenarioTuiError | None = None, *, message: str | None = None,
                   http_status: int | None = None, note: str = "") -> None: ...


async def complete_once(host: CompleteHost, upload_id: str,
                        batch: ReadAhead | None = None) -> CompleteResult:
    """Steps 1 to 4 of the module's docstring. The re-read is saved in the transaction that
    opens the intent (or on its own when nothing is sent), and the answer in the one that
    settles it: three transactions a complete, besides the two requests; two when part of a
    ``batch``, whose first read of the intents was made for all its uploads at once."""
    for attempt in range(_READS):
        if batch is not None and attempt == 0 and batch.has_read(upload_id):
            latest = batch.latest_intent(upload_id)  # in memory: no thread's round trip
        else:
            latest = await host.io(
                partial(batch.latest_intent, upload_id) if batch is not None and attempt == 0
                else partial(host.store.latest_intent, upload_id))
        if latest is not None and latest.is_open and not latest.stale:
            raise await _refused(host, upload_id, errors.IntentHeldError(
                f"{latest.refusal(datetime.now(timezone.utc))} Nothing was sent.",
                title=latest.refusal_title))
        interrupted = latest is not None and latest.is_open  # its holder is gone
        try:
            async with _place(batch):
                upload = await host.read(upload_id)
        except errors.ApiError as exc:
            await host.io(partial(host.log_action, "complete", "failed", upload_id, exc,
                                  note="before sending: "))
            raise
        if interrupted:  # a read saved at once reconciles the intent of a holder that is gone
            await host.io(partial(host.store.record_snapshot, upload_id, upload.to_wire()))
        if not upload.can_complete:
            reason = f"its status is {upload.status}; only pending uploads can be completed"
            await host.io(partial(_skipped, host, upload_id, None if interrupted else upload,
                                  reason))
            return CompleteResult(upload_id, upload, sent=False, skipped=reason)
        if latest is not None and interrupted:  # reconciled just now
            raise await _refused(host, upload_id, errors.EarlierCompleteInterruptedError(
                f"{_interrupted(latest)} A read shows {upload_id} still pending. Nothing was "
                "sent; complete it again to send it."))
        try:
            intent = await opened_despite_cancel(host.io(partial(
                host.ledger.begin, upload_id, "complete", after=latest.id if latest else 0,
                log_message=f"complete being sent by {host.ledger.holder().describe()}; if no "
                "later entry says how it ended, it may have arrived", snapshot=upload.to_wire(),
            )), partial(host.ledger.settle, state="interrupted", message=STOPPED_AS_OPENED))
        except errors.UploadChangedError:
            continue  # another actor acted since our read: read it again
        except errors.IntentHeldError as exc:
            await host.io(partial(_remember, host, upload_id, upload))
            raise await _refused(host, upload_id, exc) from None
        return await _send(host, upload_id, intent, batch)
    raise await _refused(host, upload_id, errors.ConflictError(
        f"{upload_id} kept being acted on by other processes; nothing was sent. Refresh it and "
        "try again.", title="Changed meanwhile"))


def _skipped(host: CompleteHost, upload_id: str, read: Upload | None, reason: str) -> None:
    """Log that nothing was sent (not pending), saving ``read`` first when given (a read that
    reconciled an intent is saved already)."""
    if read is not None:
        host.store.record_snapshot(upload_id, read.to_wire())
    host.log_action("complete", "skipped", upload_id, message=reason)


def _remember(host: CompleteHost, upload_id: str, upload: Upload) -> None:
    """Save a read that no intent was opened with (best effort: the refusal is what counts)."""
    try:
        host.store.record_snapshot(upload_id, upload.to_wire())
    except errors.StoreError:
        pass


async def _send(host: CompleteHost, upload_id: str, intent: Intent,
                batch: ReadAhead | None) -> CompleteResult:
    """POST complete once under ``intent``, then settle it with the outcome."""
    ledger = host.ledger
    posted = False
    try:
        async with _place(batch, urgent=True):  # its intent is open: before the batch's reads
            posted = True
            outcome = await host.client.complete_upload(upload_id)
    except errors.ApiError as exc:
        warning = await host.io(partial(
            ledger.settle, intent, "rejected", message=f"{exc.title}: {exc.message}",
            http_status=getattr(exc, "status", None), log_outcome="failed"))
        if warning:
            exc.message = f"{exc.message} {warning}"
        raise
    except BaseException:  # q, Ctrl+C, a cancelled worker, or a bug: it may have arrived
        # here, not in a thread: the task may be cancelled (quitting), and this must be written
        ledger.settle(intent, "interrupted", message=(
            f"Interrupted while the complete was in flight: it may have arrived. Refresh "
            f"{upload_id} to see; it is not sent again by itself." if posted else
            "Stopped while waiting for its turn to be sent: the complete was not sent."))
        raise
    cause = outcome.uncertain_cause
    state = "uncertain" if outcome.uncertain else "sent"
    status = (cause.status if cause else None) if outcome.uncertain else 200
    # a complete that went through ends my claim on the upload: there is nothing left to do
    # on it, and the team's list should not show it as mine (an uncertain one stays mine)
    warning = await host.io(partial(
        ledger.settle, intent, state, message=outcome.summary(), http_status=status,
        snapshot=outcome.upload.to_wire() if outcome.upload else None,
        release_claim=state == "sent"))
    return CompleteResult(upload_id, outcome.upload, sent=True, outcome=outcome,
                          warning=warning)


def _interrupted(intent: Intent) -> str:
    what = "sending its parts" if intent.action == "transfer" else "its complete"
    return (f"An earlier attempt ({what}, by {intent.holder.describe()}) was interrupted "
            "before its outcome was known.")


async def _refused(host: CompleteHost, upload_id: str,
                   exc: errors.ScenarioTuiError) -> errors.ScenarioTuiError:
    """``exc``, logged as a refused complete when the store allows it (the refusal must reach
    the user even when the store is locked)."""
    try:
        await host.io(partial(host.log_action, "complete", "refused", upload_id, exc))
    except errors.StoreError:
        pass
    return exc
