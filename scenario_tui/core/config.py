"""Settings: flags > environment > config file > defaults, with named profiles.

The environment uses the official SDK's variable names, so an existing SDK set-up works
unchanged. The config file is TOML; top-level keys apply to every profile and
``[profiles.NAME]`` tables override them::

    profile = "default"            # the profile used when --profile is not given
    refresh_concurrency = 12       # requests in flight at most (refresh, completes)

    [profiles.staging]
    base_url = "https://staging.example/v1"
    project_id = "proj_123"
    api_key_env = "STAGING_SCENARIO_KEY"     # read the key from this variable
    api_secret_env = "STAGING_SCENARIO_SECRET"

Nothing here touches the disk except reading the config file; directories are created by
whoever writes into them.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple
from urllib.parse import urlsplit

from scenario_tui.core.auth_source import choose_credentials
from scenario_tui.core.errors import ConfigError
from scenario_tui.core.store_url import ENV_STORE, has_password, is_database_url, safe_url
from scenario_tui.core.ticket import DEFAULT_ID_PATTERN, id_shape

DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"
APP_NAME = "scenario-tui"
DEFAULT_PROFILE = "default"
#: reads a bulk refresh keeps in flight at most; it halves after a 429 and grows back by one
#: after a run of successes (``bulk_refresh.RefreshWindow``), never above this. 12: about 11x a
#: sequential loop, and keys still answered at once in the TUI meanwhile (bench_refresh)
DEFAULT_REFRESH_CONCURRENCY = 12
#: following an upload (the TUI, ``--wait``) gives up after this many seconds, as Scenario's
#: own upload helper does
DEFAULT_FOLLOW_TIMEOUT = 300.0

ENV_API_KEY = "SCENARIO_SDK_API_KEY"
ENV_API_SECRET = "SCENARIO_SDK_API_SECRET"
ENV_JWT = "SCENARIO_SDK_JWT"
ENV_BASE_URL = "SCENARIO_BASE_URL"
ENV_CUSTOM_HEADERS = "SCENARIO_CUSTOM_HEADERS"
ENV_PROJECT_ID = "SCENARIO_PROJECT_ID"
ENV_PROFILE = "SCENARIO_TUI_PROFILE"
ENV_DATA_DIR = "SCENARIO_TUI_DATA_DIR"
ENV_CONFIG = "SCENARIO_TUI_CONFIG"

_SECRET_KEYS = ("api_secret", "jwt", "api_key")
_PROFILE_KEYS = {
    "base_url", "project_id", "api_key", "api_secret", "jwt",
    "api_key_env", "api_secret_env", "jwt_env", "store", "id_pattern",
}
_TUNING_KEYS = {
    "timeout": float, "connect_timeout": float, "max_retries": int,
    "refresh_concurrency": int, "startup_refresh_cap": int,
    "poll_min_seconds": float, "poll_max_seconds": float, "follow_timeout": float,
    "watch_interval": float, "watch": bool, "claim_minutes": float,
}
#: (smallest, largest) a tuning setting may take. Unlisted: a float is a duration in seconds,
#: more than 0 and at most a week; an int is a count from 0 to a million. Floats must be finite.
_TUNING_BOUNDS: dict[str, tuple[float, float]] = {
    "max_retries": (0, 100), "refresh_concurrency": (1, 1000),
    "claim_minutes": (1, 24 * 60),
}
_MAX_SECONDS = 7 * 24 * 3600.0
_MAX_COUNT = 1_000_000


class Settings(NamedTuple):
    """Everything the app needs to know, resolved once by ``load_settings``.

    A named tuple (immutable, compared by value): it is made in a sixth of the start-up time
    of a frozen dataclass. Its repr leaves the credentials out.
    """

    profile: str = DEFAULT_PROFILE
    base_url: str = DEFAULT_BASE_URL
    project_id: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    jwt: str | None = None
    custom_headers: Mapping[str, str] = MappingProxyType({})
    store_path: Path = Path("uploads.db")
    #: a team store (``postgresql://...``, never with a password), used instead of store_path
    store_url: str | None = None
    #: how long a claim (``t``, ``scenario-tui claim``) lasts unless renewed, in minutes
    claim_minutes: float = 30.0
    config_path: Path | None = None
    read_only: bool = False
    allow_insecure_http: bool = False
    demo: bool = False
    timeout: float = 60.0
    connect_timeout: float = 5.0
    max_retries: int = 2
    refresh_concurrency: int = DEFAULT_REFRESH_CONCURRENCY
    startup_refresh_cap: int = 200
    poll_min_seconds: float = 1.0
    poll_max_seconds: float = 10.0
    follow_timeout: float = DEFAULT_FOLLOW_TIMEOUT
    watch: bool = True  # the TUI re-reads unfinished uploads in the background (tui.watch) ...
    watch_interval: float = 30.0  # ... this often at first, less often while nothing changes
    #: the regex a word of a pasted ticket must match to be taken as an ID (``core.ticket``)
    id_pattern: str = DEFAULT_ID_PATTERN
    #: which credentials are in use and where they come from (never their values)
    auth_source: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def api_host(self) -> str:
        """Host and port only: never the userinfo (``user:password@``) a URL may carry."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host

    @property
    def has_credentials(self) -> bool:
        return bool((self.api_key and self.api_secret) or self.jwt)

    def with_overrides(self, **changes: Any) -> "Settings":
        return self._replace(**changes)

    def __repr__(self) -> str:
        pairs = zip(self._fields, self, strict=True)
        shown = ", ".join(f"{name}={value!r}" for name, value in pairs if name not in _UNSHOWN)
        return f"Settings({shown})"


