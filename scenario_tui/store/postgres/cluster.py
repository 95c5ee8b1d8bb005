"""A throwaway PostgreSQL cluster, for ``demo --team`` and the tests: ``initdb`` and ``pg_ctl``
on a Unix socket in a temporary directory (no TCP port), fsync off, trust authentication;
stopped and removed by ``stop()``, at exit, and on SIGTERM or SIGHUP (``remove_on_signals``).

PostgreSQL refuses to run as root: when this process is root, the server runs as the
``postgres`` user (``runuser``) in a directory given to that user, and clients connect over the
socket as the superuser role initdb made (``postgres``).

Starting and stopping need no driver: psycopg is imported only by the verbs that run SQL.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from scenario_tui.core.ending import ENDING_SIGNALS, exit_on_signals
from scenario_tui.core.errors import StoreError

#: the role initdb creates; the cluster's owner, and who ``url()`` connects as by default
SUPERUSER = "postgres"
#: the OS user the server runs as when this process is root
SERVER_OS_USER = "postgres"
#: Debian and Ubuntu install the server binaries off PATH, one directory per major version
#: (``<root>/15/bin``): the last place looked, when neither PATH nor pg_config knows them
DEBIAN_ROOT = Path("/usr/lib/postgresql")
#: what to install when they are missing
SERVER_PACKAGE_HINT = "the PostgreSQL server binaries (initdb, pg_ctl; Debian package postgresql)"
#: the longest path a Unix socket may have (sun_path is 108 bytes, with its NUL)
_SOCKET_PATH_MAX = 107


class ClusterError(StoreError):
    """The cluster could not be made, started or used (with the server's own words)."""


class PostgresUnavailableError(ClusterError):
    """This machine cannot run a PostgreSQL server (no binaries, or root without a way out): a
    missing prerequisite, like a usage error (exit code 2)."""

    exit_code = 2


def _has_server(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _major(directory: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", directory.parent.name)) or (0,)


def find_bindir(path: str | None = None, debian_root: Path = DEBIAN_ROOT) -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: from PATH (``path``, else the
    environment's), else ``pg_config --bindir``, else the newest ``<debian_root>/*/bin``."""
    search = os.environ.get("PATH", "") if path is None else path
    initdb = shutil.which("initdb", path=search)
    if initdb:
        found = Path(os.path.realpath(initdb)).parent  # next to the real file: postgres is too
        if _has_server(found):
            return found
    pg_config = shutil.which("pg_config", path=search)
    if pg_config:
        try:
            answer = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                    timeout=10, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            answer = ""
        if answer and _has_server(Path(answer)):
            return Path(answer)
    versions = sorted((d for d in debian_root.glob("*/bin") if _has_server(d)), key=_major)
    return versions[-1] if versions else None


def why_cannot_run(bindir: Path | None) -> str | None:
    """What stops this machine from running a cluster from ``bindir`` (None: nothing)."""
    if bindir is None:
        return f"{SERVER_PACKAGE_HINT} are not installed"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root, and runuser (to start PostgreSQL as another user) is missing"
        try:
            import pwd

            pwd.getpwnam(SERVER_OS_USER)
        except KeyError:
            return (f"running as root, and there is no {SERVER_OS_USER!r} user to run "
                    "PostgreSQL as (it refuses to run as root)")
    return None


class Cluster:
    """A running cluster: ``url(database)`` connects to one of its databases over its socket.
    Also a context manager that stops it on the way out."""

    def __init__(self, bindir: Path, base: Path) -> None:
        self.bindir, self.base = bindir, base
        self.data, self.socket_dir, self.log = base / "data", base / "socket", base / "server.log"
        self.user = SUPERUSER
        self._names = itertools.count(1)
        self._running = False
        self._lock = threading.Lock()

    # --- life -------------------------------------------------------------------------------

    @classmethod
    def start(cls, bindir: Path | None = None, *, prefix: str = "scenario-tui-pg-") -> Cluster:
        """Make and start a cluster from ``bindir`` (``find_bindir()`` when None) in a new
        temporary directory. ``PostgresUnavailableError`` when this machine cannot run one,
        ``ClusterError`` when it fails; nothing is left behind either way."""
        bindir = bindir or find_bindir()
        reason = why_cannot_run(bindir)
        if reason is not None or bindir is None:
            raise PostgresUnavailableError(
                f"A PostgreSQL cluster cannot be started here: {reason}.",
                title="PostgreSQL not available")
        base = Path(tempfile.mkdtemp(prefix=prefix))
        cluster = cls(bindir, base)
        atexit.register(cluster.stop)  # also when the program ends by Ctrl+C
        try:
            cluster._start()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _start(self) -> None:
        if len(str(self.socket_dir / ".s.PGSQL.5432")) > _SOCKET_PATH_MAX:
            raise ClusterError(f"The temporary directory's path is too long for a Unix socket: "
                               f"{self.base} (set TMPDIR to a shorter one).",
                               title="PostgreSQL cluster not started")
        self.socket_dir.mkdir()
        if os.geteuid() == 0:  # the server runs as the postgres user: give it the directory
            for path in (self.base, self.socket_dir):
                shutil.chown(path, SERVER_OS_USER, SERVER_OS_USER)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"""
# a throwaway cluster: reached only over the socket below, durability traded for speed
listen_addresses = ''
unix_socket_directories = '{self.socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 150
""")
        self._running = True  # from here on, stop() tries to stop it
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "start")

    @property
    def running(self) -> bool:
        return self._running

    def stop(self) -> None:
        """Stop the server (immediately: nothing here is worth keeping) and remove its files.
        Safe to call again, and from any thread."""
        with self._lock:
            atexit.unregister(self.stop)
            if self._running:
                self._running = False
                try:
                    self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
                except ClusterError:
                    pass  # already gone
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_OS_USER, "--", *command]
        try:
            # a session of its own: a Ctrl+C at the terminal reaches us, not the server, which
            # is then stopped here, in order
            done = subprocess.run(command, capture_output=True, text=True, cwd=self.base,
                                  timeout=120, start_new_session=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ClusterError(f"{program} could not run: {exc}",
                               title="PostgreSQL cluster failed") from exc
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ClusterError(f"{program} failed ({done.returncode}): "
                               f"{done.stderr.strip() or done.stdout.strip()}\n{log}".strip(),
                               title="PostgreSQL cluster failed")

    # --- databases ----------------------------------------------------------------------------

    def url(self, database: str, user: str | None = None) -> str:
        """The URL of ``database`` over the socket, as ``user`` (the superuser by default; no
        password: trust)."""
        return f"postgresql://{user or self.user}@/{database}?host={self.socket_dir}"

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # our own SQL, without parameters

    def create_database(self, template: str | None = None, name: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``), named ``name`` or ``t_<n>``."""
        name = name or f"t_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, closing whatever connections were left open on it."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def make_template(self, name: str, migrate: Callable[[str], object]) -> str:
        """A template database ``name``: ``migrate`` (the store's schema set-up) run on it once,
        then closed to connections so that every copy starts from exactly that."""
        self.execute(f'CREATE DATABASE "{name}"')
        migrate(self.url(name))
        self.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     f" WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        return name


def remove_on_signals(cluster: Cluster, signals: tuple[int, ...] = ENDING_SIGNALS
                      ) -> Callable[[], None]:
    """Stop ``cluster`` when this process is told to end (SIGTERM; SIGHUP: its terminal or SSH
    session closed), then end as that signal would have (``core.ending``). Only from the main
    thread; returns what puts the previous handlers back."""
    return exit_on_signals(cluster.stop, signals)
