"""Every wait has a deadline, every answer is checked (issue 16, section 5).

Each test reproduces a failure found from outside: a CLI run against the fake API on loopback,
a hand-written loopback server (``tests.kit.RawServer``) that never finishes its answer, the
service against the in-process fake, or the TUI driven by Pilot. Deadlines are set small in
each test's settings, so that a test ends in about a second; the bounds on time are generous.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from scenario_tui.api.client import ScenarioClient
from scenario_tui.api.credentials import Credentials
from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.config import load_settings
from scenario_tui.core.present import STATUS_SYMBOLS, status_label
from scenario_tui.fake.scenario import FakeScenario
from scenario_tui.fake.server import serve
from scenario_tui.service.uploads import UploadService
from scenario_tui.store.sqlite import Store
from tests.conftest import make_app, make_settings, settle
from tests.kit import (
    JWT,
    PENDING,
    SECRET,
    Misbehaviour,
    RawServer,
    cli_environment,
    clone_pending,
    reread_after_post,
    reuse_default_ssl_context,
    run_cli,
)

_UPLOAD = {"id": "up_f", "authorId": "a", "createdAt": "2026-01-01T00:00:00Z",
           "fileName": "f.png", "kind": "image", "ownerId": "o", "source": "multipart",
           "status": "pending", "updatedAt": "2026-01-01T00:00:00Z"}


@pytest.fixture(autouse=True)
def _one_ssl_context(monkeypatch):
    reuse_default_ssl_context(monkeypatch)


@pytest.fixture
def slow_fake() -> FakeScenario:
    """A fake whose completed uploads stay validating for an hour."""
    return FakeScenario(step_seconds=3600.0)


@pytest.fixture
def slow_server(slow_fake):
    with serve(slow_fake) as handle:
        yield handle


def with_config(tmp_path, text: str) -> None:
    """Add ``text`` to the config file ``cli_environment`` wrote."""
    with open(tmp_path / "config.toml", "a") as fh:
        fh.write(text)


# --- 1. a server's wait hint is capped ----------------------------------------------------------


async def test_a_retry_after_of_31_years_holds_the_session_back_60_s_at_most(fake):
    """One 429 with ``Retry-After: 1e9`` refused every later action of the session for 31
    years. Now the pause is 60 s (the official SDK's cap), said in the message, and then
    requests go out again."""
    now = [5000.0]

    async def no_sleep(seconds: float) -> None:
        return None

    client = ScenarioClient(base_url=fake.base_url, credentials=Credentials("k", "s-value-1"),
                            transport=fake.transport(), clock=lambda: now[0], sleep=no_sleep)
    fake.faults.add(status=429, retry_after=1e9, method="GET", count=1)
    with pytest.raises(errors.RateLimitedError) as info:
        await client.get_upload(PENDING[0])
    assert "1000000000 s" in info.value.message and "Try again in 60 s" in info.value.message
    now[0] += 30
    with pytest.raises(errors.RateLimitedError, match="nothing was sent"):
        await client.get_upload(PENDING[0])
    now[0] += 31
    assert (await client.get_upload(PENDING[0])).status == "pending"
    assert fake.count("GET", f"/uploads/{PENDING[0]}") == 2


# --- 2. every request has an overall deadline ---------------------------------------------------


def test_show_refresh_ends_at_its_deadline_when_the_body_never_ends(monkeypatch, capsys,
                                                                     tmp_path, fake):
    """A body that never ends (a byte every 0.1 s, under the read timeout) kept ``show
    --refresh`` for three deadlines plus backoff (196 s with the default settings). The call
    has one deadline for all its attempts: one request, a clear timeout error."""
    rule = Misbehaviour("endless", "GET", f"/uploads/{PENDING[0]}", interval=0.1)
    with RawServer(fake, rule) as raw:
        cli_environment(monkeypatch, tmp_path, raw.base_url, retries=2)
        run_cli(capsys, monkeypatch, "add", PENDING[0])
        started = time.monotonic()
        run = run_cli(capsys, monkeypatch, "show", PENDING[0], "--refresh")
        elapsed = time.monotonic() - started
    assert run.code == 1, run.err
    assert "Timed out: " in run.err and "did not finish answering within 0.8 s" in run.err
    assert "Traceback" not in run.err
    assert fake.count("GET", f"/uploads/{PENDING[0]}") == 1
    assert elapsed < 3, elapsed


def _process_env(tmp_path, base_url: str, config: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SCENARIO_BASE_URL=base_url, SCENARIO_SDK_API_KEY="proc-key",
               SCENARIO_SDK_API_SECRET="proc-secret-value",
               SCENARIO_TUI_DATA_DIR=str(tmp_path / "data"),
               SCENARIO_TUI_CONFIG=str(tmp_path / "config.toml"), NO_COLOR="1")
    (tmp_path / "config.toml").write_text(config)
    return env


def test_upload_ends_at_the_part_deadline_when_storage_never_finishes_answering(tmp_path, fake):
    """Storage answers the PUT 200 and then drips a body that never ends: ``upload`` hung (400 s
    with the default settings, for ever with this server). Each PUT's answer must end within
    ``timeout`` of its last byte: a clear error per attempt, then the resume hint. A real
    process, so that the old behaviour fails the test instead of hanging it."""
    path = tmp_path / "clip.wav"
    path.write_bytes(b"RIFF" + bytes(996))
    rule = Misbehaviour("endless", "PUT", interval=0.05)
    with RawServer(fake, rule) as raw:
        env = _process_env(tmp_path, raw.base_url,
                           "max_retries = 0\ntimeout = 0.5\nconnect_timeout = 0.3\n")
        started = time.monotonic()
        try:
            run = subprocess.run([sys.executable, "-m", "scenario_tui", "upload", str(path),
                                  "--json"], env=env, capture_output=True, text=True,
                                 timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("upload hung on a part answer that never ends")
        elapsed = time.monotonic() - started
    assert run.returncode == 1, run.stderr
    assert "Part upload failed: " in run.stderr, run.stderr
    assert "did not finish answering within 0.5 s of receiving part 1 of 1" in run.stderr
    assert "(after 3 attempts)" in run.stderr and "resume with" in run.stderr
    (entry,) = json.loads(run.stdout)
    assert entry["status"] == "pending" and entry["error"]["title"] == "Part upload failed"
    assert elapsed < 30, elapsed


# --- 3. following an upload ends: done, or at its deadline ---------------------------------------


class Answers:
    """A transport answering ``GET /uploads/up_f`` with each upload of ``steps`` in turn (the
    last one for ever), and a clock that moves only when the service sleeps."""

    def __init__(self, *steps: dict) -> None:
        self.steps = list(steps)
        self.gets = 0
        self.now = 0.0
        self.sleeps = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.gets += 1
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        return httpx.Response(200, json={"upload": {**_UPLOAD, **step}})

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.sleeps > 10_000:
            raise AssertionError("following never ends")
        self.now += seconds

    def service(self, tmp_path) -> UploadService:
        client = ScenarioClient(base_url="https://api.test/v1", credentials=Credentials("k", "s"),
                                transport=httpx.MockTransport(self), sleep=self.sleep)
        store = Store.open(tmp_path / "follow.db")
        store.add(["up_f"])
        return UploadService(client, store, sleep=self.sleep, clock=lambda: self.now)


async def test_following_stops_as_soon_as_the_entity_id_is_set(tmp_path):
    """Scenario's own helper stops there: the asset exists, whatever the status says."""
    answers = Answers({"status": "validating"},
                      {"status": "validated", "entityId": "asset_1"},
                      {"status": "imported", "entityId": "asset_1"})
    final = await answers.service(tmp_path).follow("up_f")
    assert (final.status, final.entity_id, answers.gets) == ("validated", "asset_1", 2)


async def test_following_treats_complete_as_still_processing(tmp_path):
    answers = Answers({"status": "validating"}, {"status": "complete"},
                      {"status": "imported", "entityId": "asset_1"})
    seen: list[str] = []
    final = await answers.service(tmp_path).follow("up_f", on_update=lambda u: seen.append(
        u.status))
    assert final.status == "imported" and seen == ["validating", "complete", "imported"]


async def test_following_gives_up_after_5_min_saying_the_status(tmp_path):
    """An upload stuck in validating (a part missing, say) was followed for ever."""
    answers = Answers({"status": "validating"})
    with pytest.raises(errors.ScenarioTuiError) as info:
        await answers.service(tmp_path).follow("up_f", poll_min=1.0, poll_max=10.0)
    assert info.value.title == "Still processing"
    assert "up_f is still validating after 5 min" in info.value.message
    assert 300 <= answers.now <= 301


def test_complete_has_a_symbol_of_its_own():
    """``complete`` shared validating's symbol; each known status now has its own."""
    symbols = [symbol for status, symbol in STATUS_SYMBOLS.items() if status]
    assert len(set(symbols)) == len(symbols)
    assert status_label("complete") != status_label("validating").replace("validating",
                                                                           "complete")


def test_complete_wait_ends_at_the_follow_deadline_with_exit_1(monkeypatch, capsys, tmp_path,
                                                               slow_fake, slow_server):
    cli_environment(monkeypatch, tmp_path, slow_server.base_url)
    with_config(tmp_path, "follow_timeout = 0.3\n")
    run_cli(capsys, monkeypatch, "add", PENDING[0])
    run = run_cli(capsys, monkeypatch, "complete", PENDING[0], "--yes", "--wait", "--json")
    assert run.code == 1, run.err
    assert f"Still processing: {PENDING[0]} is still validating after 0.3 s" in run.err
    (entry,) = json.loads(run.out)
    assert entry["outcome"] == "sent" and entry["status"] == "validating"
    assert entry["error"]["title"] == "Still processing"
    assert slow_fake.complete_count(PENDING[0]) == 1


def test_upload_wait_ends_at_the_follow_deadline_with_exit_1(monkeypatch, capsys, tmp_path,
                                                             slow_fake, slow_server):
    path = tmp_path / "hero.png"
    path.write_bytes(b"\x89PNG" + bytes(2000))
    cli_environment(monkeypatch, tmp_path, slow_server.base_url)
    with_config(tmp_path, "follow_timeout = 0.3\n")
    run = run_cli(capsys, monkeypatch, "upload", str(path), "--wait")
    assert run.code == 1, run.err
    assert "Still processing: " in run.err and "is still validating after 0.3 s" in run.err
    assert "\tvalidating\t" in run.out


async def test_the_tui_says_when_following_reached_its_deadline(slow_fake, tmp_path):
    from scenario_tui.tui.widgets.status_panel import StatusPanel
    from tests.conftest import select

    app = make_app(slow_fake, tmp_path, follow_timeout=0.3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await select(app, pilot, PENDING[0])
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        shown = str(app.main_screen.query_one(StatusPanel).render())
        assert "Still processing" in shown and "still validating after 0.3 s" in shown, shown
        assert app.is_running


# --- 4. an answer about another upload is refused ---------------------------------------------


async def test_an_answer_about_another_upload_decides_nothing(service, fake):
    """A 200 for upload A carrying upload B (pending) was stored under A, and A (imported) was
    sent ``complete`` on B's status. Now it is a bad response: nothing stored, nothing sent."""
    imported = next(i for i in fake.seeded_ids if fake.status_of(i) == "imported")
    service.add([imported])
    await service.refresh(imported)
    before = service.store.get(imported).snapshot
    other = {"upload": {**_UPLOAD, "id": "up_someone_else", "status": "pending"}}
    fake.faults.add(status=200, body=other, method="GET", path=f"/uploads/{imported}",
                    count=None)
    with pytest.raises(errors.BadResponseError, match="up_someone_else"):
        await service.refresh(imported)
    with pytest.raises(errors.BadResponseError):
        await service.complete(imported)
    assert fake.complete_count(imported) == 0
    assert service.store.get(imported).snapshot == before


# --- 5. a conflict on complete is re-read -------------------------------------------------------


@pytest.mark.parametrize("apply", [True, False], ids=["completed-meanwhile", "refused"])
async def test_a_conflict_on_complete_is_reread_and_reported(service, fake, apply):
    """409: re-read once and said what it shows (someone else completed it), never re-sent."""
    upload_id = PENDING[0]
    service.add([upload_id])
    fake.faults.add(status=409, method="POST", path=f"/uploads/{upload_id}/action", apply=apply)
    result = await service.complete(upload_id)
    assert result.uncertain and fake.complete_count(upload_id) == 1
    assert reread_after_post(fake, upload_id)
    assert (result.upload.status != "pending") == apply
    assert service.store.get(upload_id).status == result.upload.status
    summary = result.summary()
    assert ("already completed, by someone else" in summary) == apply
    assert ("it was not sent again" in summary) == (not apply)


# --- 6. a plan limit is not a rate limit --------------------------------------------------------


async def test_a_plan_limit_does_not_slow_a_bulk_refresh_down(fake, tmp_path):
    """A 429 naming a plan limit was retried and halved the bulk refresh's window each time;
    now each row says which limit was hit, at one request each."""
    ids = clone_pending(fake, 6, "up_plan")
    service = build_service(make_settings(tmp_path, max_retries=2), transport=fake.transport())
    service.store.add(ids)
    body = {"message": "Limit reached", "details": {"actionName": "upload", "actionLimit": 100}}
    fake.faults.add(status=429, body=body, method="GET", count=None)
    started = time.monotonic()
    results = await service.refresh_many(ids, concurrency=4)
    assert all(r.title == "Plan limit reached" and "upload (100)" in r.message
               for r in results.values()), results
    assert sum(fake.count("GET", f"/uploads/{i}") for i in ids) == len(ids)
    assert service.refresh_window.history == [4]
    assert time.monotonic() - started < 2
    service.store.close()


# --- 7. a profile's own credentials win over the environment's ----------------------------------


def test_a_profiles_jwt_wins_over_key_and_secret_in_the_environment(monkeypatch, capsys,
                                                                    tmp_path, server, fake):
    """The official SDK's trap: key and secret in the environment, a JWT in the profile, and
    Basic was sent. The profile's credentials win, and ``paths`` says which are in use."""
    cli_environment(monkeypatch, tmp_path, server.base_url)  # key and secret in the environment
    with_config(tmp_path, f'[profiles.work]\njwt = "{JWT}"\n')
    settings = load_settings({"profile": "work"})
    assert (settings.api_key, settings.api_secret, settings.jwt) == (None, None, JWT)
    header = Credentials(settings.api_key, settings.api_secret, settings.jwt).header()
    assert header is not None and header.startswith("Bearer ")
    run = run_cli(capsys, monkeypatch, "--profile", "work", "paths")
    assert "credentials: JWT (Bearer) from the config file" in run.out
    run = run_cli(capsys, monkeypatch, "paths")
    assert ("credentials: API key and secret (HTTP Basic) from $SCENARIO_SDK_API_KEY and "
            "$SCENARIO_SDK_API_SECRET") in run.out
    assert JWT not in run.out + run.err and SECRET not in run.out + run.err


def test_a_profile_naming_its_variables_wins_over_the_sdk_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("SCENARIO_SDK_API_KEY", "sdk-key")
    monkeypatch.setenv("SCENARIO_SDK_API_SECRET", "sdk-secret")
    monkeypatch.setenv("STAGING_KEY", "stage-key")
    monkeypatch.setenv("STAGING_SECRET", "stage-secret")
    (tmp_path / "config.toml").write_text(
        '[profiles.staging]\napi_key_env = "STAGING_KEY"\napi_secret_env = "STAGING_SECRET"\n')
    settings = load_settings({"profile": "staging"})
    assert (settings.api_key, settings.api_secret) == ("stage-key", "stage-secret")
    assert settings.auth_source == ("API key and secret (HTTP Basic) from $STAGING_KEY (named "
                                    "in the config file) and $STAGING_SECRET (named in the "
                                    "config file)")
    assert "stage-secret" not in repr(settings)