_UNSHOWN = frozenset({"api_key", "api_secret", "jwt", "custom_headers"})


def _platform_dirs():
    import platformdirs  # imported lazily: only when a default path is needed

    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


def data_dir(env: Mapping[str, str]) -> Path:
    override = env.get(ENV_DATA_DIR)
    return Path(override).expanduser() if override else Path(_platform_dirs().user_data_dir)


def config_file(env: Mapping[str, str]) -> Path:
    override = env.get(ENV_CONFIG)
    if override:
        return Path(override).expanduser()
    return Path(_platform_dirs().user_config_dir) / "config.toml"


def default_store_path(env: Mapping[str, str], profile: str) -> Path:
    name = "uploads.db" if profile == DEFAULT_PROFILE else f"uploads-{profile}.db"
    return data_dir(env) / name


def _check_store_url(url: str) -> str:
    """A team store's URL, refused when it holds a password (libpq's own sources give it)."""
    if has_password(url):
        raise ConfigError(
            f"The store URL {safe_url(url)} holds a password. Remove it from the URL and give it "
            "the way PostgreSQL's own tools take it: PGPASSWORD, ~/.pgpass or a service file "
            "(PGSERVICEFILE). A password in a URL shows in the process list and in files.",
            title="Password in the store URL")
    return url.strip()


def parse_custom_headers(raw: str | None) -> dict[str, str]:
    """``Name: value`` lines, as the SDK reads ``SCENARIO_CUSTOM_HEADERS``."""
    headers: dict[str, str] = {}
    for line in (raw or "").split("\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    return headers


def _read_config(path: Path) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, warnings
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror or exc}.") from None
    import stat
    import tomllib  # only when there is a config file to parse

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The config file {path} is not valid TOML: {exc}.") from None
    if _holds_secret(data) and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(
                f"The config file {path} holds a secret and other users can read it; "
                f"run: chmod 600 '{path}'."
            )
    return data, warnings


def _holds_secret(data: dict[str, Any]) -> bool:
    profiles = data.get("profiles")
    tables = [data, *(t for t in (profiles.values() if isinstance(profiles, dict) else ())
                      if isinstance(t, dict))]
    return any(table.get(key) for table in tables for key in _SECRET_KEYS)


