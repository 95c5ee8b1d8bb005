"""IDs, inert text, redaction and presentation helpers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenario_tui.core.errors import InvalidUploadIdError
from scenario_tui.core.ids import parse_ids, split_ids, validate_upload_id
from scenario_tui.core.inert import inert_text
from scenario_tui.core.models import Upload
from scenario_tui.core.present import part_expiry, relative, status_label, upload_sections
from scenario_tui.core.redact import register_secret, scrub, scrub_json, strip_query


@pytest.mark.parametrize(
    "good", ["up_abc123", "asset_GTrL3mq4SXWyMxkOHRxlpw", "a-b", "x:1", "v1.2"]
)
def test_valid_ids(good):
    assert validate_upload_id(good) == good


@pytest.mark.parametrize(
    ("bad", "why"),
    [("", "empty"), ("../assets/x", "'/'"), ("%2e%2e", "'%'"), ("a b", "whitespace"),
     ("a\x1b[2J", "control"), ("x" * 129, "129 characters"), ("a?b", "'?'"), ("a#b", "'#'"),
     ("..", "dot segment"), ("a..b", "dot segment"), ("é", "'é'")],
)
def test_invalid_ids_say_why(bad, why):
    with pytest.raises(InvalidUploadIdError, match=why):
        validate_upload_id(bad)


def test_parse_pasted_ids_reports_duplicates_and_invalid():
    parsed = parse_ids(split_ids("up_1, up_2\nup_1  ../x;up_3\n\n"))
    assert parsed.valid == ["up_1", "up_2", "up_3"]
    assert parsed.duplicates == ["up_1"]
    assert [tok for tok, _ in parsed.invalid] == ["../x"]


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_validator_never_accepts_path_or_control_characters(text):
    try:
        ok = validate_upload_id(text)
    except InvalidUploadIdError as exc:
        assert exc.message
        return
    assert ok == text
    assert not set(text) & set("/\\?#% \t\n\r\x00")
    assert ".." not in text and text.isascii() and len(text) <= 128


@given(st.text())
def test_inert_text_removes_every_escape_and_control(text):
    out = inert_text(text, one_line=True)
    assert "\x1b" not in out and "\x07" not in out and "\n" not in out
    assert all(ch.isprintable() or ch == " " for ch in out)


def test_inert_text_strips_osc52_and_cursor_moves():
    hostile = "name\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[10;10H[b]x[/b]"
    assert inert_text(hostile) == "name[b]x[/b]"


def test_redaction():
    register_secret("hunter2-secret")
    text = scrub(
        "key hunter2-secret url https://s.test/p?X-Amz-Signature=abc&x=1 Bearer abcdefghijk"
    )
    assert "hunter2-secret" not in text and "X-Amz-Signature" not in text
    assert "abcdefghijk" not in text
    assert strip_query("https://s.test/p/1?sig=2") == "https://s.test/p/1?[redacted]"
    assert strip_query("https://s.test/p/1") == "https://s.test/p/1"


def test_relative_times_and_part_expiry():
    now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    assert relative(now - timedelta(minutes=3), now) == "3 min ago"
    assert relative(now + timedelta(hours=2), now) == "in 2 h"
    assert part_expiry((now + timedelta(minutes=4)).isoformat(), now) == "expires in 4 min"
    assert part_expiry((now - timedelta(seconds=1)).isoformat(), now) == "expired"
    assert status_label("failed") == "✗ failed"
    assert status_label("brand-new") == "◇ brand-new"


def test_sections_show_everything_safely():
    upload = Upload.model_validate({
        "id": "up_1", "status": "failed", "fileName": "[red]x[/red]\x1b[31m.png",
        "errorMessage": "Part 2 missing", "parts": [{"number": 1, "url": "https://s.test/p?sig=SECRET",
                                                        "expires": "2000-01-01T00:00:00Z"}],
        "config": {"a": 1}, "futureField": "hello",
    })
    flat = {label: value for s in upload_sections(None, upload) for label, value in s.rows}
    assert flat["File"] == "[red]x[/red].png"
    assert flat["Error"] == "Part 2 missing"
    assert "SECRET" not in flat["#1"] and "expired" in flat["#1"]
    assert flat["futureField"] == "hello"
    assert '"a": 1' in flat["JSON"]


def test_answers_lose_registered_secrets_but_keep_words_after_basic():
    """A 2xx field echoing the Authorization value is redacted; a file called "Basic
    Shapes.zip" is not (only registered secrets are, in answers)."""
    from base64 import b64encode

    token = b64encode(b"key-abc:secret-for-answers").decode()
    register_secret(token)
    answer = {"fileName": "Basic Shapes.zip",
              "errorMessage": f"debug: Authorization: Basic {token}",
              "parts": [{"url": "https://s.test/p?X-Amz-Signature=abc"}]}
    scrubbed = scrub_json(answer)
    assert scrubbed["fileName"] == "Basic Shapes.zip"
    assert token not in scrubbed["errorMessage"] and "[redacted]" in scrubbed["errorMessage"]
    assert scrubbed["parts"][0]["url"] == "https://s.test/p?X-Amz-Signature=abc"  # sent there


_FAST_SECRET = "fast-path-secret-9"
_JSON_TEXT = st.lists(st.sampled_from(
    list("abc /:?=-_.") + [_FAST_SECRET[:4], _FAST_SECRET[4:], _FAST_SECRET, "://",
                           "https://h.test/p?sig=1", "\u200b", "\x1b", "\n", "é", "\\"]),
    max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_JSON_TEXT, st.one_of(_JSON_TEXT, st.lists(_JSON_TEXT, max_size=3)),
                       max_size=4),
       st.sampled_from([{}, {"ensure_ascii": False}, {"indent": 1}, {"separators": (",", ":")}]))
def test_reading_an_answer_scrubs_exactly_as_each_string_would_be(value, dump):
    """``scrub_json_read`` (the whole text looked at first) gives what ``scrub_json`` (string by
    string) gives, for answers with secrets, halves of secrets, URLs, invisible and control
    characters, and escapes; and for one with none of them, it gives the answer itself."""
    import json

    from scenario_tui.core.redact import scrub_json_read

    register_secret(_FAST_SECRET)
    raw = json.dumps(value, **dump)
    parsed = json.loads(raw)
    assert scrub_json_read(raw, parsed) == scrub_json(json.loads(raw))
    plain = json.dumps({"id": "up_1", "status": "pending", "fileName": "a b.png", "n": 3},
                       separators=(",", ":"))
    read = json.loads(plain)
    assert scrub_json_read(plain, read) is read


def test_a_secret_behind_a_json_escape_or_cut_by_an_invisible_character_is_still_scrubbed():
    """A server that writes a registered secret with escapes (``\\u0066`` for its first
    letter, ``\\/``), or cut in two by a zero-width space a terminal would not show, does not
    get it through: those answers are scrubbed string by string."""
    import json

    from scenario_tui.core.redact import scrub_json_read

    register_secret(_FAST_SECRET)
    for raw in ('{"m": "\\u0066ast-path-secret-9"}', '{"m": "x \\/ fast-path-secret-9"}',
                '{"m": "fast\u200b-path-secret-9"}'):
        assert scrub_json_read(raw, json.loads(raw))["m"].endswith("[redacted]"), raw
