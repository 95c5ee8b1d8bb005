"""Faults from the API, seen in the TUI (promises 1, 2 and 3 of RELIABILITY.md), with Pilot.

For every fault: the specific title reaches the status widget and a toast (a bulk complete: one
summary toast naming the kinds of errors), the app stays up, the stored snapshot is unchanged
(or correctly updated), no credential is drawn on screen, and a ``complete`` is POSTed once.
One app runs a whole table of faults (apps are slow to start); a mismatch is collected and all
are reported together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from scenario_tui.cli.wiring import build_service
from scenario_tui.service.bulk_complete import ERROR, counted_word
from scenario_tui.tui.app import ScenarioApp
from scenario_tui.tui.widgets.status_panel import StatusPanel
from tests.conftest import make_settings
from tests.kit import (
    ALL_CASES,
    API_KEY,
    PENDING,
    SECRET,
    SOCKET_CASES,
    Blackhole,
    Case,
    Misbehaviour,
    RawServer,
    clone_pending,
    closed_port,
    leaks,
    posts,
    reread_after_post,
    unknown_values_body,
)

#: Textual shares the event loop with the client: a busy moment of drawing must not look like a
#: slow server, so the TUI gets roomier timeouts than the CLI (the slow drip stays slower)
QUICK = dict(timeout=1.0, connect_timeout=1.0)
RAW_CASES = [replace(c, interval=1.4) if c.name == "slow-drip" else c
             for c in SOCKET_CASES if c.mode is not None]


def make_app(fake, tmp_path, ids, *, served_at: str | None = None, **overrides) -> ScenarioApp:
    settings = make_settings(tmp_path, api_key=API_KEY, api_secret=SECRET,
                             **({"base_url": served_at} if served_at else {}), **overrides)
    service = build_service(settings, transport=None if served_at else fake.transport())
    service.store.add(ids)
    app = ScenarioApp(service, settings)
    app.toast_log = []  # every toast ever shown (on screen they expire after a few seconds)
    notify = app.notify

    def recording_notify(message, *, title="", **kwargs):
        app.toast_log.append((len(app.toast_log), f"{title}: {message}"))
        return notify(message, title=title, **kwargs)

    app.notify = recording_notify
    return app


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def status_text(app) -> str:
    return str(app.main_screen.query_one(StatusPanel).render())


def seen(app) -> int:
    return len(app.toast_log)


def new_toasts(app, before: int) -> list[str]:
    return [text for _, text in app.toast_log[before:]]


async def refresh_with(app, pilot, upload_id: str, title: str, says: str, problems: list[str],
                       label: str) -> None:
    """Press r on the highlighted upload and check where the error went."""
    store = app.main_screen.service.store
    snapshot = store.get(upload_id).snapshot
    before = seen(app)
    # the previous case may have been a 429 asking for a few seconds: the user waited them out
    app.main_screen.service.client._cooldown_until = 0.0
    await pilot.press("r")
    await settle(app, pilot)
    toasts = new_toasts(app, before)
    if f"{title}: " not in status_text(app):
        problems.append(f"{label}: status widget shows {status_text(app)!r}")
    if not any(t.startswith(f"{title}: ") and says in t for t in toasts):
        problems.append(f"{label}: toasts {toasts!r}")
    if store.get(upload_id).snapshot != snapshot:
        problems.append(f"{label}: snapshot changed")
    if leaks(app.export_screenshot(), *toasts):
        problems.append(f"{label}: credential on screen")
    if not app.is_running:
        problems.append(f"{label}: app stopped")


# --- promise 1: refresh ---------------------------------------------------------------------


async def test_every_api_fault_on_refresh_reaches_status_widget_and_toast(fake, tmp_path):
    upload_id = PENDING[0]
    app = make_app(fake, tmp_path, [upload_id])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        problems: list[str] = []
        for case in ALL_CASES:
            fake.faults.add(**case.fault, method="GET", path=f"/uploads/{upload_id}")
            await refresh_with(app, pilot, upload_id, case.title, case.says, problems, case.name)
        assert problems == []
        # unknown values and fields: shown as they came, and stored
        fake.faults.add(status=200, body=unknown_values_body(upload_id), method="GET", count=None,
                        path=f"/uploads/{upload_id}")
        await pilot.press("r")
        await settle(app, pilot)
        assert "◇ quarantined" in status_text(app)
        assert app.main_screen.service.store.get(upload_id).status == "quarantined"
        assert "brandNewField" in app.export_screenshot()
        assert app.is_running


async def test_transport_faults_on_refresh(fake, tmp_path):
    """Read timeout, dropped mid-body, slow and fast drips, non-HTTP bytes, from a real socket."""
    upload_id = PENDING[0]
    with RawServer(fake) as server:
        app = make_app(fake, tmp_path, [upload_id], served_at=server.base_url, **QUICK)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            problems: list[str] = []
            for case in RAW_CASES:
                server.rules = [Misbehaviour(case.mode, "GET", f"/uploads/{upload_id}", count=1,
                                             interval=case.interval)]
                await refresh_with(app, pilot, upload_id, case.title, case.says, problems,
                                   case.name)
            assert problems == []


async def _dead_api(fake, tmp_path, base_url: str, title: str, says: str, **timeouts) -> None:
    """The API cannot be reached at all: the app opens on cached data, says so, stays up; a
    complete of a (cached) pending upload fails before anything is sent."""
    upload_id = PENDING[0]
    app = make_app(fake, tmp_path, [upload_id], served_at=base_url, **(timeouts or QUICK))
    app.service.store.record_snapshot(upload_id, fake.upload_json(upload_id))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert f"{title}: " in status_text(app)  # the start-up refresh failed, and says why
        problems: list[str] = []
        await refresh_with(app, pilot, upload_id, title, says, problems, "refresh")
        assert problems == []
        before = seen(app)
        app.main_screen.states.clear_failure(upload_id)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(100):
            await settle(app, pilot)
            if app.main_screen.states.failure(upload_id):
                break
            await pilot.pause(0.05)
        assert any(t.startswith(f"{title}: ") for t in new_toasts(app, before))
        assert f"{title}: " in status_text(app)
        assert app.main_screen.service.store.get(upload_id).status == "pending"
        assert app.is_running and fake.requests == []


async def test_connection_refused(fake, tmp_path):
    await _dead_api(fake, tmp_path, f"http://127.0.0.1:{closed_port()}/v1", "Cannot connect",
                    "connection refused")


async def test_connect_timeout(fake, tmp_path):
    with Blackhole("connect") as hole:
        await _dead_api(fake, tmp_path, hole.base_url, "Timed out", "connect timeout",
                        timeout=1.0, connect_timeout=0.4)


# --- promise 3: complete, every fault, applied or not -------------------------------------------


async def _bulk_complete(app, pilot, ids: list[str]) -> None:
    """Mark all, c, y; then wait until every upload has an outcome or an error (the workers
    start from the dialog's callback, which a loaded machine may run a little later)."""
    await pilot.press("asterisk", "c")
    await pilot.pause()
    assert app.screen.__class__.__name__ == "CompleteConfirmScreen"
    assert len(app.screen.to_send) == len(ids)
    await pilot.press("y")
    main = app.main_screen
    for _ in range(200):
        await settle(app, pilot)
        states = main.states
        if all(states.outcome(i) or states.failure(i) for i in ids) and not states.in_flight:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"still busy: {dict(main.states.in_flight)}")


