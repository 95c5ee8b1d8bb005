"""``scenario-tui demo --team``: the simulated teammate at work on a team store of the test
cluster (the demo's own set-up: schema, grants, roles), and the demo refused, with nothing
started, where the PostgreSQL server binaries are missing. (The TUI side is not started here.)"""

from __future__ import annotations

import itertools
import tempfile

import pytest

from scenario_tui.cli.main import main
from scenario_tui.cli.team_demo import ANN, ME, NEEDS_SERVER, set_up_team, team_settings
from scenario_tui.cli.teammate import TEAMMATE_HOLDER, Teammate
from scenario_tui.cli.wiring import build_service, open_team_store
from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.store.postgres import cluster as cluster_module
from tests.conftest import make_settings

_DATABASES = itertools.count(1)


def touched(event) -> tuple[str | None, ...]:
    """The uploads a log entry is about (a claim or release lists them in ``upload_ids``)."""
    return event.upload_ids or (event.upload_id,)


@pytest.fixture
def team(pg_cluster):
    """The demo's team store, set up by the demo's own code on a database of this test."""
    name = f"team_demo_{next(_DATABASES)}"
    yield set_up_team(pg_cluster, database=name)
    pg_cluster.drop_database(name)


@pytest.mark.postgres
async def test_ann_claims_notes_and_completes_what_nobody_else_holds(
        team, server, tmp_path) -> None:
    """Seeded as the demo seeds it, with "me" holding a claim on one pending upload: ann's
    rounds (no pause) take every other pending upload once, bottom of the list first, each
    claimed, noted and completed under her name (which ends her claim); then there is nothing
    left for her, and another round posts nothing. One POST per upload at the fake, none for
    mine."""
    from scenario_tui.cli.demo_seed import seed_demo_store

    fake = server.fake
    mine = open_team_store(team[ME])
    ann_service = build_service(team_settings(make_settings(tmp_path), server.base_url,
                                              team[ANN]), holder_label=TEAMMATE_HOLDER)
    try:
        seed_demo_store(mine, fake)
        kept = "up_demo_pending_1"
        assert [c.upload_id for c in mine.claim([kept], 30, profile="demo").mine] == [kept]
        ann = Teammate(ann_service, pace=0)
        assert ann.name == ANN and mine.actor == ME

        rounds = [await ann.step() for _ in range(6)]
        others = [i for i in seeded_pending_ids() if i != kept]
        # bottom of the list first: the seeds are added in reverse, so the last seeded first
        assert rounds == [*reversed(others), None, None, None]
        assert ann.completed == list(reversed(others))
        # she followed each complete in the next rounds, as a TUI does: everyone's list shows
        # where it got to, not the "validating" of the POST's answer
        assert ann.following == []
        assert {mine.get(i).status for i in others} <= {"imported", "failed"}
        assert {i: fake.complete_count(i) for i in seeded_pending_ids()} == {
            **{i: 1 for i in others}, kept: 0}
        assert fake.complete_count() == len(others)

        # her claims are all released; mine is untouched
        claims = mine.claims()
        assert list(claims) == [kept] and claims[kept].holder == ME
        events = mine.events(limit=500)
        by_ann = [e for e in events if e.actor == ANN]
        assert all(kept not in touched(e) for e in by_ann)
        for upload_id in others:
            hers = [(e.action, e.outcome) for e in reversed(by_ann)
                    if upload_id in touched(e)]
            # claimed, noted, completed (the ledger's entry, then the answer), which ended her
            # claim: nothing left to release
            assert hers == [("claim", "ok"), ("note", "ok"), ("complete", "sending"),
                            ("complete", "sent")], hers
            row = mine.get(upload_id)
            assert row is not None and row.note.endswith("ann: on it, completing")
            assert row.note_by == ANN
            (intent,) = mine.intents(upload_id=upload_id)
            assert intent.actor == ANN and intent.state == "sent"
            assert intent.holder.label == TEAMMATE_HOLDER
        # the demo's note of the bad file is kept, hers added after it
        bad = mine.get("up_demo_badfile_1")
        assert bad is not None and bad.note == (
            "ticket #4720: scanned TIFF, may be damaged · ann: on it, completing")
        assert all(e.actor in (ME, ANN) for e in events)
    finally:
        ann_service.store.close()
        mine.close()


