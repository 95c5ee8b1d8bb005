"""Pilot tests of the dialogs and auxiliary screens, each hosted alone in a tiny App.

Every screen gets plain data and answers through ``dismiss``; the host records the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from textual import events
from textual.app import App
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, TextArea

from scenario_tui.tui.screens.add_screen import AddIdsScreen
from scenario_tui.tui.screens.complete_screen import CompleteConfirmScreen, CompleteItem
from scenario_tui.tui.screens.confirm_screen import ConfirmScreen
from scenario_tui.tui.screens.error_screen import ErrorScreen
from scenario_tui.tui.screens.help_screen import HelpScreen
from scenario_tui.tui.screens.log_screen import ActivityLogScreen
from scenario_tui.tui.screens.note_screen import NoteScreen

# Valid markup followed by a stray closing tag (a MarkupError if parsed) and an OSC 52 clipboard
# write: shown literally, minus the escape sequence.
EVIL = "[bold red]x[/] [/oops] \x1b]52;c;ZXZpbA==\x07end"
EVIL_SHOWN = "[bold red]x[/] [/oops] end"


class Host(App):
    """Pushes one screen on mount and records what it dismisses with."""

    def __init__(self, make_screen: Callable[[], Screen]) -> None:
        super().__init__()
        self.animation_level = "none"  # scrolling lands at once; no waiting on animations
        self.make_screen = make_screen
        self.results: list = []

    def on_mount(self) -> None:
        self.reopen()

    def reopen(self, make_screen: Callable[[], Screen] | None = None) -> None:
        """Push a fresh screen (so one app can try several keys)."""
        self.push_screen((make_screen or self.make_screen)(), self.results.append)


def rendered(widget: Widget) -> list[str]:
    """The widget's lines as drawn (markup applied, if any had been parsed)."""
    width, height = widget.outer_size
    return [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, width, height))]


def screen_text(screen: Screen) -> str:
    """What every displayed widget of the screen draws, as text."""
    return "\n".join(
        line
        for widget in screen.query("*")
        if widget.display and widget.outer_size.area
        for line in rendered(widget)
    )


def one_line(widget: Widget) -> str:
    """Rendered lines joined with spaces, undoing word wrap."""
    return " ".join(line.strip() for line in rendered(widget) if line.strip())


# --- ConfirmScreen -------------------------------------------------------------------------------


def confirm() -> ConfirmScreen:
    return ConfirmScreen("Remove 2 upload(s)?", ["up_1", "up_2"], "Remove", danger=True)


async def test_confirm_keys_answer():
    """y and enter confirm; n and escape cancel; the dialog closes with that answer."""
    app = Host(confirm)
    async with app.run_test(size=(80, 24)) as pilot:
        for index, key in enumerate(("y", "enter", "n", "escape")):
            if index:
                app.reopen()
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen), key
        assert app.results == [True, True, False, False]


async def test_confirm_buttons_by_mouse_and_tab():
    """Clicking the confirm button answers True; tab to Cancel then enter answers False."""
    app = Host(confirm)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Remove" in one_line(app.screen.query_one("#confirm-yes", Button))
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert app.results == [True]
        app.reopen()
        await pilot.pause()
        await pilot.press("tab", "tab")
        assert app.screen.focused is app.screen.query_one("#confirm-no")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [True, False]


