"""A team store's first start on this machine: its front page read by a forked reader while
Textual loads (``cli.first_page``), on a real PostgreSQL database.

Each case runs in a fresh Python process of its own: a fork copies one thread, so the reader is
only used where no other thread runs, which a pytest process with its fixtures cannot promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from scenario_tui.cli.wiring import open_team_store
from scenario_tui.core import errors
from scenario_tui.fake.seeds import seeded_pending_ids

PENDING = seeded_pending_ids(include_bad_file=False)


def run_python(code: str, *args: str, env: dict[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def last_json(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


READ = """
    import json, os, sys
    from scenario_tui.cli.first_page import start_reader
    from scenario_tui.cli.wiring import open_team_store

    reader = start_reader(sys.argv[1], open_team_store)
    try:
        page = reader.page()
        print(json.dumps({"total": page.total, "ids": [row.id for row in page.rows],
                          "notes": [row.note for row in page.rows],
                          "claims": [c.upload_id for c in page.claims], "actor": page.actor,
                          "psycopg": "psycopg" in sys.modules}))
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__, "title": exc.title,
                          "message": exc.message, "psycopg": "psycopg" in sys.modules}))
    try:
        os.waitpid(reader.pid, os.WNOHANG)
        print("the reader was not waited for")
    except ChildProcessError:
        pass  # reaped: no zombie left
"""


def test_the_reader_reads_the_front_page_and_the_launcher_loads_no_psycopg(pg_url):
    with open_team_store(pg_url) as team:
        team.add(PENDING[:3])
        team.set_note(PENDING[1], "customer says: stuck since Monday")
        team.claim([PENDING[0]])
        actor = team.actor
    seen = last_json(run_python(READ, pg_url))
    assert seen == {"total": 3, "ids": list(reversed(PENDING[:3])),
                    "notes": ["", "customer says: stuck since Monday", ""],
                    "claims": [PENDING[0]], "actor": actor, "psycopg": False}


@pytest.mark.parametrize("case", ["missing database", "no schema"])
def test_what_the_reader_meets_is_raised_as_opening_here_raises_it(pg_url, pg_empty_url, case):
    """The same error class, title and message as opening the store in this process."""
    head, _, query = pg_url.partition("?")
    url = (f"{head.rpartition('/')[0]}/no_such_team?{query}" if case == "missing database"
           else pg_empty_url)
    with pytest.raises(errors.StoreError) as here:
        open_team_store(url)
    seen = last_json(run_python(READ, url))
    assert seen == {"error": type(here.value).__name__, "title": here.value.title,
                    "message": here.value.message, "psycopg": False}


def test_a_reader_that_fails_unexpectedly_reports_nothing_and_says_nothing(tmp_path):
    """Its output goes nowhere (not to the terminal); the launcher then opens the store
    itself, as without a reader."""
    result = run_python("""
        import json, sys
        from scenario_tui.cli.first_page import start_reader

        def opener(url, read_only):
            print("the reader speaks", flush=True)
            print("the reader speaks", file=sys.stderr, flush=True)
            raise RuntimeError("a bug in the reader")

        reader = start_reader("postgresql:///team", opener)
        print(json.dumps({"page": reader.page()}))
    """)
    assert last_json(result) == {"page": None}
    assert "the reader speaks" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "a bug" not in result.stderr


def test_no_reader_while_other_threads_run_nor_without_fork(monkeypatch):
    result = run_python("""
        import json, threading
        from scenario_tui.cli.first_page import start_reader

        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        with_thread = start_reader("postgresql:///team", lambda url, read_only: None)
        stop.set()
        thread.join()
        print(json.dumps({"with_thread": with_thread is None}))
    """)
    assert last_json(result) == {"with_thread": True}
    from scenario_tui.cli import first_page

    monkeypatch.delattr(os, "fork")
    assert first_page.start_reader("postgresql:///team", open_team_store) is None


def test_interrupted_while_waiting_the_reader_is_ended_and_reaped():
    """Ctrl+C while the server is slow: the launcher stops at once, leaving no reader behind."""
    result = run_python("""
        import json, os, signal, sys, time
        from scenario_tui.cli.first_page import start_reader

        def slow(url, read_only):
            time.sleep(60)

        def interrupt(*args):
            raise KeyboardInterrupt

        reader = start_reader("postgresql:///team", slow)
        signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        started = time.monotonic()
        try:
            reader.page()
        except KeyboardInterrupt:
            pass
        waited = time.monotonic() - started
        try:
            os.waitpid(reader.pid, os.WNOHANG)
            reaped = False
        except ChildProcessError:
            reaped = True
        print(json.dumps({"quick": waited < 5, "reaped": reaped,
                          "gone": not os.path.exists(f"/proc/{reader.pid}")}))
    """)
    assert last_json(result) == {"quick": True, "reaped": True, "gone": True}


def test_the_tui_starts_on_the_page_read_at_its_first_start(cli_env, pg_url, tmp_path):
    """``scenario-tui --store URL`` with no page kept: the TUI starts on the page the reader
    read, connecting after its first frame as on a later start, psycopg not loaded yet; a
    store that cannot be opened is said before the TUI starts, as before."""
    with open_team_store(pg_url) as team:
        team.add(PENDING[:3])
    launch = """
        import json, sys
        from scenario_tui.cli import main as cli
        from scenario_tui.cli.commands import app as app_command
        from scenario_tui.tui.app import ScenarioApp

        app_command.has_terminal = lambda: True  # no terminal here

        def run(app):
            store = app.service.store
            print(json.dumps({"store": type(store).__name__, "connected": store.connected,
                              "origin": store.origin,
                              "count": store.count(),
                              "ids": [row.id for row in store.list(limit=3)],
                              "psycopg": "psycopg" in sys.modules}))

        ScenarioApp.run = run
        sys.exit(cli.main(["--store", sys.argv[1]]))
    """
    seen = last_json(run_python(launch, pg_url, env=cli_env))
    assert seen == {"store": "ConnectingStore", "connected": False,
                    "origin": "list read at start", "count": 3,
                    "ids": list(reversed(PENDING[:3])), "psycopg": False}
    head, _, query = pg_url.partition("?")
    missing = run_python(launch, f"{head.rpartition('/')[0]}/no_such_team?{query}", env=cli_env)
    assert missing.returncode != 0 and missing.stdout == ""
    assert "Team store: database missing" in missing.stderr and "no_such_team" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_what_is_loaded_before_the_fork_the_tui_loads_anyway():
    """The launcher loads ``SHARED`` before forking, so the reader has less to do beside
    Textual's import: each must be something the TUI's start on a read page loads anyway
    (the launcher's own work stays the same)."""
    from scenario_tui.cli.first_page import SHARED

    loaded = set(last_json(run_python("""
        import json, sys
        import scenario_tui.cli.commands.app, scenario_tui.tui.app, scenario_tui.store.connecting
        print(json.dumps(sorted(sys.modules)))
    """)))
    assert set(SHARED) <= loaded
