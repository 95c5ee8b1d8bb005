"""Setting up a team store (``team init``): migrations recorded once, also when two members run
it at once; a database without the schema, older or newer, refused on open; and the grants it
prints, tried as a member role: enough to work, not enough to write someone else's name."""

from __future__ import annotations

import itertools
import threading

import psycopg
import pytest

from scenario_tui.core.errors import StoreVersionError, TeamStoreRightsError
from scenario_tui.store.intents import Holder
from scenario_tui.store.postgres.schema import COUNTER_TABLE, MIGRATIONS, MIGRATIONS_TABLE
from scenario_tui.store.postgres.store import PostgresStore
from scenario_tui.store.postgres.team import init_schema
from tests.unit.store.backends import PostgresBackend

pytestmark = pytest.mark.postgres
NAMES = [name for name, _ in MIGRATIONS]
_ROLES = itertools.count(1)


def as_user(url: str, user: str) -> str:
    """``url`` connecting as ``user`` (the test cluster trusts its socket)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{user}@{rest.partition('@')[2]}"


def test_init_creates_the_schema_once_and_records_each_migration(pg_empty_url) -> None:
    """The first run applies every migration, in order; the next applies none; the table says
    which were applied, once each."""
    first = init_schema(pg_empty_url)
    assert first.applied == tuple(NAMES) and first.version == len(NAMES) and first.created
    again = init_schema(pg_empty_url)
    assert again.applied == () and again.version == len(NAMES) and not again.created
    rows = PostgresBackend(pg_empty_url).rows(
        f"SELECT name, applied_by FROM {MIGRATIONS_TABLE} ORDER BY name")
    assert rows == [(name, "postgres") for name in NAMES]
    with PostgresStore.open(pg_empty_url) as store:
        assert store.schema_version == len(NAMES) and store.add(["up_1"]).added == ["up_1"]


def test_two_members_running_init_at_once_both_succeed_and_apply_each_migration_once(
        pg_empty_url) -> None:
    """Under the advisory lock, the second waits and finds the work done: no error, no
    migration applied twice."""
    results: list[object] = []
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        try:
            results.append(init_schema(pg_empty_url))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(not isinstance(r, Exception) for r in results), results
    applied = sorted(name for r in results for name in r.applied)  # type: ignore[attr-defined]
    assert applied == NAMES
    assert PostgresBackend(pg_empty_url).rows(
        f"SELECT count(*), count(DISTINCT name) FROM {MIGRATIONS_TABLE}") == [(len(NAMES),) * 2]


def test_a_database_without_the_schema_is_refused_and_told_to_run_team_init(
        pg_empty_url) -> None:
    with pytest.raises(StoreVersionError) as caught:
        PostgresStore.open(pg_empty_url)
    assert caught.value.title == "Team store not set up"
    assert "scenario-tui team init" in caught.value.message
    assert PostgresBackend(pg_empty_url).rows(  # nothing was created by the refused open
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_a_newer_schema_is_refused_by_open_and_by_init(pg_url) -> None:
    PostgresBackend(pg_url).execute(
        f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES ('9999_future', 'x')")
    with pytest.raises(StoreVersionError) as opened:
        PostgresStore.open(pg_url)
    assert opened.value.title == "Team store is too new"
    assert f"knows {len(NAMES)}" in opened.value.message and "upgrade" in opened.value.message
    with pytest.raises(StoreVersionError, match="9999_future"):
        init_schema(pg_url)


def test_an_older_schema_is_refused_until_team_init_upgrades_it(pg_empty_url,
                                                               monkeypatch) -> None:
    """A database set up by the version before (its migrations only, used for a while): open
    says to upgrade it; init applies what is missing, and then it opens, with what was written
    before kept and changes announced as the new version announces them (one notification per
    transaction, with every ID it touched, and the counter bumped once)."""
    from scenario_tui.store.postgres import team

    older = MIGRATIONS[:-1]
    assert [name for name, _ in older][-1] == "0005_changes"
    monkeypatch.setattr(team, "MIGRATIONS", older)
    init_schema(pg_empty_url)
    backend = PostgresBackend(pg_empty_url)
    backend.execute("INSERT INTO uploads (id, seq, added_at) VALUES"
                    " ('up_old', nextval('upload_seq'), 'x')")  # announced the 0005 way
    monkeypatch.setattr(team, "MIGRATIONS", MIGRATIONS)
    with pytest.raises(StoreVersionError) as caught:
        PostgresStore.open(pg_empty_url)
    assert caught.value.title == "Team store needs an upgrade"
    assert init_schema(pg_empty_url).applied == (NAMES[-1],)
    counter = backend.rows(f"SELECT counter FROM {COUNTER_TABLE}")[0][0]
    with psycopg.connect(pg_empty_url, autocommit=True) as listener, \
            PostgresStore.open(pg_empty_url) as store:
        listener.execute("LISTEN scenario_tui_changes")
        assert [row.id for row in store.list()] == ["up_old"]
        store.add(["up_1", "up_2"], log=True)  # two tables written in one transaction
        heard = [n.payload for n in listener.notifies(timeout=1, stop_after=2)]
    assert heard == ['["up_1","up_2"]']
    assert backend.rows(f"SELECT counter FROM {COUNTER_TABLE}") == [(counter + 1,)]


@pytest.fixture
def member(pg_url):
    """A member role (in the group the printed grants make) and a role outside it."""
    backend = PostgresBackend(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(init_schema(pg_url).grants_sql())  # type: ignore[arg-type]
        conn.execute(init_schema(pg_url).grants_sql())  # type: ignore[arg-type]  # rerunnable
    n = next(_ROLES)
    ann, eve = f"ann_{n}", f"eve_{n}"
    backend.execute(f"CREATE ROLE {ann} LOGIN IN ROLE scenario_team")
    backend.execute(f"CREATE ROLE {eve} LOGIN")
    yield ann, eve
    for role in (ann, eve):
        backend.execute(f"DROP OWNED BY {role}")
        backend.execute(f"DROP ROLE {role}")


def test_the_printed_grants_let_a_member_work_and_record_who_they_are(pg_url, member) -> None:
    ann, _ = member
    with PostgresStore.open(as_user(pg_url, ann)) as store:
        assert store.actor == ann
        store.add(["up_1", "up_2"], note="first look", log=True)
        store.record_snapshot("up_1", {"id": "up_1", "status": "pending"})
        assert store.set_note("up_1", "ann is on it", log=True)
        removed = store.remove(["up_2"], log=True)
        assert store.restore(removed, log=True) == 1
        intent = store.begin_intent("up_1", "complete", Holder.this_process("test"))
        store.heartbeat_intent(intent)
        store.settle_intent(intent, "sent", http_status=200)
        store.record_part("up_1", 1, 10, "aa")
        store.record_part("up_1", 1, 10, "bb")
        assert store.claim(["up_1"]).mine[0].holder == ann
        assert store.release(["up_1"]) == 1
        assert store.get("up_1").note_by == ann  # type: ignore[union-attr]
        assert {e.actor for e in store.events()} == {ann}
        assert store.latest_intent("up_1").actor == ann  # type: ignore[union-attr]
        assert store.search_seqs(search="ANN IS") == [1]


def test_a_member_cannot_write_another_name_or_rewrite_the_log(pg_url, member) -> None:
    """Column grants keep ``actor`` and ``note_by`` out of a member's reach, and the log is
    append-only; the superuser's own attempt is overridden by the server's triggers."""
    ann, _ = member
    PostgresStore.open(pg_url).close()
    with psycopg.connect(as_user(pg_url, ann), autocommit=True) as conn:
        for statement in (
            "INSERT INTO activity (at, action, outcome, actor) VALUES ('x', 'note', 'ok', 'bob')",
            "UPDATE activity SET message = 'nothing happened'",
            "DELETE FROM activity",
            "UPDATE uploads SET note_by = 'bob'",
            "UPDATE claims SET holder = 'bob'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
    backend = PostgresBackend(pg_url)
    backend.execute("INSERT INTO activity (at, action, outcome, actor)"
                    " VALUES ('x', 'note', 'ok', 'bob')")
    backend.execute("INSERT INTO uploads (id, seq, note, added_at) VALUES ('up_1', 1, 'hi', 'x')")
    backend.execute("UPDATE uploads SET note = 'changed', note_by = 'bob'")
    assert backend.rows("SELECT actor FROM activity") == [("postgres",)]
    assert backend.rows("SELECT note_by FROM uploads") == [("postgres",)]


def test_a_role_without_rights_is_told_so(pg_url, member) -> None:
    _, eve = member
    with pytest.raises(TeamStoreRightsError) as caught:
        PostgresStore.open(as_user(pg_url, eve))
    assert caught.value.title == "Team store: no rights"
    assert "team init" in caught.value.message


def test_claims_between_two_members_and_a_renewal_logged_once(pg_url, member) -> None:
    """Ann's claim is hers (the holder is the session user): another member finds it held and
    cannot release it; Ann's renewal extends it without a second "claimed" entry."""
    ann, _ = member
    with PostgresStore.open(as_user(pg_url, ann)) as mine, PostgresStore.open(pg_url) as other:
        mine.add(["up_1", "up_2"])
        first = mine.claim(["up_1"], 10).mine[0]
        renewed = mine.claim(["up_1", "up_2"], 30).mine
        assert [c.upload_id for c in renewed] == ["up_1", "up_2"]
        assert renewed[0].claimed_at == first.claimed_at < renewed[0].expires_at
        claimed = [e for e in mine.events() if e.action == "claim"]
        assert [e.upload_ids for e in reversed(claimed)] == [("up_1",), ("up_2",)]
        taken = other.claim(["up_1"])
        assert taken.mine == [] and [(c.upload_id, c.holder) for c in taken.held] == [
            ("up_1", ann)]
        assert other.release(["up_1"]) == 0 and set(other.claims()) == {"up_1", "up_2"}