async def test_confirm_long_list_keeps_buttons_on_screen():
    """200 lines scroll inside the dialog; the buttons stay visible at 80x24."""
    app = Host(lambda: ConfirmScreen("Remove?", [f"up_{i}" for i in range(200)], "Remove"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        dialog = screen.query_one("#confirm-dialog").region
        assert dialog.width <= 76
        for button in screen.query(Button):
            assert dialog.contains_region(button.region)
            assert button.region.bottom <= 24
        lines = screen.query_one("#confirm-lines")
        assert lines.max_scroll_y > 0
        await pilot.press("end")
        assert lines.scroll_target_y == lines.max_scroll_y


# --- CompleteConfirmScreen -----------------------------------------------------------------------


ITEMS = [
    CompleteItem("up_a", "pending", "a.png"),
    CompleteItem("up_b", "validating", "b.png", "status is validating"),
    CompleteItem("up_c", "pending"),
    CompleteItem("up_d", "pending", None, "complete already in flight"),
]


async def test_complete_sends_only_sendable_ids_in_order():
    """The answer is exactly the IDs without a reason, in the given order; skipped never."""
    app = Host(lambda: CompleteConfirmScreen(ITEMS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert one_line(screen.query_one("#complete-summary")) == (
            "2 uploads will be sent the complete action, 2 skipped."
        )
        lines = rendered(screen.query_one("#complete-lines"))
        by_id = {line.split()[0]: line for line in lines if line}
        assert "○ pending" in by_id["up_a"] and by_id["up_a"].rstrip().endswith("send  a.png")
        assert "◔ validating" in by_id["up_b"] and "skip: status is validating" in by_id["up_b"]
        assert "skip: complete already in flight" in by_id["up_d"]
        await pilot.press("enter", "enter")  # a second enter must not send twice
        await pilot.pause()
        assert app.results == [["up_a", "up_c"]]


async def test_complete_lines_wrap_within_their_column_at_80_columns():
    """A long skip reason or file name continues under its own column at 80x24: the IDs stay
    a column of their own (no continuation starts at the left edge), and nothing is cut."""
    long_id = "up_AbCdEfGhIjKlMnOpQrStUv"
    items = [CompleteItem("up_demo_pending_2", "pending", "watercolor-style-lora.safetensors"),
             CompleteItem(long_id, None, "trailer-cut-v3.mp4",
                          "status unknown: refresh it first, then ask again")]
    app = Host(lambda: CompleteConfirmScreen(items))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = [line for line in rendered(app.screen.query_one("#complete-lines")) if line]
        starts = [line for line in lines if not line.startswith(" ")]
        assert [line.split()[0] for line in starts] == ["up_demo_pending_2", long_id]
        third = starts[0].index("send")
        assert starts[1].index("skip:") == third
        rows: list[list[str]] = []
        for line in lines:
            if not line.startswith(" "):
                rows.append([line[third:]])
            else:  # a continuation: blank under the ID and status, text from the third column
                assert len(line) - len(line.lstrip()) == third
                rows[-1].append(line[third:])
        assert [len(parts) > 1 for parts in rows] == [True, True]  # both wrapped at 80 columns
        assert "watercolor-style-lora.safetensors" in "".join(rows[0])  # folded, not cut
        assert " ".join(rows[1]) == ("skip: status unknown: refresh it first, then ask again "
                                     "trailer-cut-v3.mp4")


async def test_complete_escape_and_n_send_nothing():
    """escape and n answer None."""
    app = Host(lambda: CompleteConfirmScreen(ITEMS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.reopen()
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.results == [None, None]
        assert not isinstance(app.screen, CompleteConfirmScreen)


async def test_complete_nothing_sendable():
    """With every upload skipped the send button is disabled, the text says so, enter -> None."""
    items = [CompleteItem("up_b", "validating", None, "status is validating"),
             CompleteItem("up_x", None, None, "status unknown: refresh it first")]
    app = Host(lambda: CompleteConfirmScreen(items))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#complete-send", Button).disabled
        assert "Nothing can be sent" in one_line(screen.query_one("#complete-summary"))
        assert "? unknown" in one_line(screen.query_one("#complete-lines"))
        await pilot.press("y")
        await pilot.pause()
        assert app.results == [None]


# --- AddIdsScreen --------------------------------------------------------------------------------


MIX = "up_1 up_2\nup_1, known_1; bad/id\n../etc up_3"


async def until_checked(pilot, report, timeout: float = 5.0) -> None:
    """Let the dialog read which IDs are known (in a thread) and show the preview again."""
    import time

    deadline = time.monotonic() + timeout
    await pilot.pause()
    while "checking which are already known" in one_line(report):
        assert time.monotonic() < deadline, one_line(report)
        await pilot.pause(0.02)


async def test_add_live_report_counts():
    """The preview names what will be added, what is known, repeated and ignored (issue 17:
    words not shaped like an ID are ignored, no longer refused)."""
    asked: list[list[str]] = []

    def known(upload_ids: list[str]) -> set[str]:
        asked.append(upload_ids)
        return {i for i in upload_ids if i == "known_1"}

    app = Host(lambda: AddIdsScreen(known=known))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        report = screen.query_one("#add-report")
        assert "Nothing pasted yet." in one_line(report)
        assert screen.query_one("#add-submit", Button).disabled
        screen.query_one("#add-text", TextArea).load_text(MIX)
        await until_checked(pilot, report)
        text = one_line(report)
        assert "Will add 3: up_1, up_2, up_3 Already known 1: known_1" in text
        assert "Repeated 1 (taken once): up_1" in text
        assert "Ignored 3 words, not shaped like an upload ID" in text
        assert text.endswith(": bad, id, etc")
        assert not screen.query_one("#add-submit", Button).disabled
        # Typing more re-reports without asking about the same IDs again.
        area = screen.query_one("#add-text", TextArea)
        area.insert(" up_4", area.document.end)
        await until_checked(pilot, report)
        assert "Will add 4: up_1, up_2, up_3 and 1 more" in one_line(report)
        # one read for the paste, one for the ID typed after it
        assert asked == [["up_1", "up_2", "known_1", "up_3"], ["up_4"]]


async def test_add_thousand_ids():
    """A paste of 1,000 IDs is reported in full."""
    ids = [f"asset_{i:04d}" for i in range(1000)]
    app = Host(lambda: AddIdsScreen(known=lambda wanted: {i for i in wanted if i.endswith("7")}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        area = app.screen.query_one("#add-text", TextArea)
        area.post_message(events.Paste("\n".join(ids)))
        await pilot.pause()
        await until_checked(pilot, app.screen.query_one("#add-report"))
        text = one_line(app.screen.query_one("#add-report"))
        assert "Will add 900: asset_0000, asset_0001, asset_0002 and 897 more" in text
        assert "Already known 100: asset_0007, asset_0017, asset_0027 and 97 more" in text
        assert "Repeated" not in text and "Ignored" not in text


async def test_add_f2_returns_text_and_escape_none():
    """f2 answers the raw text; escape answers None; tab + enter reaches the Add button."""
    app = Host(AddIdsScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#add-text", TextArea).load_text(MIX)
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert app.results == [MIX]
        app.reopen()
        await pilot.pause()
        await pilot.press(*"up_9", "tab")
        assert app.screen.focused is app.screen.query_one("#add-submit")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [MIX, "up_9"]
        app.reopen()
        await pilot.pause()
        await pilot.press("u", "escape")
        await pilot.pause()
        assert app.results == [MIX, "up_9", None]
        assert not isinstance(app.screen, AddIdsScreen)


async def test_add_f2_with_nothing_valid_stays_open():
    """With no valid ID, f2 does not close the dialog."""
    app = Host(AddIdsScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#add-text", TextArea).load_text("bad/id")
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, AddIdsScreen)


async def test_add_paste_cannot_carry_escape_sequences():
    """Control characters in a paste become U+FFFD in the editor and split the token."""
    app = Host(AddIdsScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        area = app.screen.query_one("#add-text", TextArea)
        area.post_message(events.Paste("up_1\r\nup_\x1b[31m2"))
        await pilot.pause()
        assert "\x1b" not in area.text and "\x07" not in area.text
        assert area.text.splitlines()[0] == "up_1"
        text = one_line(app.screen.query_one("#add-report"))
        assert "Will add 1: up_1" in text and "Ignored 2 words" in text


# --- NoteScreen ----------------------------------------------------------------------------------


async def test_note_enter_saves_edited_note():
    """The input is prefilled; enter answers the edited note."""
    app = Host(lambda: NoteScreen("up_1", "old note"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        field = app.screen.query_one("#note-input", Input)
        assert field.value == "old note" and field.max_length == 1000
        await pilot.press("end", *" more", "enter")
        await pilot.pause()
        assert app.results == ["old note more"]


async def test_note_escape_cancels_and_long_note_is_cut():
    """escape answers None; a prefilled note longer than 1000 characters is cut to 1000."""
    app = Host(lambda: NoteScreen("up_1", "x" * 1500))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert len(app.screen.query_one("#note-input", Input).value) == 1000
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


# --- HelpScreen ----------------------------------------------------------------------------------


HELP = [("c", "complete the highlighted upload"), ("ctrl+p", "command palette [b]x[/b]")]


async def test_help_lists_keys_and_closes():
    """The given keys and descriptions are listed (literally), status symbols are explained."""
    app = Host(lambda: HelpScreen(HELP, data_location="/tmp/data/uploads.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        keys = rendered(screen.query_one("#help-keys"))
        assert any(line.startswith("c ") and "complete the highlighted upload" in line
                   for line in keys)
        assert any("ctrl+p" in line and "command palette [b]x[/b]" in line for line in keys)
        statuses = one_line(screen.query_one("#help-statuses"))
        assert "● imported" in statuses and "✗ failed" in statuses and "? unknown" in statuses
        assert "/tmp/data/uploads.db" in one_line(screen.query_one("#help-data"))
        for index, key in enumerate(("escape", "question_mark", "q")):
            if index:
                app.reopen()
                await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen), key
        assert app.results == [None, None, None]


# --- ActivityLogScreen ---------------------------------------------------------------------------


@dataclass
class Event:
    at: str
    profile: str | None
    upload_id: str | None
    action: str
    outcome: str
    http_status: int | None
    message: str | None


def events_(count: int) -> list[Event]:
    """Oldest first on purpose: the screen shows newest first."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [
        Event((start + timedelta(minutes=i)).isoformat(), "default", f"up_{i}", "refresh",
              "ok", 200, f"message {i}")
        for i in range(count)
    ]


async def test_log_shows_rows_newest_first_and_goes_back():
    """200 events become 200 rows, the newest first; escape, L and q go back."""
    app = Host(lambda: ActivityLogScreen(events_(200)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#log-table", DataTable)
        assert table.row_count == 200
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[:6] == ["2026-01-01 03:19:00", "up_199", "refresh", "ok", "200",
                             "message 199"]
        assert "message 199" in one_line(app.screen.query_one("#log-detail"))
        await pilot.press("down")
        await pilot.pause()
        assert "message 198" in one_line(app.screen.query_one("#log-detail"))
        for index, key in enumerate(("escape", "L", "q")):
            if index:
                app.reopen()
                await pilot.pause()
            assert isinstance(app.screen, ActivityLogScreen)
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ActivityLogScreen), key
        assert app.results == [None, None, None]


# --- ErrorScreen ---------------------------------------------------------------------------------


async def test_error_shows_message_and_details():
    """Title, message and details are shown; escape and enter close."""
    app = Host(lambda: ErrorScreen("Unexpected error", "The store [i]broke[/i].",
                                   "Traceback (most recent call last):\n  boom"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "Unexpected error" in str(screen.query_one("#error-dialog").border_title)
        assert one_line(screen.query_one("#error-message")) == "The store [i]broke[/i]."
        assert "Traceback (most recent call last):" in rendered(screen.query_one("#error-details"))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorScreen)
        app.reopen(lambda: ErrorScreen("No details", "Short."))
        await pilot.pause()
        assert not app.screen.query("#error-details")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorScreen)
        assert app.results == [None, None]


# --- Injection and small terminals ---------------------------------------------------------------


def all_screens(text: str = "x") -> dict[str, Callable[[], Screen]]:
    return {
        "confirm": lambda: ConfirmScreen(text, [text] * 30, text, danger=True),
        "complete": lambda: CompleteConfirmScreen(
            [CompleteItem(text, text, text), CompleteItem("up_2", "pending", text, text)]
        ),
        "add": lambda: AddIdsScreen(known=lambda upload_ids: set()),
        "note": lambda: NoteScreen(text, text),
        "help": lambda: HelpScreen([(text, text)] * 30, data_location=text),
        "log": lambda: ActivityLogScreen(
            [Event(text, text, text, text, text, None, text)] + events_(5)
        ),
        "error": lambda: ErrorScreen(text, text, text),
    }


@pytest.mark.parametrize("name", list(all_screens()))
async def test_injection_is_shown_literally(name):
    """Outside text with markup and an OSC 52 sequence shows its brackets and loses the escape."""
    app = Host(all_screens(EVIL)[name])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        if name == "add":
            area = app.screen.query_one("#add-text", TextArea)
            area.post_message(events.Paste(EVIL))
            await pilot.pause()
        drawn = screen_text(app.screen)
        if name == "log":
            table = app.screen.query_one("#log-table", DataTable)
            drawn += "\n".join(str(cell) for row in range(table.row_count)
                               for cell in table.get_row_at(row))
        assert "\x1b" not in drawn
        assert "\x07" not in drawn
        if name == "add":
            # The editor keeps what was pasted, with the control characters made visible.
            assert "\ufffd]52;c;ZXZpbA==\ufffdend" in drawn
            # The preview names the words it ignored, without their brackets.
            assert "Ignored 8 words" in drawn and ": bold, red, x, oops, 52, c" in drawn
        else:
            assert "ZXZpbA" not in drawn
        if name == "note":
            assert app.screen.query_one("#note-input", Input).value == EVIL_SHOWN
            assert EVIL_SHOWN in drawn
        elif name != "add":
            assert "[bold red]x[/]" in drawn and "[/oops]" in drawn


async def test_every_screen_mounts_at_40x12():
    """Each screen mounts and draws in a 40x12 terminal and still closes with escape."""
    screens = all_screens("an-upload-id-that-is-rather-long-0123456789")
    app = Host(screens["confirm"])
    async with app.run_test(size=(40, 12)) as pilot:
        for index, (name, make_screen) in enumerate(screens.items()):
            if index:
                app.reopen(make_screen)
            await pilot.pause()
            screen = app.screen
            assert screen is not app.screen_stack[0], name
            assert screen_text(screen), name
            assert all(widget.region.right <= 40 for widget in screen.query(Button)), name
            await pilot.press("escape")
            await pilot.pause()
            assert len(app.results) == index + 1, name
