"""Changing a scroll view's virtual size without a layout pass of the whole screen.

Textual declares ``virtual_size`` with ``layout=True``: every change lays out every widget on the
screen again (10 to 20 ms here), though only the view's own scrollbar depends on it. The list
changes its virtual size at each filter keystroke and the detail pane at each cursor move, so
they set it through ``set_virtual_size``: the scrollbar's range is updated in place, and a layout
pass happens only when the scrollbar appears or disappears (which changes the view's width).
Textual is pinned (pyproject.toml); this uses its ``_scroll_update``.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_virtual_size(view: ScrollView, size: Size) -> None:
    if size == view.virtual_size:
        return
    if not view.is_mounted or not view.container_size:
        view.virtual_size = size  # not laid out yet: the first layout sets the scrollbars up
        return
    view.set_reactive(ScrollView.virtual_size, size)
    # shows or hides the scrollbars (a layout then: the reactive says so), sets their range,
    # and keeps the scroll offset within the new size
    view._scroll_update(size)
    view.refresh()