def test_a_members_settlement_ends_their_own_claim_and_never_anothers(pg_url, member) -> None:
    """``settle_intent(release_claim=True)`` works with the printed grants and ends the
    session user's claim only: settling an intent on an upload another member holds leaves
    their claim (the server says whose claim it is, as for every claim)."""
    ann, _ = member
    with PostgresStore.open(as_user(pg_url, ann)) as hers, PostgresStore.open(pg_url) as mine:
        hers.add(["up_1", "up_2"])
        assert [c.upload_id for c in hers.claim(["up_1", "up_2"]).mine] == ["up_1", "up_2"]
        intent = hers.begin_intent("up_1", "complete", Holder.this_process("test"))
        hers.settle_intent(intent, "sent", http_status=200, release_claim=True)
        intent = mine.begin_intent("up_2", "complete", Holder.this_process("test"))
        mine.settle_intent(intent, "sent", http_status=200, release_claim=True)
        assert {i: c.holder for i, c in mine.claims().items()} == {"up_2": ann}


def test_two_members_claiming_at_the_same_moment_one_gets_it_the_other_is_told_who(
        pg_url, member) -> None:
    """Ann's claim is being committed while I claim the same upload: my claim waits for hers
    on the row, then finds it held by her (not lost between the two), and logs nothing."""
    ann, _ = member
    with PostgresStore.open(pg_url) as mine:
        mine.add(["up_1"])
        with psycopg.connect(as_user(pg_url, ann)) as hers:  # a transaction left open
            hers.execute("INSERT INTO claims (upload_id, claimed_at, expires_at) VALUES"
                         " ('up_1', '2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z')")
            result: list = []
            racer = threading.Thread(target=lambda: result.append(mine.claim(["up_1"])))
            racer.start()
            racer.join(0.5)
            assert racer.is_alive()  # waiting for her transaction, on the row
            hers.commit()
            racer.join(10)
        taken = result[0]
        assert taken.mine == [] and [(c.upload_id, c.holder) for c in taken.held] == [
            ("up_1", ann)]
        assert [e for e in mine.events() if e.action == "claim"] == []


