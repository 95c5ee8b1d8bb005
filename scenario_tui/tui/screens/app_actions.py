"""The main screen's keys that open another screen or end the app: the activity log (``l``),
help (``?``), the last unexpected error (``e``) and quit (``q``, which asks first while work
is in flight)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work

from scenario_tui.core import errors
from scenario_tui.tui.keymap import help_rows
from scenario_tui.tui.screens.main_parts import ScreenParts
from scenario_tui.tui.widgets.upload_table import UploadTable

if TYPE_CHECKING:
    from textual.screen import Screen

    class _Screen(ScreenParts, Screen): ...
else:
    _Screen = object


class AppActions(_Screen):
    """Mixed into ``MainScreen``: the keys that leave the list for another screen."""

    def action_log(self) -> None:
        self._open_log()

    @work(group="log", exclusive=True, exit_on_error=False)
    async def _open_log(self) -> None:
        """The activity log's newest entries, read in a thread (a team store: a round trip)."""
        from scenario_tui.tui.screens.log_screen import ActivityLogScreen

        try:
            events = await asyncio.to_thread(self.service.store.events, limit=500)
        except errors.StoreError as exc:
            self._set_error(None, exc)
            return
        self.app.push_screen(ActivityLogScreen(events))

    def action_help(self) -> None:
        from scenario_tui.tui.screens.help_screen import HelpScreen

        self.app.push_screen(HelpScreen(help_rows(UploadTable.BINDINGS),
                                        data_location=self.service.store.location,
                                        team=bool(self.settings.store_url)))

    def action_error_details(self) -> None:
        from scenario_tui.tui.screens.error_screen import ErrorScreen

        unexpected = self.states.unexpected
        if unexpected is None:
            self._toast("No unexpected error", "Nothing has gone wrong unexpectedly so far.")
            return
        self.app.push_screen(ErrorScreen(*unexpected))

    def action_quit_app(self) -> None:
        from scenario_tui.tui.screens.confirm_screen import ConfirmScreen

        completing = self.states.completing()
        transfers = self.states.transfers()
        if not completing and not transfers:
            self.app.exit()
            return
        lines = [f"{i}: complete in flight" for i in completing]
        lines += [f"{name}: upload in progress" for name in transfers]
        lines.append("Quitting now leaves the outcome unknown until you refresh; an interrupted "
                     "upload can be resumed with: scenario-tui upload --resume ID FILE")
        self.app.push_screen(
            ConfirmScreen("Work is in flight. Quit anyway?", lines, "Quit", danger=True),
            lambda yes: self.app.exit() if yes else None,
        )
