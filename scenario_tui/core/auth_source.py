"""Which credentials a profile uses, and where they come from (said without their values).

The official SDK sends HTTP Basic whenever a key and a secret are both set, even when a JWT was
given; so a profile holding only a JWT, used where ``SCENARIO_SDK_API_KEY`` and
``SCENARIO_SDK_API_SECRET`` are set, sent Basic with the environment's key. Here a profile's own
credentials (in the config file, inline or through the variables it names with ``*_env``) win
over the environment's: those are used only when the profile names none, or to complete a key
or a secret the profile gives alone. Within the chosen set, Basic wins over a JWT, as in the SDK.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

_KEYS = ("api_key", "api_secret", "jwt")


class CredentialChoice(NamedTuple):
    api_key: str | None
    api_secret: str | None
    jwt: str | None
    #: which credentials a request will carry and where they come from; never a value
    source: str


def choose_credentials(
    table: Mapping[str, Any], env: Mapping[str, str], env_names: Mapping[str, str]
) -> CredentialChoice:
    """The credentials of the profile ``table`` (its merged config), else those of the
    environment ``env`` under ``env_names`` (``{"api_key": "SCENARIO_SDK_API_KEY", ...}``)."""
    own: dict[str, tuple[str, str]] = {}
    for key in _KEYS:
        name = table.get(f"{key}_env")
        if name and env.get(name):
            own[key] = (env[name], f"${name} (named in the config file)")
        elif table.get(key):
            own[key] = (table[key], "the config file")
    fallback = {key: (env[name], f"${name}") for key, name in env_names.items() if env.get(name)}
    chosen: dict[str, tuple[str, str] | None]
    if "api_key" in own or "api_secret" in own:  # a half is completed from the environment
        chosen = {key: own.get(key) or fallback.get(key) for key in ("api_key", "api_secret")}
        chosen["jwt"] = own.get("jwt")
    else:
        chosen = {key: found for key, found in (own if "jwt" in own else fallback).items()}
    picked = {key: found for key, found in chosen.items() if found is not None}
    values = {key: found[0] for key, found in picked.items()}
    return CredentialChoice(values.get("api_key"), values.get("api_secret"), values.get("jwt"),
                            _describe(picked))


def _describe(picked: Mapping[str, tuple[str, str]]) -> str:
    def origins(*keys: str) -> str:
        return " and ".join(dict.fromkeys(picked[key][1] for key in keys))

    if "api_key" in picked and "api_secret" in picked:
        unused = "; the JWT also set is not sent" if "jwt" in picked else ""
        return f"API key and secret (HTTP Basic) from {origins('api_key', 'api_secret')}{unused}"
    if "jwt" in picked:
        return f"JWT (Bearer) from {origins('jwt')}"
    if picked:
        return (f"none usable: only an {'API key' if 'api_key' in picked else 'API secret'} "
                f"(from {origins(*picked)}), without its pair")
    return "none"
