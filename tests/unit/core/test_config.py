"""Settings precedence, profiles, config-file safety checks."""

from __future__ import annotations

import os

import pytest

from scenario_tui.core.config import load_settings
from scenario_tui.core.errors import ConfigError


@pytest.fixture
def env(tmp_path):
    return {"SCENARIO_TUI_DATA_DIR": str(tmp_path / "data"),
            "SCENARIO_TUI_CONFIG": str(tmp_path / "config.toml")}


def write_config(env, text, mode=0o600):
    path = env["SCENARIO_TUI_CONFIG"]
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, mode)
    return path


def test_defaults_use_the_data_dir_override(env, tmp_path):
    s = load_settings({}, env)
    assert s.base_url == "https://api.cloud.scenario.com/v1"
    assert s.store_path == tmp_path / "data" / "uploads.db"
    assert not s.has_credentials
    assert not (tmp_path / "data").exists(), "loading settings must not create directories"


def test_precedence_flags_over_env_over_file(env):
    write_config(env, 'base_url = "https://file.test/v1"\nproject_id = "from-file"\n')
    s = load_settings({}, env)
    assert (s.base_url, s.project_id) == ("https://file.test/v1", "from-file")
    env.update(SCENARIO_BASE_URL="https://env.test/v1", SCENARIO_PROJECT_ID="from-env")
    s = load_settings({}, env)
    assert (s.base_url, s.project_id) == ("https://env.test/v1", "from-env")
    s = load_settings({"base_url": "https://flag.test/v1", "project_id": "from-flag"}, env)
    assert (s.base_url, s.project_id) == ("https://flag.test/v1", "from-flag")


def test_sdk_environment_variables_are_used(env):
    env.update(SCENARIO_SDK_API_KEY="k", SCENARIO_SDK_API_SECRET="s", SCENARIO_SDK_JWT="j",
               SCENARIO_CUSTOM_HEADERS="X-One: 1\nX-Two: two words")
    s = load_settings({}, env)
    assert (s.api_key, s.api_secret, s.jwt) == ("k", "s", "j")
    assert s.custom_headers == {"X-One": "1", "X-Two": "two words"}
    assert "s" != repr(s) and "api_secret" not in repr(s)


def test_named_profile_with_env_var_names(env):
    write_config(env, """
refresh_concurrency = 4
[profiles.staging]
base_url = "https://staging.test/v1"
api_key_env = "STAGING_KEY"
api_secret_env = "STAGING_SECRET"
""")
    env.update(STAGING_KEY="sk", STAGING_SECRET="ss")
    s = load_settings({"profile": "staging"}, env)
    assert s.base_url == "https://staging.test/v1"
    assert (s.api_key, s.api_secret) == ("sk", "ss")
    assert s.refresh_concurrency == 4
    assert s.store_path.name == "uploads-staging.db"


def test_unknown_profile_and_bad_toml_are_config_errors(env):
    write_config(env, "[profiles.prod]\n")
    with pytest.raises(ConfigError, match="No profile named 'nope'"):
        load_settings({"profile": "nope"}, env)
    write_config(env, "this is = = not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, env)
    write_config(env, "colour = 'blue'\n")
    with pytest.raises(ConfigError, match="Unknown setting"):
        load_settings({}, env)


def test_world_readable_secret_in_config_warns(env):
    write_config(env, 'api_key = "k"\napi_secret = "s"\n', mode=0o644)
    s = load_settings({}, env)
    assert any("other users can read it" in w for w in s.warnings)
    write_config(env, 'api_key = "k"\napi_secret = "s"\n', mode=0o600)
    assert load_settings({}, env).warnings == ()


@pytest.mark.parametrize("url", ["http://api.example.com/v1", "http://10.0.0.1/v1"])
def test_plain_http_refused_except_loopback_or_explicit(env, url):
    with pytest.raises(ConfigError, match="Refusing plain http"):
        load_settings({"base_url": url}, env)
    assert load_settings({"base_url": url, "allow_insecure_http": True}, env).base_url == url
    assert load_settings({"base_url": "http://127.0.0.1:8000/v1"}, env).base_url.startswith("http://127")


def test_invalid_base_url_and_tuning_values(env):
    with pytest.raises(ConfigError):
        load_settings({"base_url": "ftp://x"}, env)
    write_config(env, 'refresh_concurrency = "lots"\n')
    with pytest.raises(ConfigError, match="refresh_concurrency"):
        load_settings({}, env)
