"""A team store's first page at its first start on this machine, read by a forked process.

Every later start shows the front page its last session kept (``store.front_page``) and opens
the store after the first frame. The first start has no such page: the first frame needs the
store's first page, and reading it means loading PostgreSQL's client library (psycopg) and
connecting, work that would come on top of loading Textual. So the launcher forks a reader
before it loads Textual: the child opens the store, reads its front page, writes it to a pipe and
ends, on the other core, while the parent loads Textual; the parent then starts on that page as
on any later start (``store.connecting``), and opens the store itself after the first frame.

The child writes to nothing but the pipe (its standard streams go to /dev/null, so nothing of it
reaches the terminal) and ends with ``os._exit`` (the parent's exit handlers and buffers are not
its own). It reports one of:

- ``page`` and the page's text (``front_page.page_text``);
- ``error`` and the error it met, one of ``core.errors`` (its class, title and message; the
  messages never hold a password), which the parent raises as if it had met it itself;
- nothing, after anything unexpected: the parent then opens the store itself, as it does where
  there is no reader (no ``os.fork``, or threads already running: a fork copies one thread).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from scenario_tui.store.front_page import FrontPage
    from scenario_tui.store.protocol import StoreProtocol

PAGE, ERROR = b"page", b"error"
#: what both the reader and the TUI load, loaded before the fork: the launcher would load it
#: during Textual's import anyway, and the reader has that much less to do beside that import
#: (the two compete for the machine's cores: bench/RESULTS.md, session 12)
SHARED = ("asyncio", "dataclasses", "decimal", "typing_extensions",
          "scenario_tui.store.protocol", "scenario_tui.store.connecting")


class PageReader:
    """The forked reader of the first page of the team store at ``url`` (``start_reader``)."""

    def __init__(self, url: str, pid: int, fd: int) -> None:
        self.url = url
        self.pid = pid
        self._fd = fd

    def page(self) -> FrontPage | None:
        """Wait for the reader to end: the page it read; None when it reported nothing usable
        (open the store here instead). Raises the error it met (the StoreError family)."""
        chunks, ended = [], False
        try:
            while chunk := os.read(self._fd, 1 << 16):
                chunks.append(chunk)
            ended = True
        finally:
            os.close(self._fd)
            if not ended:  # interrupted while waiting: the reader is of no use any more
                _end(self.pid)
            os.waitpid(self.pid, 0)
        kind, _, body = b"".join(chunks).partition(b"\n")
        if kind == ERROR:
            raise _error(body)
        if kind != PAGE:
            return None
        from scenario_tui.store.front_page import page_from_text

        return page_from_text(body.decode("utf-8", "replace"), self.url)


def start_reader(url: str, opener: Callable[..., StoreProtocol], *,
                 read_only: bool = False) -> PageReader | None:
    """Fork a process that opens the team store at ``url`` with ``opener(url,
    read_only=...)`` and reads its front page; None where a fork cannot be used here."""
    import threading

    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    _load_shared()
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory, or too many processes: read it here
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read_end)
            _quiet()
            _report(write_end, url, opener, read_only)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    return PageReader(url, pid, read_end)


def _report(fd: int, url: str, opener: Callable[..., StoreProtocol], read_only: bool) -> None:
    """In the child: open the store, read its page, and write what came of it to ``fd``."""
    from scenario_tui.core.errors import ScenarioTuiError
    from scenario_tui.store.front_page import page_text, read_page

    store = None
    try:
        store = opener(url, read_only=read_only)
        report = PAGE + b"\n" + page_text(url, read_page(store)).encode("utf-8")
    except ScenarioTuiError as exc:
        import json

        report = ERROR + b"\n" + json.dumps(
            {"kind": type(exc).__name__, "title": exc.title, "message": exc.message}).encode()
    try:
        view = memoryview(report)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)  # the parent goes on at once
        if store is not None:
            store.close()


def _load_shared() -> None:
    import importlib

    for name in SHARED:
        try:
            importlib.import_module(name)
        except ImportError:  # the reader loads it, or says why it cannot
            pass


def _quiet() -> None:
    """The child's standard streams go to /dev/null: nothing of it reaches the terminal."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _end(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)  # the reader this process forked, by its PID
    except ProcessLookupError:
        pass


def _error(body: bytes) -> Exception:
    """The error the reader reported, as the parent raises it (a StoreError when its class is
    not one of ``core.errors``' own)."""
    import json

    from scenario_tui.core import errors

    try:
        report = json.loads(body)
        kind, title, message = report["kind"], str(report["title"]), str(report["message"])
    except (ValueError, KeyError, TypeError):
        return errors.StoreError("The team store could not be opened.")
    cls = getattr(errors, kind, None) if isinstance(kind, str) else None
    if isinstance(cls, type) and issubclass(cls, errors.ScenarioTuiError):
        try:
            return cls(message, title=title)
        except TypeError:
            pass
    return errors.StoreError(message, title=title)
