"""The composition root: settings in, store + API client + service out.

The CLI's commands, the TUI's launch, the tests, the benchmarks and the screenshots all build the
app's parts here, so that what they exercise is the real wiring (a fake transport or a temporary
store passed in, never patched in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from pathlib import Path

    from scenario_tui.core.config import Settings
    from scenario_tui.service.uploads import UploadService
    from scenario_tui.store.front_page import FrontPage
    from scenario_tui.store.protocol import StoreProtocol

TEAM_EXTRA_HINT = "pip install 'scenario-tui[team]'"


def open_store(settings: Settings, *, verify: bool = True, warn: bool = True,
               must_exist: bool = False) -> StoreProtocol:
    """The store of ``settings``: the team store at ``settings.store_url`` when one is set, else
    the local store at ``settings.store_path`` (``verify=False``: see ``Store.open``). One in
    a directory this process cannot write is opened read-only: ``warn`` says so on stderr.
    A missing local store is created (``warn``: "new empty store created at ..." on stderr),
    unless ``must_exist`` (the read commands: a mistyped ``--store`` must not read as "no
    uploads"), which raises StoreError instead. A team store is never created here: its schema
    comes from ``scenario-tui team init``."""
    if settings.store_url:
        return open_team_store(settings.store_url, read_only=settings.read_only)
    from scenario_tui.store.sqlite import Store

    existed = store_exists(settings)
    if must_exist and not existed:
        raise missing_store_error(settings)
    store = Store.open(settings.store_path, verify=verify)
    if warn:
        from scenario_tui.cli.output import say

        if not existed:
            say(f"new empty store created at {store.path}")
        if read_only_store_warning(store, settings):
            say(f"warning: {read_only_store_warning(store, settings)}")
    return store


def open_team_store(url: str, *, read_only: bool = False) -> StoreProtocol:
    """The PostgreSQL store at ``url`` (psycopg is imported only here, on first use)."""
    return _team_module("store").PostgresStore.open(url, read_only=read_only)


def _team_module(name: str) -> Any:
    """``scenario_tui.store.postgres.<name>``, or a StoreError naming the extra to install."""
    import importlib

    from scenario_tui.core.errors import StoreError

    try:
        importlib.import_module("psycopg")
    except ImportError:
        raise StoreError(f"A team store (postgresql://...) needs the 'team' extra: "
                         f"{TEAM_EXTRA_HINT}.", title="Team store support not installed") from None
    return importlib.import_module(f"scenario_tui.store.postgres.{name}")


def front_page_store(settings: Settings) -> str | None:
    """The URL of the store whose front page (``store.front_page``) the TUI on ``settings``
    starts on and keeps between sessions: a team store's, not the demo's; None for a local
    store."""
    return None if settings.demo else (settings.store_url or None)


def connecting_store(settings: Settings, page: FrontPage | None = None) -> StoreProtocol | None:
    """The team store of ``settings`` as the TUI starts on it: answering from ``page`` (by
    default the front page of the last session) until ``connect()`` opens it
    (``store.connecting``); None for a local store, or when no front page is kept."""
    url = front_page_store(settings)
    if url is None:
        return None
    from scenario_tui.store.connecting import KEPT, READ_AT_START, ConnectingStore

    origin = READ_AT_START
    if page is None:
        from scenario_tui.store.front_page import load_page

        page, origin = load_page(front_page_file(settings), url), KEPT
    if page is None:
        return None
    from datetime import datetime, timezone

    from scenario_tui.core.store_url import safe_url

    return ConnectingStore(page, lambda: open_team_store(url, read_only=settings.read_only),
                           location=safe_url(url), read_only=settings.read_only,
                           clock=lambda: datetime.now(timezone.utc), origin=origin)


def front_page_file(settings: Settings) -> Path:
    """Where the front page of ``settings``' team store is kept: in the data directory (with a
    store URL, ``store_path`` is the profile's default local store there)."""
    from scenario_tui.store.front_page import page_path

    return page_path(settings.store_path.expanduser().parent, settings.store_url or "")


def keep_front_page(settings: Settings, store: StoreProtocol, page: FrontPage | None = None, *,
                    wait: float = 1.0) -> bool:
    """Save the front page of ``settings``' team store for the next start (not a local store's,
    nor the demo's): ``page`` (what the TUI last showed), else read now; whether it was saved.
    The reads run in a thread waited for ``wait`` seconds at most: a server that went quiet
    does not hold the exit."""
    url = front_page_store(settings)
    if url is None:
        return False
    import threading

    from scenario_tui.core.errors import StoreError
    from scenario_tui.store.front_page import read_page, save_page

    saved: list[bool] = []

    def save() -> None:
        try:
            saved.append(save_page(front_page_file(settings), url, page or read_page(store)))
        except StoreError:
            pass  # unreachable now: the page of before stays

    if page is not None:
        save()
        return bool(saved and saved[0])
    if not store.connected:
        return False
    thread = threading.Thread(target=save, name="scenario-tui front page", daemon=True)
    thread.start()
    thread.join(wait)
    return bool(saved and saved[0])


def init_team_store(url: str) -> Any:
    """Create or migrate the team store's schema at ``url`` (``team init``)."""
    return _team_module("team").init_schema(url)


def store_exists(settings: Settings) -> bool:
    """Whether the store is there (a team store: the server says so when it is opened)."""
    return bool(settings.store_url) or settings.store_path.expanduser().exists()


def store_name(settings: Settings) -> str:
    """The store as it may be printed: a path, or a database URL without its password."""
    if settings.store_url:
        from scenario_tui.core.store_url import safe_url

        return safe_url(settings.store_url)
    return str(settings.store_path.expanduser().absolute())


def missing_store_error(settings: Settings, hint: str = "") -> Exception:
    """The error for a store that is not there (a mistyped ``--store`` reads as that)."""
    from scenario_tui.core.errors import StoreError

    path = settings.store_path.expanduser().absolute()
    return StoreError(
        f"There is no local store at {path}: check --store (or the profile's store). "
        + (hint or "A command that adds uploads (add, upload, import) creates it."),
        title="No local store")


def read_only_store_warning(store: StoreProtocol, settings: Settings) -> str | None:
    """What to tell the user when the store could only be opened read-only (None otherwise)."""
    if not store.read_only or settings.read_only:
        return None
    import os.path

    return (f"{os.path.dirname(store.location)} is not writable, so the local store is open "
            "read-only: it can be read, and anything that writes to it (add, remove, notes, "
            "complete) will fail.")


def build_service(settings: Settings, *, transport=None, store: StoreProtocol | None = None,
                  sleep=None, holder_label: str | None = None,
                  must_exist: bool = False) -> UploadService:
    """Build the store (unless given), API client and service for ``settings`` (transport
    injectable). ``holder_label`` names this process in the intents it holds ("the TUI"), as
    another process reports it ("being completed by process 1234 (the TUI) ...").
    ``must_exist``: see ``open_store``."""
    from scenario_tui.api.client import ScenarioClient
    from scenario_tui.api.credentials import Credentials
    from scenario_tui.service.uploads import UploadService

    store = store or open_store(settings, must_exist=must_exist)
    client = ScenarioClient(
        base_url=settings.base_url,
        credentials=Credentials(settings.api_key, settings.api_secret, settings.jwt),
        project_id=settings.project_id,
        transport=transport,
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        max_retries=settings.max_retries,
        custom_headers=dict(settings.custom_headers),
    )
    kwargs: dict = {"sleep": sleep} if sleep else {}
    if holder_label:
        kwargs["holder_label"] = holder_label
    return UploadService(
        client, store, profile=settings.profile, read_only=settings.read_only,
        follow_timeout=settings.follow_timeout, claim_minutes=settings.claim_minutes, **kwargs
    )


def deferred_service(settings: Settings, store: StoreProtocol, *, transport=None,
                     holder_label: str | None = None) -> DeferredService:
    """The TUI's service on ``store``: built at first use (``DeferredService``), after opening
    the team store if it is still connecting (``store.connecting``)."""
    def build() -> UploadService:
        connect = getattr(store, "connect", None)
        if connect is not None:
            connect()
        return build_service(settings, transport=transport, store=store,
                             holder_label=holder_label)

    return DeferredService(store, build)


class DeferredService:
    """Stands in for the service the TUI gets, so that its first frame waits for neither the
    API client's nor the service's code: only the store is there from the start; the service
    is built at the first use of anything else (by the warm-up thread after the first frame,
    unless a key comes first). Reading or calling through it is the same as on the service."""

    def __init__(self, store, build: Callable[[], Any]) -> None:
        import threading

        self.store = store
        self._build = build
        self._service = None
        self._lock = threading.Lock()
        self._keep_loop_free = False

    @property
    def built(self) -> bool:
        return self._service is not None

    @property
    def keep_loop_free(self) -> bool:
        """``UploadService.keep_loop_free``, set on the service when it is built."""
        return self._keep_loop_free

    @keep_loop_free.setter
    def keep_loop_free(self, value: bool) -> None:
        with self._lock:
            self._keep_loop_free = value
            if self._service is not None:
                self._service.keep_loop_free = value

    def _real(self):
        with self._lock:  # the warm-up thread and a key on the UI thread may come together
            if self._service is None:
                service = self._build()
                service.keep_loop_free = self._keep_loop_free
                self._service = service
            return self._service

    def __getattr__(self, name: str) -> Any:  # only for what is not set above
        return getattr(self._real(), name)
