"""Settings: flags > environment > config file > defaults, with named profiles.

The environment uses the official SDK's variable names, so an existing SDK set-up works
unchanged. The config file is TOML; top-level keys apply to every profile and
``[profiles.NAME]`` tables override them::

    profile = "default"            # the profile used when --profile is not given
    refresh_concurrency = 12       # reads in flight at most; fewer after a 429

    [profiles.staging]
    base_url = "https://staging.example/v1"
    project_id = "proj_123"
    api_key_env = "STAGING_SCENARIO_KEY"     # read the key from this variable
    api_secret_env = "STAGING_SCENARIO_SECRET"

Nothing here touches the disk except reading the config file; directories are created by
whoever writes into them.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple
from urllib.parse import urlsplit

from scenario_tui.core.errors import ConfigError

DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"
APP_NAME = "scenario-tui"
DEFAULT_PROFILE = "default"
#: reads a bulk refresh keeps in flight at most; it halves after a 429 and grows back by one
#: after a run of successes (``bulk_refresh.RefreshWindow``), never above this. 12: about 11x a
#: sequential loop, and keys still answered at once in the TUI meanwhile (bench_refresh)
DEFAULT_REFRESH_CONCURRENCY = 12

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
    "api_key_env", "api_secret_env", "jwt_env", "store",
}
_TUNING_KEYS = {
    "timeout": float, "connect_timeout": float, "max_retries": int,
    "refresh_concurrency": int, "startup_refresh_cap": int,
    "poll_min_seconds": float, "poll_max_seconds": float,
}


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
    tables = [data, *(t for t in data.get("profiles", {}).values() if isinstance(t, dict))]
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


def check_base_url(url: str, *, allow_insecure_http: bool) -> str:
    """Refuse anything but https, except plain http to a loopback host (or when allowed)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ConfigError(f"{url!r} is not a valid base URL.") from None
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
    profile = flags.get("profile") or env.get(ENV_PROFILE) or data.get("profile") or DEFAULT_PROFILE
    if not isinstance(profile, str) or not profile.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"Profile names use letters, digits, '-' and '_' only: {profile!r}.")
    table = _profile_table(data, profile, path)

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
            try:
                tuning[key] = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"Setting {key!r} must be a {kind.__name__}: {value!r}."
                ) from None
            if tuning[key] < 0:
                raise ConfigError(f"Setting {key!r} cannot be negative.")
    allow_http = bool(flags.get("allow_insecure_http", False))
    base_url = check_base_url(
        str(pick("base_url", ENV_BASE_URL) or DEFAULT_BASE_URL), allow_insecure_http=allow_http
    )
    store = flags.get("store") or table.get("store")
    store_path = Path(store).expanduser() if store else default_store_path(env, profile)
    return Settings(
        profile=profile,
        base_url=base_url,
        project_id=pick("project_id", ENV_PROJECT_ID),
        api_key=pick("api_key", ENV_API_KEY),
        api_secret=pick("api_secret", ENV_API_SECRET),
        jwt=pick("jwt", ENV_JWT),
        custom_headers=parse_custom_headers(env.get(ENV_CUSTOM_HEADERS)),
        store_path=store_path,
        config_path=path,
        read_only=bool(flags.get("read_only", False)),
        allow_insecure_http=allow_http,
        warnings=tuple(warnings),
        **tuning,
    )