def _profile_table(data: dict[str, Any], profile: str, path: Path | None) -> dict[str, Any]:
    merged = {k: v for k, v in data.items() if k not in ("profile", "profiles")}
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"'profiles' in {path} must be a table of tables.")
    table = profiles.get(profile)
    if table is None and profile != DEFAULT_PROFILE:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"No profile named {profile!r} in {path} (profiles: {known}).")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"[profiles.{profile}] in {path} must be a table.")
    merged.update(table or {})
    unknown = set(merged) - _PROFILE_KEYS - set(_TUNING_KEYS)
    if unknown:
        raise ConfigError(f"Unknown setting(s) in {path}: {', '.join(sorted(unknown))}.")
    return merged


def _kind(value: Any) -> str:
    """What a TOML value is, in words (never the value: it may be a secret)."""
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text",
             list: "a list", dict: "a table"}
    return next((name for cls, name in names.items() if type(value) is cls), "a date or time")


def _check_text(key: str, value: Any, where: str) -> str:
    """``value`` of the setting ``key`` (from ``where``): text, not empty, without control
    characters; else a ConfigError naming the setting (never showing the value)."""
    if not isinstance(value, str):
        raise ConfigError(f"Setting {key!r} ({where}) must be text in quotes, not {_kind(value)}.")
    if not value.strip():
        raise ConfigError(f"Setting {key!r} ({where}) is empty.")
    if not value.isprintable():
        raise ConfigError(f"Setting {key!r} ({where}) contains a control character.")
    return value


def _check_tuning(key: str, kind: type, value: Any, where: str) -> float | int:
    """``value`` of the tuning setting ``key`` (a float: seconds; an int: a count) within its
    bounds (``_TUNING_BOUNDS``): finite, of the right type, never negative or zero seconds."""
    is_number = isinstance(value, (int, float)) if kind is float else isinstance(value, int)
    if isinstance(value, bool) != (kind is bool) or not is_number:  # a switch: ``watch = false``
        wanted = {float: "a number", int: "a whole number"}.get(kind, "true or false")
        raise ConfigError(f"Setting {key!r} ({where}) must be {wanted}, not {_kind(value)}: "
                          f"{value!r}.")
    number = kind(value)
    if kind is float:
        low, high = _TUNING_BOUNDS.get(key, (0.0, _MAX_SECONDS))
        if not (math.isfinite(number) and low < number <= high):
            raise ConfigError(f"Setting {key!r} ({where}) must be a number of seconds above "
                              f"{low:g} and at most {high:g}, not {value!r}.")
    else:
        low, high = _TUNING_BOUNDS.get(key, (0, _MAX_COUNT))
        if not low <= number <= high:
            raise ConfigError(f"Setting {key!r} ({where}) must be from {low:g} to {high:g}, "
                              f"not {value!r}.")
    return number


def _check_credential(key: str, value: Any) -> Any:
    """A credential (``pick``ed from a flag, the environment or the config file) that a request
    can carry: no control character; a JWT, which travels as it is, in ASCII."""
    if isinstance(value, str) and not (value.isprintable() and (key != "jwt" or value.isascii())):
        raise ConfigError(f"The {key} in use holds a character an HTTP header cannot carry "
                          "(a control character, or outside ASCII in a JWT).")
    return value


