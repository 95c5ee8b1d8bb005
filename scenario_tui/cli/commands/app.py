"""The subcommands that start something long-running: the TUI (no subcommand), ``demo`` (the
TUI on the fake API) and ``fake-api`` (the fake alone, served until interrupted).

Textual is imported only in the functions that start the app, and the fake only in ``demo`` and
``fake-api``: the scripting subcommands load neither.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from scenario_tui.cli.demo_seed import seed_demo_store
from scenario_tui.cli.output import EXIT_OK, EXIT_USAGE, say
from scenario_tui.cli.wiring import (
    build_service,
    connecting_store,
    deferred_service,
    front_page_store,
    keep_front_page,
    missing_store_error,
    open_store,
    open_team_store,
    read_only_store_warning,
    store_exists,
)

if TYPE_CHECKING:
    import argparse

_STEP_HELP = "seconds per lifecycle step of a completed upload (0: no wait)"

NEEDS_TERMINAL = ("scenario-tui needs a terminal; see `scenario-tui --help` for the scripting "
                  "commands")

#: how another process names this one when it holds an upload ("being completed by ... (the TUI)")
TUI_HOLDER = "the TUI"


def add_commands(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare these subcommands with ``cmd(name, help, handler) -> ArgumentParser``."""
    demo = cmd("demo", "open the TUI on a built-in fake API with sample uploads", cmd_demo)
    demo.add_argument("--step-seconds", type=float, default=1.0, help=_STEP_HELP)
    demo.add_argument("--team", action="store_true",
                      help="on a throwaway PostgreSQL team store (needs the server binaries: "
                           "initdb, pg_ctl), with a simulated teammate, ann, at work")
    demo.add_argument("--teammate-pace", type=float, default=None, metavar="SECONDS",
                      help="with --team: seconds between the teammate's steps (default 4)")
    fake = cmd("fake-api", "serve the fake Scenario API on 127.0.0.1 until interrupted",
               cmd_fake_api)
    fake.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    fake.add_argument("--api-key", help="demand exactly this API key")
    fake.add_argument("--api-secret", help="demand exactly this API secret")
    fake.add_argument("--step-seconds", type=float, default=1.0, help=_STEP_HELP)
    fake.add_argument("--no-seed", action="store_true", help="start with no sample uploads")


@contextmanager
def _collector_off_until_first_frame() -> Iterator[None]:
    """Start-up allocates many objects (Textual's import above all) and frees almost none of
    them: cyclic collections meanwhile are work for nothing (bench/RESULTS.md). The main screen
    turns the collector on after the first frame, when it freezes what start-up built; failing
    before that, it is on again on the way out."""
    import gc

    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def has_terminal() -> bool:
    """Whether stdin and stdout are both terminals: the TUI needs both (without, Textual runs
    on and on, reading nothing, spinning a core)."""
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_tui(args, settings) -> int:
    if not has_terminal():
        say(NEEDS_TERMINAL)
        return EXIT_USAGE
    if not store_exists(settings):
        if getattr(args, "store", None) and not getattr(args, "new_store", False):
            raise missing_store_error(settings, "Pass --new-store to create it.")
    with _collector_off_until_first_frame():
        return _run_tui(settings)


def _run_tui(settings) -> int:
    # a team store with a front page kept from the last session connects after the first
    # frame, which shows that page meanwhile (``store.connecting``); at its first start here,
    # a forked reader reads the page while Textual loads
    store = connecting_store(settings) or _read_first_page(settings)
    if store is None:
        store, settings = _open_before_start(settings)

    from scenario_tui.tui.app import ScenarioApp

    app = ScenarioApp(deferred_service(settings, store, holder_label=TUI_HOLDER), settings)
    app.run()
    if app.startup_error is not None:
        raise app.startup_error
    keep_front_page(settings, store, app.front_page)  # a team store's, for the next start
    return _exit_code(app)


