"""The canary for ``tui/internals.py``: every private Textual name it uses still exists, with the
signature used, so an upgrade of Textual fails here with a list of what changed; and each hook's
switch falls back to plain Textual."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.driver import Driver
from textual.notifications import Notifications
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from scenario_tui.tui import internals

#: (class, private method, its parameters as internals.py calls or replaces it)
METHODS = [
    (App, "_display", ["self", "screen", "renderable"]),
]
#: (class, private attribute set on every instance, its type)
ATTRIBUTES = [
    (App, "_driver", (Driver, type(None))),
    (App, "_batch_count", int),
    (App, "_notifications", Notifications),
]
#: public methods that internals.py wraps on an instance: their parameters must still fit
WRAPPED = [
    (Driver, "send_message", ["self", "message"]),
]


def _private_names_in_internals() -> set[str]:
    tree = ast.parse(Path(internals.__file__).read_text())
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr.startswith("_")
            and not node.attr.startswith("__")}


def test_every_private_textual_name_used_is_still_there_with_its_signature():
    problems = []
    for cls, name, params in METHODS + WRAPPED:
        method = getattr(cls, name, None)
        if not callable(method):
            problems.append(f"{cls.__name__}.{name}: gone")
        elif (found := list(inspect.signature(method).parameters)) != params:
            problems.append(f"{cls.__name__}.{name}{tuple(found)}: was {tuple(params)}")
    app = App()
    for cls, name, kind in ATTRIBUTES:
        if not hasattr(app, name):
            problems.append(f"{cls.__name__}().{name}: gone")
        elif not isinstance(getattr(app, name), kind):
            problems.append(f"{cls.__name__}().{name}: now a {type(getattr(app, name))}")
    declared = Widget.__dict__.get("virtual_size")
    if not isinstance(declared, Reactive):
        problems.append("Widget.virtual_size: no longer a Reactive (NoLayoutInput re-declares it)")
    assert problems == [], "Textual changed under tui/internals.py:\n" + "\n".join(problems)


def test_the_canary_covers_every_private_name_internals_uses():
    """A new hook in internals.py needs its line in the tables above."""
    covered = {name for _cls, name, _params in METHODS} | {name for _c, name, _k in ATTRIBUTES}
    assert _private_names_in_internals() == covered


async def test_notifications_are_the_ones_not_yet_expired():
    app = App()
    async with app.run_test() as pilot:
        app.notify("kept", title="One")
        app.notify("gone", timeout=0.01)
        await pilot.pause(0.05)
        assert [(n.title, n.message) for n in internals.notifications(app)] == [("One", "kept")]


def test_frames_held_counts_the_open_batch_updates():
    app = App()
    assert internals.frames_held(app) == 0
    with app.batch_update():
        with app.batch_update():
            assert internals.frames_held(app) == 2
        assert internals.frames_held(app) == 1
    assert internals.frames_held(app) == 0


class _Host(App):
    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


class _Rows(ScrollView):
    def render_line(self, y: int) -> Strip:
        return Strip.blank(self.size.width)


def _count_layouts(app: App) -> list[int]:
    layouts: list[int] = []
    app.screen.screen_layout_refresh_signal.subscribe(app, lambda _s: layouts.append(1),
                                                      immediate=True)
    return layouts


@pytest.mark.parametrize("quiet", [True, False])
async def test_a_no_layout_input_types_without_a_layout_unless_switched_off(monkeypatch, quiet):
    monkeypatch.setattr(internals, "QUIET_INPUT_SIZE", quiet)
    field = internals.NoLayoutInput()
    app = _Host(field)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        layouts = _count_layouts(app)
        await pilot.press(*"abc")
        await pilot.pause()
        assert field.value == "abc"
        assert bool(layouts) is not quiet


async def test_watched_frames_stop_and_unwrap():
    app = _Host(Input())
    async with app.run_test(size=(40, 10)) as pilot:
        frames: list[int] = []
        stop = internals.watch_frames(app, lambda: frames.append(1))
        await pilot.press("a")
        await pilot.pause()
        assert frames
        stop()
        assert "_display" not in vars(app)  # back to Textual's method
        count = len(frames)
        await pilot.press("b")
        await pilot.pause()
        assert len(frames) == count


async def test_a_watcher_installed_later_sees_the_frame_before_or_after_the_earlier_ones():
    """``before=True`` runs ahead of what earlier watchers do at the same frame (a test can then
    see a frame that an earlier watcher reacts to, as the app's resume at the frame)."""
    app = _Host(Input())
    async with app.run_test(size=(40, 10)) as pilot:
        order: list[str] = []
        internals.watch_frames(app, lambda: order.append("earlier"))
        stop_before = internals.watch_frames(app, lambda: order.append("before"), before=True)
        await pilot.press("a")
        await pilot.pause()
        assert order[:2] == ["before", "earlier"]
        stop_before()
        order.clear()
        internals.watch_frames(app, lambda: order.append("after"))
        await pilot.press("b")
        await pilot.pause()
        assert order[:2] == ["earlier", "after"]


async def test_the_key_hooks_install_nothing_when_switched_off(monkeypatch):
    app = _Host(Input())
    async with app.run_test(size=(40, 10)):
        keys: list[int] = []
        monkeypatch.setattr(internals, "KEY_HANDOVER", False)
        monkeypatch.setattr(internals, "FRAME_RESUME", False)
        assert not internals.hand_over_keys(app, lambda: keys.append(1))
        assert not internals.resume_at_frames(app, lambda: None)
        assert "_display" not in vars(app)
        monkeypatch.setattr(internals, "KEY_HANDOVER", True)
        assert internals.hand_over_keys(app, lambda: keys.append(1))


async def test_switched_off_the_app_steps_aside_at_its_key_handler_and_resumes_after_refresh(
        monkeypatch, fake, tmp_path):
    """Plain Textual: no driver hand-over, no frame hook; the work still steps aside for the
    key and resumes once after it."""
    from tests.conftest import make_app, settle

    monkeypatch.setattr(internals, "KEY_HANDOVER", False)
    monkeypatch.setattr(internals, "FRAME_RESUME", False)
    calls: list[str] = []

    class Work:
        def step_aside(self, seconds: float) -> None:
            calls.append("aside")

        def resume(self) -> None:
            calls.append("resume")

    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "_display" not in vars(app)
        app.yield_to_keys(Work())
        await pilot.press("down")
        await pilot.pause()
        assert calls == ["aside", "resume"]
