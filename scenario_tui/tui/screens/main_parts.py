"""What the parts of the main screen (the ``*_actions`` mixins) use from it.

Each mixin declares its needs as a Protocol built on ``ScreenParts``; ``MainScreen`` provides
them all. A type checker reads a mixin's methods as those of a ``Screen`` with its Protocol, so
a part that reaches for anything undeclared is an error there, not a surprise at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from textual.worker import Worker

    from scenario_tui.core import errors
    from scenario_tui.core.config import Settings
    from scenario_tui.service.uploads import UploadService
    from scenario_tui.store.front_page import FrontPage
    from scenario_tui.store.rows import KnownUpload
    from scenario_tui.tui.upload_state import UploadStates
    from scenario_tui.tui.widgets.upload_table import UploadTable

Severity = Literal["information", "warning", "error"]


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

    def _targets(self) -> list[str]: ...

    def _stored_rows(self, upload_ids: list[str]) -> list[KnownUpload | None] | None: ...

    def _marks_changed(self, said: str | None = None) -> None: ...