def _read_first_page(settings):
    """The team store of ``settings`` on its front page as read now by a forked reader
    (``cli.first_page``) while Textual loads; None for a local store, or where there is no
    reader or it read nothing (the store is then opened here, before the TUI starts). Raises
    what opening the store raised in the reader."""
    url = front_page_store(settings)
    if url is None:
        return None
    from scenario_tui.cli.first_page import start_reader

    reader = start_reader(url, open_team_store, read_only=settings.read_only)
    if reader is None:
        return None
    import scenario_tui.tui.app  # noqa: F401 - Textual loads while the reader reads

    page = reader.page()
    return None if page is None else connecting_store(settings, page)


def _open_before_start(settings):
    """The store of ``settings``, opened and checked while Textual loads, and the settings
    (read-only when the store's directory is not writable)."""
    import threading

    if not store_exists(settings):  # the first start, or --new-store: said before the TUI
        say(f"new empty store created at {settings.store_path.expanduser().absolute()}")
    # Checking every page of the store is one SQLite call that runs without the GIL: it
    # overlaps with importing Textual, and ends before anything runs.
    store = open_store(settings, verify=False, warn=False)
    warning = read_only_store_warning(store, settings)
    if warning:  # a store in a directory we cannot write: a read-only session, said in a toast
        settings = settings.with_overrides(read_only=True, warnings=(*settings.warnings, warning))
    problem: list[BaseException] = []

    def verify() -> None:
        try:
            store.verify()
        except BaseException as exc:  # raised below, in the main thread
            problem.append(exc)

    checker = threading.Thread(target=verify, name="verify-store")
    checker.start()
    import scenario_tui.tui.app  # noqa: F401 - Textual loads while the store is checked

    checker.join()
    if problem:
        store.close()
        raise problem[0]
    return store, settings


def _exit_code(app) -> int:
    """The app's own code: non-zero when it ended on an error (never 0 after a crash)."""
    return app.return_code or EXIT_OK


def cmd_demo(args, settings) -> int:
    from scenario_tui.cli.team_demo import check_team_demo, run_team_demo

    bindir = check_team_demo(args)  # first: without the server binaries, nothing is started
    if not has_terminal():
        say(NEEDS_TERMINAL)
        return EXIT_USAGE
    with _collector_off_until_first_frame():
        if bindir is not None:
            return _exit_code(run_team_demo(args, settings, bindir, holder_label=TUI_HOLDER))
        return _run_demo(args, settings)


def _run_demo(args, settings) -> int:
    import tempfile
    import time

    from scenario_tui.core.ending import exit_on_signals
    from scenario_tui.fake.scenario import FakeScenario
    from scenario_tui.fake.server import serve

    fake = FakeScenario(step_seconds=args.step_seconds, seed_epoch=time.time() - 5400)
    restore = exit_on_signals()  # a closed SSH session still removes the demo's store
    with tempfile.TemporaryDirectory(prefix="scenario-tui-demo-") as tmp, serve(fake) as server:
        demo_settings = settings.with_overrides(
            base_url=server.base_url, api_key="demo-key", api_secret="demo-secret", jwt=None,
            project_id=None, store_path=Path(tmp) / "demo.db", demo=True, profile="demo",
            warnings=(),
        )
        service = build_service(demo_settings, holder_label=TUI_HOLDER,
                                store=open_store(demo_settings, warn=False))
        seed_demo_store(service.store, fake)
        from scenario_tui.tui.app import ScenarioApp

        app = ScenarioApp(service, demo_settings)
        try:
            app.run()
        finally:
            service.store.close()
            restore()
    return _exit_code(app)


def cmd_fake_api(args, settings) -> int:
    from scenario_tui.fake.scenario import FakeScenario
    from scenario_tui.fake.server import run_forever

    fake = FakeScenario(
        step_seconds=args.step_seconds, api_key=args.api_key, api_secret=args.api_secret,
        seed=not args.no_seed,
    )

    def ready(base_url: str) -> None:
        print(base_url, flush=True)
        say("Fake Scenario API ready; Ctrl+C stops it.")

    run_forever(fake, host="127.0.0.1", port=args.port, on_ready=ready)
    return EXIT_OK
