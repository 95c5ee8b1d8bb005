"""What the parts of the main screen (the ``*_actions`` mixins) use from it.

Each mixin declares its needs as a Protocol built on ``ScreenParts``; ``MainScreen`` provides
them all. A type checker reads a mixin's methods as those of a ``Screen`` with its Protocol, so
a part that reaches for anything undeclared is an error there, not a surprise at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from textual.worker import Worker

    from scenario_tui.core import errors
    from scenario_tui.core.config import Settings
    from scenario_tui.service.uploads import UploadService
    from scenario_tui.store.front_page import FrontPage
    from scenario_tui.store.listing import Listing
    from scenario_tui.store.rows import KnownUpload
    from scenario_tui.tui.upload_state import UploadStates
    from scenario_tui.tui.widgets.upload_table import UploadTable

Severity = Literal["information", "warning", "error"]
T = TypeVar("T")


class Targets(NamedTuple):
    """What a key acts on, as the list stood when it was pressed: the marked uploads, else the
    highlighted one."""

    marked: frozenset[str]
    highlighted: str | None
    listing: Listing

    @property
    def none(self) -> bool:
        """Nothing is marked or highlighted: the key has nothing to act on."""
        return not self.marked and self.highlighted is None

    def ids(self) -> list[str]:
        """The IDs, the marked ones in list order (blocking, with marks: the listing reads the
        store; call in a thread). Marks the filter hides are left out, unless all are."""
        if self.marked:
            return [i for i in self.listing.ids() if i in self.marked] or sorted(self.marked)
        return [self.highlighted] if self.highlighted else []


class HostApp(Protocol):
    """What the main screen uses of the app that runs it (``tui.app.ScenarioApp``)."""

    #: the app's clock (now, aware): the tests and the screenshots set it
    clock: Callable[[], datetime]
    #: what the list showed first when the app ended (``store.front_page``)
    front_page: FrontPage | None

    def yield_to_keys(self, work: Any) -> None: ...

    def stop_yielding(self, work: Any) -> None: ...

    def report_worker_failure(self, event: Worker.StateChanged) -> None: ...

    def end_at_start(self, error: errors.ScenarioTuiError) -> None: ...


class ScreenParts(Protocol):
    """The main screen's state, widgets and reporting, as every part uses them."""

    #: the use cases (``cli.wiring.DeferredService`` builds the real one after the first frame)
    service: UploadService
    settings: Settings
    #: per-upload state; the status widget follows its changes
    states: UploadStates

    @property
    def table(self) -> UploadTable: ...

    def _toast(self, title: str, message: str, severity: Severity = "information") -> None: ...

    def _set_error(self, upload_id: str | None, exc: errors.ScenarioTuiError) -> None: ...

    def _row_changed(self, upload_id: str) -> None: ...

    def _show_highlighted(self) -> None: ...

    def _refuse_read_only(self) -> bool: ...

    def refuse_offline(self) -> bool: ...

    # the store work of keys, in a thread (``store_calls``)
    def _targets(self) -> Targets: ...

    def stored_rows(self, upload_ids: list[str]) -> list[KnownUpload | None]: ...

    def in_thread(self, lane: str, call: Callable[[], T], then: Callable[[T], object], *,
                  failed: Callable[[errors.ScenarioTuiError], object] | None = None,
                  queue: bool = False, hold: str | None = None) -> bool: ...

    def in_flight(self, lane: str) -> bool: ...

    def _marks_changed(self, said: str | None = None) -> None: ...