_HEADER_NAME = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _check_custom_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Names that are HTTP tokens, values of printable ASCII: what a request can carry."""
    for name, value in headers.items():
        if not set(name) <= _HEADER_NAME:
            raise ConfigError(f"{ENV_CUSTOM_HEADERS}: {name!r} is not a valid HTTP header name.")
        if any(not (" " <= ch <= "~" or ch == "\t") for ch in value):
            raise ConfigError(f"{ENV_CUSTOM_HEADERS}: the value of {name!r} holds a character "
                              "an HTTP header cannot carry (printable ASCII only).")
    return headers


def check_base_url(url: str, *, allow_insecure_http: bool) -> str:
    """Refuse anything but https, except plain http to a loopback host (or when allowed)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        raise ConfigError(f"{url!r} is not a valid base URL.") from None
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ConfigError(f"{url!r} is not a valid base URL: it contains a space or a control "
                          "character.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{url!r} is not a valid base URL: expected https://host/path.")
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"Refusing plain http:// to {parts.hostname}: credentials would travel unencrypted. "
            "Use https://, or pass --allow-insecure-http if you really mean it."
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only for plain http:// URLs

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(
    flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Resolve settings. ``flags`` holds the CLI's values (None where not given)."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = os.environ if env is None else env
    path = config_file(env)
    data, warnings = _read_config(path)
    for key in ("base_url", "project_id", "store"):  # given, so not to be silently ignored
        if key in flags:
            value = os.fspath(flags[key]) if isinstance(flags[key], os.PathLike) else flags[key]
            _check_text(key, value, f"--{key.replace('_', '-')}")
    profile = (flags["profile"] if "profile" in flags
               else env.get(ENV_PROFILE) or data.get("profile", DEFAULT_PROFILE))
    if not isinstance(profile, str) or not profile.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"Profile names use letters, digits, '-' and '_' only: {profile!r}.")
    table = _profile_table(data, profile, path)
    for key in _PROFILE_KEYS & table.keys():
        _check_text(key, table[key], str(path))

    def from_env_name(key: str) -> str | None:
        name = table.get(f"{key}_env")
        return env.get(name) if name else None

    def pick(key: str, env_name: str | None) -> Any:
        if key in flags:
            return flags[key]
        if env_name and env.get(env_name):
            return env[env_name]
        return from_env_name(key) or table.get(key)

    tuning: dict[str, Any] = {}
    for key, kind in _TUNING_KEYS.items():
        value = flags.get(key, table.get(key))
        if value is not None:
            where = f"--{key.replace('_', '-')}" if key in flags else str(path)
            tuning[key] = _check_tuning(key, kind, value, where)
    defaults = Settings()
    poll_min = tuning.get("poll_min_seconds", defaults.poll_min_seconds)
    poll_max = tuning.get("poll_max_seconds", defaults.poll_max_seconds)
    if poll_min > poll_max:
        raise ConfigError(f"Setting 'poll_min_seconds' ({poll_min:g}) is above "
                          f"'poll_max_seconds' ({poll_max:g}) in {path}.")
    allow_http = bool(flags.get("allow_insecure_http", False))
    base_url = check_base_url(
        str(pick("base_url", ENV_BASE_URL) or DEFAULT_BASE_URL), allow_insecure_http=allow_http
    )
    store = flags.get("store") or env.get(ENV_STORE) or table.get("store")
    store_url = _check_store_url(os.fspath(store)) if store and is_database_url(
        os.fspath(store)) else None
    store_path = (Path(store).expanduser() if store and not store_url
                  else default_store_path(env, profile))
    # the profile's own credentials win over the environment's (``auth_source``)
    auth = choose_credentials(table, env, {"api_key": ENV_API_KEY, "api_secret": ENV_API_SECRET,
                                           "jwt": ENV_JWT})
    return Settings(
        profile=profile,
        base_url=base_url,
        project_id=pick("project_id", ENV_PROJECT_ID),
        api_key=_check_credential("api_key", auth.api_key),
        api_secret=_check_credential("api_secret", auth.api_secret),
        jwt=_check_credential("jwt", auth.jwt),
        auth_source=auth.source,
        custom_headers=_check_custom_headers(parse_custom_headers(env.get(ENV_CUSTOM_HEADERS))),
        store_path=store_path,
        store_url=store_url,
        config_path=path,
        read_only=bool(flags.get("read_only", False)),
        id_pattern=id_shape(table.get("id_pattern", DEFAULT_ID_PATTERN)).pattern,
        allow_insecure_http=allow_http,
        warnings=tuple(warnings),
        **tuning,
    )
