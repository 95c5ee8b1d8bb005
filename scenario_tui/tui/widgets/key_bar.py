"""One line of key hints at the foot of every screen: what the focused screen's keys do now.

It stands in for Textual's ``Footer``, which builds one child widget per key and rebuilds them
all (a mount and a layout pass of the whole screen) whenever the bindings may have changed:
after every dialog, every focus change, and the key pressed just after a dialog closed waited
for it (``bench/bench_refresh.py``; bench/RESULTS.md, session 3, "A key bar instead of Textual's
``Footer``"). This bar is a single widget of fixed height: new bindings only repaint its line.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget


class KeyBar(Widget):
    """The shown bindings of the screen's focus chain, as ``key description`` pairs."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--disabled {
        text-style: dim;
    }
    """

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        #: (first cell, end cell, key) of each hint as last drawn, for a click
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()  # one line, same size: a repaint, never a layout

    def hints(self, active: dict | None = None) -> list[tuple[str, str, str, bool]]:
        """(key, key as shown, description, enabled) of each shown binding, one per action
        (of the screen's ``active_bindings``, which walks the focus chain: pass it if known)."""
        seen: set[str] = set()
        hints = []
        app = self.app
        active = self.screen.active_bindings if active is None else active
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            hints.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        return hints

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        disabled_style = self.get_component_rich_style("key-bar--disabled")
        spans: list[tuple[int, int, str]] = []

        def hint(text: Text, key: str, shown: str, description: str, enabled: bool) -> None:
            start = text.cell_len
            dim = disabled_style if not enabled else None
            text.append(f" {shown}", key_style + dim if dim else key_style)
            text.append(f" {description} ", description_style + dim if dim else description_style)
            spans.append((start, text.cell_len, key))

        active = self.screen.active_bindings
        palette = self._palette_hint(active)
        # at the right edge, always in view (every command is in the palette), when it fits
        room = self.size.width - cell_len(f"│ {palette[1]} {palette[2]} ") if palette else 0
        if room < 10:
            palette, room = None, self.size.width
        text = Text(no_wrap=True, overflow="crop", end="")
        for key, shown, description, enabled in self.hints(active):
            if text.cell_len + cell_len(f" {shown} {description} ") > room:
                break  # a hint is shown whole or not at all
            hint(text, key, shown, description, enabled)
        if palette is not None:
            text.append(" " * (room - text.cell_len) + "│")
            hint(text, *palette, True)
        text.stylize_before(self.rich_style)
        self._spans = spans
        return text

    def _palette_hint(self, active: dict) -> tuple[str, str, str] | None:
        app = self.app
        if not app.ENABLE_COMMAND_PALETTE:
            return None
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        if palette is None:
            return None
        binding = palette.binding
        return binding.key, app.get_key_display(binding), binding.description

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
