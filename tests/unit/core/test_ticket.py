"""Upload IDs out of a pasted ticket (``core.ticket``): prose, bullets and numbers are ignored,
IDs inside URLs and before punctuation are taken, and the rule is the ``id_pattern`` setting."""

from __future__ import annotations

import os

import pytest

from scenario_tui.core.config import DEFAULT_ID_PATTERN, load_settings
from scenario_tui.core.errors import ConfigError
from scenario_tui.core.ids import parse_ids
from scenario_tui.core.ticket import NOT_ID_SHAPED, harvest_ids, ignored_summary
from scenario_tui.fake.scenario import FakeScenario

# IDs of the shape the API returns: a prefix, "_" and 22 letters or digits (25 characters in all
# for an upload)
UP_A = "up_7Qz3LmNa9XcVb2KdRt5YwE"
UP_B = "up_Hk2Jd8sLq0PzXn4MvB6cRt"
UP_C = "up_Ws9Ty3Ux5Vz7Ab1Cd3Ef5G"
UP_D = "up_Pp4Qq5Rr6Ss7Tt8Uu9Vv0W"
ASSET = "asset_GTrL3mq4SXWyMxkOHRxlpw"

TICKET = f"""Hi team,

Customer ACME (order 12345) says these uploads never finished since Friday:
- {UP_A}.
- ({UP_B}), and the one at https://app.scenario.com/uploads/{UP_C}?tab=details&x=1
* {UP_D}: stuck in validating, same as {UP_A}
1. up_demo_pending_1;up_demo_pending_2 -- from the demo
Also {ASSET} was made twice... see "{UP_B}".
Thanks! -- Dana
"""


def test_a_realistic_ticket_yields_its_ids_and_nothing_else():
    ticket = harvest_ids(TICKET)
    assert ticket.tokens == [UP_A, UP_B, UP_C, UP_D, UP_A, "up_demo_pending_1",
                             "up_demo_pending_2", ASSET, UP_B]
    parsed = parse_ids(ticket.tokens)
    assert parsed.valid == [UP_A, UP_B, UP_C, UP_D, "up_demo_pending_1", "up_demo_pending_2",
                            ASSET]
    assert parsed.duplicates == [UP_A, UP_B] and parsed.invalid == []
    for word in ("Hi", "team", "Friday", "12345", "ACME", "https", "app.scenario.com",
                 "uploads", "tab", "details", "x", "1", "Thanks", "Dana"):
        assert word in ticket.ignored, word
    assert "-" not in ticket.ignored and "" not in ticket.ignored
    assert len(ticket.ignored) == len(set(ticket.ignored))  # each word once


@pytest.mark.parametrize(("text", "taken"), [
    # prose, bullets and numbers are not IDs
    ("Hi", []), ("team,", []), ("Friday:", []), ("-", []), ("- ", []), ("12345", []),
    ("* • – —", []), ("...", []), ("internationalization", []),  # 20 letters, no digit
    ("e.g. i.e. etc.", []), ("10:02 UTC", []), ("2026-12-07", []),
    # IDs followed or wrapped by punctuation
    ("up_abc123.", ["up_abc123"]), ("(up_abc123),", ["up_abc123"]),
    ("up_abc123:", ["up_abc123"]), ("'up_abc123'", ["up_abc123"]),
    ("«up_abc123»", ["up_abc123"]), ("up_abc123!?", ["up_abc123"]),
    ("_up_abc123_", ["up_abc123"]), ("- up_abc123", ["up_abc123"]),
    ("[up_abc123](https://x.test)", ["up_abc123"]), ("up_abc123.Thanks", ["up_abc123"]),
    ("up_abc123,up_def456;up_ghi789", ["up_abc123", "up_def456", "up_ghi789"]),
    # IDs inside URLs
    ("https://app.scenario.com/p/uploads/up_abc123?x=1", ["up_abc123"]),
    ("https://api.cloud.scenario.com/v1/uploads/up_abc123/action", ["up_abc123"]),
    ("<https://app.scenario.com/#/assets/asset_Q9x>", ["asset_Q9x"]),
    # every shape the API is known to return
    (UP_A, [UP_A]), (ASSET, [ASSET]), ("model_demo_flux_dev", ["model_demo_flux_dev"]),
    ("job_a-b_c", ["job_a-b_c"]), ("GTrL3mq4SXWyMxkOHRxlpw", ["GTrL3mq4SXWyMxkOHRxlpw"]),
    # snake_case words have the shape (the preview shows them before anything is added)
    ("file_name", ["file_name"]),
    # escape sequences split a word; what is left is judged on its own
    ("up_1\x1b[31m", ["up_1"]), ("caf\ufffd_latin1", []),
])
def test_extraction(text, taken):
    assert harvest_ids(text).tokens == taken


def test_every_id_the_fake_api_makes_is_taken():
    """The fake's seeds and the IDs it generates for uploads, jobs, assets and models."""
    fake = FakeScenario(step_seconds=0.0)
    made = [fake.state.new_id(prefix) for prefix in ("up", "job", "asset", "model")]
    assert len(made[0]) == 25
    ids = [*fake.seeded_ids, *made]
    assert harvest_ids("\n".join(f"- {i}." for i in ids)).tokens == ids


def test_the_pattern_is_a_setting():
    """A stricter pattern takes only real upload IDs; words it does not take are ignored."""
    strict = r"up_[A-Za-z0-9]{22}"
    ticket = harvest_ids(f"{UP_A}, up_demo_pending_1 and {ASSET}", strict)
    assert ticket.tokens == [UP_A]
    assert ticket.ignored == ["up_demo_pending_1", "and", ASSET]


def test_a_permissive_pattern_cannot_let_a_hostile_token_through():
    """What the pattern takes is validated like any ID: too long is refused."""
    ticket = harvest_ids("up_" + "x" * 200 + " ok_1", r".+")
    parsed = parse_ids(ticket.tokens)
    assert parsed.valid == ["ok_1"] and len(parsed.invalid) == 1


def test_ignored_summary_names_a_few_words_and_why():
    assert ignored_summary([]) == ""
    line = ignored_summary(["Hi", "team", "Friday", "a", "b", "c", "d", "e"])
    assert line.startswith("Ignored 8 words, " + NOT_ID_SHAPED + ": Hi, team, Friday")
    assert line.endswith("and 2 more")
    assert ignored_summary(["x\x1b[2J"]).isprintable()


@pytest.fixture
def env(tmp_path):
    return {"SCENARIO_TUI_DATA_DIR": str(tmp_path / "data"),
            "SCENARIO_TUI_CONFIG": str(tmp_path / "config.toml")}


def _config(env, text: str) -> None:
    with open(env["SCENARIO_TUI_CONFIG"], "w") as fh:
        fh.write(text)
    os.chmod(env["SCENARIO_TUI_CONFIG"], 0o600)


def test_id_pattern_setting_default_profile_and_refusals(env):
    assert load_settings({}, env).id_pattern == DEFAULT_ID_PATTERN
    _config(env, "id_pattern = 'up_\\w+'\n[profiles.strict]\nid_pattern = 'up_[a-z]+'\n")
    assert load_settings({}, env).id_pattern == r"up_\w+"
    assert load_settings({"profile": "strict"}, env).id_pattern == "up_[a-z]+"
    for bad, said in (("'('", "not a valid regular expression"), ("''", "is empty"),
                      ("5", "must be text")):
        _config(env, f"id_pattern = {bad}\n")
        with pytest.raises(ConfigError) as info:
            load_settings({}, env)
        assert "id_pattern" in info.value.message and said in info.value.message