def test_an_intent_is_opened_and_settled_and_a_claim_taken_in_one_round_trip_each(
        pg_url) -> None:
    """On a team store each round trip to the server counts (a remote server is milliseconds
    away): opening an intent with its log entry and the read it rests on is one statement
    sent without BEGIN/COMMIT, and so is settling it with the answer; all of it lands."""
    store = PostgresStore.open(pg_url)
    sent: list[str] = []
    real_connect = store._db.connect

    def counting_connect(**kwargs):
        conn = real_connect(**kwargs)
        real_execute = conn.execute

        def execute(query, params=None, **kw):
            sent.append(str(query).split()[0])
            return real_execute(query, params, **kw)

        def transaction(*args, **kw):
            sent.append("BEGIN")
            return real_transaction(*args, **kw)

        real_transaction = conn.transaction
        conn.execute = execute  # type: ignore[method-assign]
        conn.transaction = transaction  # type: ignore[method-assign]
        return conn

    try:
        store.add(["up_1"])
        store._db._idle.clear()  # from here on, connections that count what they send
        store._db.connect = counting_connect  # type: ignore[method-assign]
        read = {"id": "up_1", "status": "pending", "fileName": "a.png"}
        intent = store.begin_intent("up_1", "complete", Holder.this_process("me"),
                                    log_message="sending", snapshot=read)
        assert sent == ["WITH"]
        store.settle_intent(intent, "sent", http_status=200,
                            snapshot={**read, "status": "validating"})
        assert sent == ["WITH", "WITH"]
        assert store.get("up_1").status == "validating"
        assert [(e.outcome, e.actor) for e in store.events()][:2] == [
            ("sent", store.actor), ("sending", store.actor)]
        # so are a claim and a release, each with its log entry (a member's `t` and `T`)
        sent.clear()
        assert [c.upload_id for c in store.claim(["up_1"]).mine] == ["up_1"]
        assert store.release(["up_1"]) == 1
        assert sent == ["WITH", "WITH"]
        assert [e.action for e in store.events(limit=2)] == ["release", "claim"]
    finally:
        store.close()


