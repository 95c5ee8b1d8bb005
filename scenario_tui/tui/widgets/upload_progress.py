"""One line per file being uploaded: percent, a bar, bytes, rate and ETA. Hidden when idle."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from scenario_tui.core.inert import inert_text
from scenario_tui.core.present import progress_bar
from scenario_tui.core.units import human_size


def describe(progress) -> str:
    """'name  45% [#########-----------] 12.0 MiB of 30.0 MiB, 8.0 MiB/s, ETA 3 s'."""
    rate = f"{human_size(progress.rate_bps)}/s" if progress.rate_bps else "starting"
    eta = f", ETA {progress.eta_s:.0f} s" if progress.eta_s is not None else ""
    name = inert_text(progress.file_name, one_line=True, limit=24)
    return (
        f"⇡ {name}  {progress.fraction * 100:3.0f}% {progress_bar(progress.fraction, 16)} "
        f"{human_size(progress.bytes_sent)} of {human_size(progress.total)}, {rate}{eta}"
    )


class UploadProgress(Static):
    """The screen sets ``show(progress_by_file)``; the widget renders it."""

    DEFAULT_CSS = """
    UploadProgress { height: auto; padding: 0 1; background: $boost; display: none; }
    UploadProgress.-active { display: block; }
    """

    def show(self, progress_by_file: dict) -> None:
        self.set_class(bool(progress_by_file), "-active")
        self.update(Text("\n".join(describe(p) for p in progress_by_file.values())))