def record_reads(app) -> dict[str, list[str]]:
    """What each GET of an upload raised, if anything (to explain a failed re-read)."""
    client = app.service.client
    real = client.get_upload
    seen: dict[str, list[str]] = {}

    async def get_upload(upload_id):
        try:
            return await real(upload_id)
        except Exception as exc:
            seen.setdefault(upload_id, []).append(f"{exc.title}: {exc}")
            raise

    client.get_upload = get_upload
    return seen


def _check_outcomes(app, fake, plan, before: int, reads: dict | None = None) -> list[str]:
    """Each upload: one POST, its own outcome or error in the status widget; and the bulk:
    one toast, its summary, counting the uncertain ones as sent and naming the errors."""
    main = app.main_screen
    toasts = new_toasts(app, before)
    problems = []
    errors: Counter[str] = Counter()
    for label, upload_id, title, says, uncertain, apply in plan:
        if posts(fake, upload_id) != 1:
            problems.append(f"{label}: {posts(fake, upload_id)} POSTs "
                            f"(failure: {main.states.failure(upload_id)})")
        if uncertain:
            went = fake.status_of(upload_id) != "pending"
            if not reread_after_post(fake, upload_id):
                problems.append(f"{label}: not re-read ({(reads or {}).get(upload_id)})")
            if "uncertain" not in main.states.outcome(upload_id).lower():
                problems.append(f"{label}: outcome {main.states.outcome(upload_id)!r}")
            if went != apply:
                problems.append(f"{label}: applied={apply} but went through={went}")
            stored = main.service.store.get(upload_id).status
            if (stored != "pending") != went:
                problems.append(f"{label}: stored status {stored}")
        else:
            errors[title] += 1
            failure = main.states.failure(upload_id) or ("", "")
            if failure[0] != title or says not in failure[1]:
                problems.append(f"{label}: failure {failure!r}")
    # quiet, then one summary: no toast per upload, one for the bulk
    if [t for t in toasts if any(upload_id in t for _, upload_id, *_ in plan)]:
        problems.append(f"a toast per upload: {toasts!r}")
    summary = [t for t in toasts if t.startswith(f"Complete: {len(plan)} uploads: ")]
    if len(summary) != 1:
        problems.append(f"not one summary toast: {toasts!r}")
    else:
        sent = len(plan) - sum(errors.values())
        expected = [f": {sent} sent"] + (
            [f"; {counted_word(sum(errors.values()), ERROR)} ("] if errors else [])
        title, count = errors.most_common(1)[0] if errors else ("", 0)
        expected += [f"{count} {title}"] if errors else []
        problems += [f"summary {summary[0]!r} lacks {e!r}" for e in expected
                     if e not in summary[0]]
    if not app.is_running:
        problems.append("app stopped")
    return problems