@pytest.mark.parametrize("descending", [False, True])
def test_the_pending_queue_is_read_by_its_own_index_whatever_the_statistics_say(
        pg_url, descending) -> None:
    """Statistics taken while every upload was pending, then most completed (a team through
    most of its queue before autovacuum analyses again): the store's "pending, in list order"
    read still goes straight to the pending rows, never along the whole list by ``seq``."""
    from scenario_tui.store.postgres import uploads

    backend = PostgresBackend(pg_url)
    with PostgresStore.open(pg_url) as store:
        store.add([f"up_{n:05d}" for n in range(5000)])
    backend.execute("UPDATE uploads SET status = 'pending'")
    backend.execute("ANALYZE uploads")
    backend.execute("UPDATE uploads SET status = 'complete' WHERE seq % 50 <> 0")
    clause, params = uploads.where(None, "pending")
    order = uploads.order_by("added", descending)
    with psycopg.connect(pg_url) as conn:
        plan = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT seq FROM uploads{clause}"
                            f" ORDER BY {order} LIMIT 100", params).fetchone()[0][0]["Plan"]
    scan = plan["Plans"][0]
    assert scan["Index Name"] == "uploads_pending", scan
    assert scan.get("Rows Removed by Filter", 0) == 0 and scan["Actual Rows"] == 100