@pytest.mark.postgres
async def test_ann_stopped_mid_round_releases_her_claim_and_posts_nothing(
        team, server, tmp_path) -> None:
    """Stopped while she holds a claim (the demo quitting), she lets it go and sends nothing."""
    from scenario_tui.cli.demo_seed import seed_demo_store

    mine = open_team_store(team[ME])
    ann_service = build_service(team_settings(make_settings(tmp_path), server.base_url,
                                              team[ANN]), holder_label=TEAMMATE_HOLDER)
    try:
        seed_demo_store(mine, server.fake)
        ann = Teammate(ann_service, pace=30)
        claimed = []
        real_take = ann_service.claims.take

        def take_then_stop(ids, minutes=None):
            result = real_take(ids, minutes)
            claimed.extend(c.upload_id for c in result.mine)
            ann.stop.set()  # the demo quits while she holds it
            return result

        ann_service.claims.take = take_then_stop  # type: ignore[method-assign]
        assert await ann.step() is None
        assert claimed and mine.claims() == {}
        assert server.fake.complete_count() == 0 and ann.completed == []
    finally:
        ann_service.store.close()
        mine.close()


@pytest.mark.postgres
def test_ann_in_her_thread_works_through_the_queue_and_stops_when_told(
        team, server, tmp_path) -> None:
    """As the demo runs her: a thread with her own loop, service and connection (her role).
    She completes every pending upload once, then idles; stopped, she ends without an error,
    her claims released and her connection closed."""
    import time

    from scenario_tui.cli.demo_seed import seed_demo_store
    from scenario_tui.cli.teammate import TeammateThread

    fake = server.fake
    mine = open_team_store(team[ME])
    try:
        seed_demo_store(mine, fake)
        ann = TeammateThread(team_settings(make_settings(tmp_path), server.base_url, team[ANN]),
                             pace=0)
        ann.start()
        deadline = time.monotonic() + 30
        while fake.complete_count() < len(seeded_pending_ids()) and time.monotonic() < deadline:
            time.sleep(0.05)
        ann.stop()
        assert not ann.is_alive() and ann.error is None
        assert {i: fake.complete_count(i) for i in seeded_pending_ids()} == {
            i: 1 for i in seeded_pending_ids()}
        assert mine.claims() == {}
        assert ann.teammate is not None and sorted(ann.teammate.completed) == sorted(
            seeded_pending_ids())
        sent = [e for e in mine.events(limit=500) if e.outcome == "sent"]
        assert sorted(e.upload_id or "" for e in sent) == sorted(seeded_pending_ids())
        assert {e.actor for e in sent} == {ANN}
        assert _connections_of(team[ME], ANN) == 0
    finally:
        mine.close()


def _connections_of(url: str, role: str) -> int:
    """How many sessions ``role`` still has on the cluster (a closed one may take a moment
    to leave pg_stat_activity)."""
    import time

    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(50):
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s",
                               (role,)).fetchone()
            if row is not None and row[0] == 0:
                break
            time.sleep(0.05)
        return int(row[0]) if row is not None else -1


def test_demo_team_without_the_server_binaries_exits_2_and_starts_nothing(
        tmp_path, monkeypatch, capsys) -> None:
    """No initdb on PATH, none known to pg_config nor in the Debian place: the clear message,
    exit code 2, and no cluster directory made (nor a terminal asked for)."""
    real = cluster_module.find_bindir
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(cluster_module, "find_bindir",
                        lambda path=None: real(path, debian_root=tmp_path / "no-debian"))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert main(["demo", "--team"]) == 2
    err = capsys.readouterr().err
    assert NEEDS_SERVER in err and "Traceback" not in err
    assert "demo --team needs the PostgreSQL server binaries (initdb, pg_ctl; Debian package " \
           "postgresql)" in err
    assert list(scratch.iterdir()) == []


def test_demo_team_refuses_a_negative_pace_and_the_plain_demo_any_pace(capsys) -> None:
    assert main(["demo", "--team", "--teammate-pace", "-1"]) == 2
    assert "--teammate-pace must be 0 or more" in capsys.readouterr().err
    assert main(["demo", "--teammate-pace", "2"]) == 2
    assert "--teammate-pace goes with --team" in capsys.readouterr().err