def _short_waits(case: Case) -> Case:
    """The same fault, but a 429 asks for 1 s, not 3 to 7 s (the shared cooldown it starts holds
    every other request of the bulk too)."""
    hints = {"retry_after", "retry_after_ms", "remaining_seconds"}
    if not hints & set(case.fault):
        return case
    fault = {k: v for k, v in case.fault.items() if k not in hints}
    return replace(case, fault={**fault, "retry_after": 1}, says="Try again in 1 s")


async def test_bulk_complete_under_every_api_fault_posts_each_once(fake, tmp_path):
    """46 pending uploads, each with its own fault on its POST (23 faults x applied or not),
    completed together: one POST each, uncertain ones re-read and said so, the rest errors."""
    cases = [(_short_waits(case), apply) for case in ALL_CASES for apply in (False, True)]
    ids = clone_pending(fake, len(cases), "up_tui")
    plan = []
    for (case, apply), upload_id in zip(cases, ids, strict=True):
        fake.faults.add(**case.fault, method="POST", path=f"/uploads/{upload_id}/action",
                        apply=apply)
        plan.append((f"{case.name}/{'applied' if apply else 'lost'}", upload_id, case.title,
                     case.says, case.uncertain_on_post, apply))
    app = make_app(fake, tmp_path, ids)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        before = seen(app)
        await _bulk_complete(app, pilot, ids)
        problems = _check_outcomes(app, fake, plan, before)
        assert problems == [], "\n".join(problems)
        # what the status widget says for one failed and one uncertain upload
        table = app.main_screen.table
        for index, (case, apply) in enumerate(cases):
            if case.name in ("401", "timeout") and apply:
                table.marked.clear()
                table.cursor = table.listing.ids().index(ids[index])
                await settle(app, pilot)
                expected = "Bad credentials: " if case.name == "401" else "uncertain"
                assert expected in status_text(app).replace("Outcome uncertain", "uncertain")
        assert not leaks(app.export_screenshot())


async def test_bulk_complete_under_transport_faults_posts_each_once(fake, tmp_path):
    """The same over a real socket: the pre-read is answered, each POST hangs, drops, drips or
    garbles, applied by the API or not."""
    cases = [(case, apply) for case in RAW_CASES for apply in (False, True)]
    ids = clone_pending(fake, len(cases), "up_raw")
    rules, plan = [], []
    for (case, apply), upload_id in zip(cases, ids, strict=True):
        rules.append(Misbehaviour(case.mode, "POST", f"/uploads/{upload_id}/action", apply,
                                  interval=case.interval))
        plan.append((f"{case.name}/{'applied' if apply else 'lost'}", upload_id, case.title,
                     case.says, True, apply))
    with RawServer(fake, *rules) as server:
        app = make_app(fake, tmp_path, ids, served_at=server.base_url, **QUICK)
        reads = record_reads(app)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            before = seen(app)
            await _bulk_complete(app, pilot, ids)
            problems = _check_outcomes(app, fake, plan, before, reads)
            assert problems == [], "\n".join(problems)


# --- promise 2: refresh-all under rate limits -------------------------------------------------


async def test_refresh_all_under_429s_backs_off_together_and_finishes(fake, tmp_path):
    """R over 40 uploads, 8 in flight, while the API answers 429 (retry-after 300 ms) to a burst
    of requests: after the first 429 the whole client waits (no request is sent inside the
    cooldown), and every row ends refreshed."""
    import time

    ids = clone_pending(fake, 40, "up_rl")
    app = make_app(fake, tmp_path, ids, max_retries=2, startup_refresh_cap=0)
    stamps: list[tuple[float, str, int | None]] = []
    transport = app.service.client._http._transport
    inner = transport.handle_async_request

    async def timed(request):
        sent = time.monotonic()
        try:
            response = await inner(request)
        except Exception:
            stamps.append((sent, request.url.path, None))
            raise
        stamps.append((sent, request.url.path, response.status_code))
        if response.status_code == 429:
            stamps.append((time.monotonic(), "answered-429", 429))
        return response

    transport.handle_async_request = timed
    fake.latency = 0.01
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        fake.faults.add(status=429, retry_after_ms=300, method="GET", count=3)
        del stamps[:]  # the highlighted row's detail was fetched at start
        await pilot.press("R")
        await settle(app, pilot)
        store = app.main_screen.service.store
        assert all(store.get(i).fetched_at for i in ids), "every row refreshed"
        assert app.main_screen.states.failures() == {}
        first_429 = min(t for t, what, _ in stamps if what == "answered-429")
        inside = [t - first_429 for t, what, _ in stamps
                  if what != "answered-429" and first_429 + 0.05 < t < first_429 + 0.25]
        assert inside == [], f"requests sent during the cooldown: {inside}"
        reads = [s for s in stamps if s[1].startswith("/v1/uploads/")]
        assert len(reads) == len(ids) + 3  # each 429 retried once, nothing more
