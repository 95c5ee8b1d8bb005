"""Issue 17, copy under tmux: ``y``/``Y`` hand the text to ``tmux load-buffer`` when ``$TMUX``
is set (tmux's default settings swallow OSC 52), say where it went, and show the text in a
dialog to copy by hand when no clipboard is known to take it."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Sequence

import pytest
from textual.widgets import TextArea

from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.tui.clipboard import Clipboard, Ran, choose_route
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens.copy_screen import CopyScreen
from tests.conftest import make_app, select, settle

PENDING = seeded_pending_ids(include_bad_file=False)
IN_TMUX = {"TMUX": "/tmp/tmux-1000/default,4242,0", "TERM": "screen-256color"}


class Recorder:
    """A runner that records (argv, stdin) and answers with ``answers`` in turn."""

    def __init__(self, *answers: Ran) -> None:
        self.calls: list[tuple[tuple[str, ...], str]] = []
        self.answers = list(answers) or [Ran(0)]

    def __call__(self, argv: Sequence[str], stdin: str) -> Ran:
        self.calls.append((tuple(argv), stdin))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def toasts(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in notifications(app)]


@pytest.mark.parametrize(("env", "route"), [
    (IN_TMUX, "tmux"),
    ({"TERM": "xterm-kitty"}, "osc52"),
    ({"TERM_PROGRAM": "WezTerm", "TERM": "xterm-256color"}, "osc52"),
    ({"WT_SESSION": "abc"}, "osc52"),
    ({"TERM": "xterm-256color"}, "dialog"),
    ({}, "dialog"),
    ({**IN_TMUX, "SCENARIO_TUI_CLIPBOARD": "osc52"}, "osc52"),
    ({"SCENARIO_TUI_CLIPBOARD": "Dialog ", "TERM": "xterm-kitty"}, "dialog"),
    ({"SCENARIO_TUI_CLIPBOARD": "bogus", "TERM": "xterm-kitty"}, "osc52"),
])
def test_the_route_follows_the_environment(env, route):
    assert choose_route(env) == route


def test_an_older_tmux_is_asked_again_without_w():
    run = Recorder(Ran(1, "command load-buffer: unknown flag -w\nusage: load-buffer ..."),
                   Ran(0))
    clip = Clipboard(env=IN_TMUX, run=run)
    assert clip.to_tmux("abc") is None
    assert run.calls == [(("tmux", "load-buffer", "-w", "-"), "abc"),
                         (("tmux", "load-buffer", "-"), "abc")]


def test_a_tmux_failure_says_why():
    clip = Clipboard(env=IN_TMUX, run=Recorder(Ran(1, "no server running on /tmp/x\n")))
    assert clip.to_tmux("abc") == "no server running on /tmp/x"


async def test_y_under_tmux_loads_the_tmux_buffer_and_says_where(fake, tmp_path):
    app = make_app(fake, tmp_path)
    run = Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.clipboard = Clipboard(env=IN_TMUX, run=run)
        await select(app, pilot, PENDING[0])
        await pilot.press("y")
        await settle(app, pilot)
        assert run.calls == [(("tmux", "load-buffer", "-w", "-"), PENDING[0])]
        assert app.clipboard == PENDING[0]  # OSC 52 went out too
        assert any("copied to the tmux buffer: paste with prefix ]" in t for t in toasts(app))
        assert app.screen is app.main_screen


async def test_Y_under_tmux_sends_the_summary_on_stdin(fake, tmp_path):
    app = make_app(fake, tmp_path)
    run = Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.clipboard = Clipboard(env=IN_TMUX, run=run)
        await select(app, pilot, PENDING[0])
        await pilot.press("space")
        await select(app, pilot, PENDING[1])
        await pilot.press("space", "Y")
        await settle(app, pilot)
        [(argv, stdin)] = run.calls
        assert argv == ("tmux", "load-buffer", "-w", "-")
        lines = stdin.splitlines()
        assert len(lines) == 2
        assert {line.split(" | ")[:2][0] for line in lines} == set(PENDING[:2])
        assert all(line.split(" | ")[1] == "pending" for line in lines)
        assert any("Summary of 2 uploads: copied to the tmux buffer" in t for t in toasts(app))


async def test_without_a_known_clipboard_the_text_is_offered_selected(fake, tmp_path):
    app = make_app(fake, tmp_path)
    run = Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.clipboard = Clipboard(env={"TERM": "xterm-256color"}, run=run)
        await select(app, pilot, PENDING[0])
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, CopyScreen)
        area = app.screen.query_one(TextArea)
        assert area.read_only and area.has_focus
        assert area.text == PENDING[0] and area.selected_text == PENDING[0]
        assert run.calls == []
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen


async def test_when_tmux_refuses_the_text_is_offered_with_the_reason(fake, tmp_path):
    app = make_app(fake, tmp_path)
    run = Recorder(Ran(1, "no current client"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.clipboard = Clipboard(env=IN_TMUX, run=run)
        await select(app, pilot, PENDING[0])
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, CopyScreen)
        assert "tmux did not take it: no current client" in str(
            app.screen.query_one("#copy-hint").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.main_screen


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_real_tmux_server_gets_the_text():
    """A private tmux server (``-L``): the text loaded is the text ``show-buffer`` reads back."""
    name = f"scenario-tui-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    subprocess.run(["tmux", "-L", name, "-f", os.devnull, "new-session", "-d"], check=True,
                   env=env, timeout=10)
    try:
        clip = Clipboard(env=IN_TMUX, tmux=("tmux", "-L", name))
        text = "up_demo_pending_1 | pending | \"quoted\" $HOME `x`"
        assert clip.to_tmux(text) is None
        shown = subprocess.run(["tmux", "-L", name, "show-buffer"], capture_output=True,
                               text=True, env=env, timeout=10, check=True).stdout
        assert shown == text
    finally:
        subprocess.run(["tmux", "-L", name, "kill-server"], env=env, timeout=10, check=False)


async def test_the_dialog_shows_a_long_summary_wrapped_from_its_start(fake, tmp_path):
    """Lines wider than the dialog wrap (nothing hidden to the right) and the view is at the
    start of the text, though selecting it all put the cursor at its end."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.main_screen.clipboard = Clipboard(env={"SCENARIO_TUI_CLIPBOARD": "dialog"},
                                              run=Recorder())
        for upload_id in PENDING[:3]:
            await select(app, pilot, upload_id)
            await pilot.press("space")
        await pilot.press("Y")
        await settle(app, pilot)
        area = app.screen.query_one(TextArea)
        assert len(area.text.splitlines()) == 3
        assert max(map(len, area.text.splitlines())) > area.content_size.width
        assert area.soft_wrap and area.virtual_size.width <= area.content_size.width
        assert area.scroll_offset == (0, 0) and area.selected_text == area.text
