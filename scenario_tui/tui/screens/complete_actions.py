"""Completing uploads from the main screen: confirm, send once, then follow to a final status.

A bulk complete is quiet until every upload of it has settled, then says so in one toast
("15 sent: 8 imported, 7 failed; see L"); each upload's own outcome is in its status line.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, NamedTuple, Protocol

from textual import work

from scenario_tui.core import errors
from scenario_tui.core.diagnosis import NOT_FOUND
from scenario_tui.core.present import row_status
from scenario_tui.service.bulk_complete import ERROR, NOT_SENT, counted_word
from scenario_tui.tui.screens.main_parts import ScreenParts, Severity, Targets

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from scenario_tui.core.models import Upload
    from scenario_tui.service.bulk_complete import BulkComplete
    from scenario_tui.store.claims import Claim
    from scenario_tui.store.rows import KnownUpload
    from scenario_tui.tui.screens.complete_screen import CompleteItem

ERROR_KINDS = 4  # the kinds of errors a bulk complete's toast names (the log has them all)


class CompleteRead(NamedTuple):
    """What ``c`` reads before its dialog (in a thread): the uploads, their rows (None where
    unknown), and the claims others hold on them (None: not known now)."""

    ids: list[str]
    rows: list[KnownUpload | None]
    held: dict[str, Claim] | None


class CompleteBatch:
    """A complete of several uploads from the main screen: how each ended, then its one toast.

    The words are the service's tally (``service.bulk_complete``: the same summary the log
    entry and the CLI give); the toast adds the kinds of errors that stopped a complete, the
    most frequent first ("4 error (3 Bad credentials, 1 Timed out)"); each upload's own error
    is in its row and status line.
    """

    def __init__(self, tally: BulkComplete) -> None:
        self.tally = tally
        self.errors: Counter[str] = Counter()  # the titles of the errors met
        self._said = False

    def sent(self, upload_id: str, status: str | None) -> tuple[str, Severity] | None:
        """``upload_id`` was sent and reached ``status``; the toast when it was the last to
        end (its log entry is written by the caller: ``CompleteActions._said``)."""
        self.tally.sent(upload_id, status, write=False)
        return self._summary()

    def not_sent(self, upload_id: str, exc: errors.ScenarioTuiError | None = None,
                 ) -> tuple[str, Severity] | None:
        """``upload_id`` was skipped (not pending), or refused with ``exc``; as ``sent``."""
        if exc is not None:
            self.errors[exc.title] += 1
        self.tally.not_sent(upload_id, NOT_SENT if exc is None else ERROR, write=False)
        return self._summary()

    def _summary(self) -> tuple[str, Severity] | None:
        """``15 sent: 8 imported, 7 failed; see L`` once every upload has ended (once only),
        and how it reads: an error when any failed or met an error."""
        if self._said or not self.tally.done:
            return None
        self._said = True
        text = self.tally.summed_up()
        if self.errors:
            shown = ERROR_KINDS if len(self.errors) > ERROR_KINDS + 1 else None  # never "1 other"
            kinds = [f"{n} {title}" for title, n in self.errors.most_common(shown)]
            if shown is not None:
                kinds.append(f"{len(self.errors) - shown} other kinds")
            counted = counted_word(sum(self.errors.values()), ERROR)
            text += (f" ({', '.join(kinds)})" if text.endswith(counted)
                     else f"; {ERROR}s: {', '.join(kinds)}")
        reached = set(self.tally.reached.values())
        severity: Severity = "information"
        if self.errors or reached & {"failed", "uncertain", "pending"}:
            severity = "error"
        elif self.tally.skipped or reached - {"imported"}:
            severity = "warning"
        return text + "; see L", severity


class CompleteHost(ScreenParts, Protocol):
    """What the complete actions need from the main screen, besides ``ScreenParts``."""

    def load_detail(self, upload_id: str) -> Worker[None]: ...

    def keep_rows(self, upload_ids: list[str], what: str) -> None: ...

    def kept_note(self) -> str: ...

    def held_claims(self, upload_ids: list[str]) -> dict[str, Claim] | None: ...

    def claimed_items(self, items: list[CompleteItem],
                      held: dict[str, Claim] | None) -> list[CompleteItem]: ...


if TYPE_CHECKING:
    class _Screen(CompleteHost, Screen): ...
else:
    _Screen = object


class CompleteActions(_Screen):
    """Mixed into ``MainScreen``: ``c`` and the workers behind it (never exclusive: an in-flight
    complete is never cancelled)."""

    def _said(self, batch: CompleteBatch, summary: tuple[str, Severity] | None) -> None:
        """An upload of ``batch`` ended: when it was the last, the one toast of the batch (and
        the status widget's app line, which stays when the toast has gone), and its summary
        entry written in the log, in a thread."""
        if summary is not None:
            write = batch.tally.summary_entry()
            if write is not None:
                self.in_thread("summary", write, lambda _: None, queue=True)
            self._toast(f"Complete: {len(batch.tally.ids)} uploads", *summary)
            self.states.app_line = (f"Complete of {len(batch.tally.ids)} uploads: {summary[0]}."
                                    + self.kept_note())

    @work(group="complete", exit_on_error=False)
    async def complete_upload(self, upload_id: str, batch: CompleteBatch | None = None) -> None:
        """Send complete once (never exclusive: an in-flight POST is never cancelled). Part of
        a ``batch``: no toast of its own (the batch's says it all)."""
        states = self.states
        states.start(upload_id, "completing")
        states.clear_failure(upload_id)
        states.set_outcome(upload_id, "")
        self._row_changed(upload_id)
        try:
            result = await self.service.complete(upload_id, batch.tally if batch else None)
        except errors.ScenarioTuiError as exc:
            if batch is None:
                self._set_error(upload_id, exc)
            else:
                states.fail(upload_id, exc.title, exc.message)
                self._said(batch, batch.not_sent(upload_id, exc))
            return
        finally:  # whatever happened, this upload is no longer being completed
            states.finish(upload_id)
            self._row_changed(upload_id)
        states.set_outcome(upload_id, result.summary())
        self.table.fresh.add(upload_id)
        severity: Severity = ("warning" if (result.uncertain or result.skipped or result.warning)
                              else "information")
        if batch is None:
            self._toast("Complete" if not result.skipped else "Not sent",
                        f"{upload_id}: {result.summary()}", severity)
        self._row_changed(upload_id)
        upload = result.upload
        if upload is not None and not upload.is_final and upload.status != "pending":
            self.follow_upload(upload_id, batch, upload.status)
        elif batch is None:
            pass
        elif result.skipped:
            self._said(batch, batch.not_sent(upload_id))
        else:  # final, still pending, or not known (an uncertain answer not re-read)
            self._said(batch, batch.sent(upload_id, upload.status if upload else None))

    @work(group="follow", exit_on_error=False)
    async def follow_upload(self, upload_id: str, batch: CompleteBatch | None = None,
                            status: str | None = None) -> None:
        """Poll until imported or failed, with backoff; then notify (part of a ``batch``, sent
        and answered ``status``: the batch does)."""
        states = self.states
        if states.busy(upload_id) == "polling":  # followed already: its end is said there
            if batch is not None:
                self._said(batch, batch.sent(upload_id, status))
            return
        states.start(upload_id, "polling")

        def on_wait(delay: float) -> None:
            states.set_next_poll(upload_id, time.monotonic() + delay)

        def on_update(upload: Upload) -> None:
            self.table.fresh.add(upload_id)
            states.set_outcome(upload_id, f"Now {upload.status}.")
            self._row_changed(upload_id)

        try:
            final = await self.service.follow(
                upload_id, on_update=on_update, on_wait=on_wait,
                poll_min=self.settings.poll_min_seconds, poll_max=self.settings.poll_max_seconds,
            )
        except errors.ScenarioTuiError as exc:
            if batch is None:
                self._set_error(upload_id, exc)
            else:
                states.fail(upload_id, exc.title, exc.message)
                last = getattr(exc, "last_status", None)  # still processing, after a while
                self._said(batch, batch.sent(upload_id, last or status))
            return
        finally:
            states.finish(upload_id)
            self._row_changed(upload_id)
        states.forget_follow(upload_id)
        if final.status == "failed":
            message = f"{upload_id} failed: {final.error_message or 'no reason given'}"
            states.set_outcome(upload_id, message)
            if batch is None:
                self._toast("Upload failed", message, "error")
        else:
            states.set_outcome(upload_id, f"{upload_id} is {final.status}.")
            if batch is None:
                self._toast("Upload finished", f"{upload_id} is {final.status}.")
        if batch is not None:
            self._said(batch, batch.sent(upload_id, final.status))
        if self.table.highlighted_id == upload_id:
            self.load_detail(upload_id)

    def action_complete(self) -> None:
        if self._refuse_read_only():
            return
        targets = self._targets()
        if targets.none:
            self._toast("Nothing to complete", "No upload is highlighted or marked.")
            return
        # the rows and the claims are read in a thread (a team store: round trips); keys typed
        # meanwhile (a second c, the y for the dialog) are kept for the dialog
        self.in_thread("complete", lambda: self._read_for_complete(targets), self._ask_complete,
                       hold="what to complete")

    def _read_for_complete(self, targets: Targets) -> CompleteRead:
        """In a thread: the uploads ``c`` acts on, their rows, and the claims others hold on
        the pending ones (None: the store could not say)."""
        ids = targets.ids()
        rows = self.stored_rows(ids)
        pending = [i for i, row in zip(ids, rows, strict=True)
                   if row is not None and row.status == "pending"]
        return CompleteRead(ids, rows, self.held_claims(pending))

    def _ask_complete(self, read: CompleteRead) -> None:
        """Ask first (``CompleteConfirmScreen``), with what ``_read_for_complete`` read; send
        those ticked."""
        from scenario_tui.tui.screens.complete_screen import CompleteConfirmScreen, CompleteItem

        targets = read.ids
        if len(targets) == 1 and self.states.busy(targets[0]) == "completing":
            self._toast("Already completing",
                        f"{targets[0]}: the complete is in flight; wait for its answer.")
            return
        items = []
        for upload_id, row in zip(targets, read.rows, strict=True):
            status = row_status(row) if row else None  # as the list shows it
            reason = None
            if self.states.busy(upload_id) == "completing":
                reason = "complete already in flight"
            elif status is None:
                reason = "status unknown: refresh it first"
            elif status == NOT_FOUND:
                reason = "not found at the API: check the ID with the customer"
            elif status != "pending":
                reason = f"status is {status}"
            items.append(CompleteItem(upload_id, status, row.file_name if row else None, reason))
        # those another holds: unticked, with by whom
        items = self.claimed_items(items, read.held)

        def send(ids: list[str] | None) -> None:
            ids = ids or []
            # several: one toast when all have settled; the skipped ones are in its summary
            # at most refresh_concurrency requests in flight, POSTs first (service.request_gate)
            batch = (CompleteBatch(self.service.bulk_complete(
                targets, self.settings.refresh_concurrency))
                     if len(targets) > 1 and ids else None)
            self.keep_rows(ids, "sent to complete")  # in view, even once past the filter
            for upload_id in ids:
                self.complete_upload(upload_id, batch)
            if batch is not None:
                for item in items:
                    if item.upload_id not in ids:
                        self._said(batch, batch.not_sent(item.upload_id))

        self.app.push_screen(CompleteConfirmScreen(items), send)
